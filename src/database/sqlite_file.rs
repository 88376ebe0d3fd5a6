//! Where a `--database-url` keeps its data, read by the parsers that open it.
//!
//! SeaORM picks the driver by the URL's scheme, sqlx's
//! `SqliteConnectOptions::from_str` takes the file name from it
//! (percent-decoded, the query string split off), and SQLite, opened with
//! `SQLITE_OPEN_URI`, reads a name that starts with `file:` as a URI of its
//! own. Every check of the file (does it exist, is it private, where is the
//! key file beside it) must look at the file SQLite writes, not at the text
//! of the URL: `sqlite://real%2Edb` is `real.db`.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
};

use sea_orm::sqlx::sqlite::SqliteConnectOptions;

/// Where the data of a database URL lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabasePlace {
    /// A database server (PostgreSQL): no file of ours.
    Server,
    /// A SQLite database in memory or in a temporary file SQLite deletes.
    Memory,
    /// A SQLite database in this file (absolute; symbolic links not
    /// followed, as SQLite opens it).
    File(PathBuf),
}

/// Where `url` keeps its data, as SeaORM, sqlx and SQLite read it; an
/// error naming `--database-url` when they cannot read it.
pub fn database_place(url: &str) -> Result<DatabasePlace, String> {
    // The URL is not repeated: it may hold a password.
    let parsed =
        url::Url::parse(url).map_err(|err| format!("--database-url: not a URL ({err})"))?;
    // SeaORM's choice of driver, `DbBackend::Sqlite.is_prefix_of`.
    if parsed.scheme() != "sqlite" {
        return Ok(DatabasePlace::Server);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|err| format!("--database-url {url}: {err}"))?;
    sqlite_place(url, &options).map_err(|problem| format!("--database-url {url}: {problem}"))
}

/// The SQLite file of `url`, if it has one.
pub fn sqlite_file(url: &str) -> Result<Option<PathBuf>, String> {
    match database_place(url)? {
        DatabasePlace::File(file) => Ok(Some(file)),
        DatabasePlace::Server | DatabasePlace::Memory => Ok(None),
    }
}

/// Where SQLite keeps the database sqlx opens with `options`, parsed from
/// `url`. sqlx keeps what decides it private, so its query string is read
/// again here, split off as `SqliteConnectOptions::from_str` splits it.
fn sqlite_place(url: &str, options: &SqliteConnectOptions) -> Result<DatabasePlace, String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
    let parameters: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if database == ":memory:" || parameter("mode") == Some("memory") {
        return Ok(DatabasePlace::Memory);
    }
    let name = options
        .get_filename()
        .to_str()
        .ok_or("the file name is not UTF-8")?;
    // With `immutable` or `vfs`, sqlx hands SQLite a `file:` URI of its own
    // with the whole name encoded in it, so the name is taken as it is.
    let wrapped =
        matches!(parameter("immutable"), Some("true" | "1")) || parameter("vfs").is_some();
    let path = match name.strip_prefix("file:") {
        Some(uri) if !wrapped => match path_of_file_uri(uri)? {
            Some(path) => path,
            None => return Ok(DatabasePlace::Memory),
        },
        _ => name.to_owned(),
    };
    if path.is_empty() {
        // SQLite's private temporary database.
        return Ok(DatabasePlace::Memory);
    }
    let path = std::path::absolute(&path).map_err(|err| format!("{path}: {err}"))?;
    Ok(DatabasePlace::File(path))
}

/// The path of a SQLite `file:` URI (`uri` is what follows `file:`), as
/// <https://www.sqlite.org/uri.html> reads it; `None` for an in-memory one.
fn path_of_file_uri(uri: &str) -> Result<Option<String>, String> {
    let uri = uri.split('#').next().unwrap_or_default();
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let path = match path.strip_prefix("//") {
        Some(with_authority) => {
            let (authority, path) = with_authority
                .find('/')
                .map_or((with_authority, ""), |slash| with_authority.split_at(slash));
            if !authority.is_empty() && authority != "localhost" {
                return Err(format!(
                    "file: URI with the authority {authority:?}: SQLite opens local files only"
                ));
            }
            path
        }
        None => path,
    };
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decoded(key)? == "mode" && percent_decoded(value)? == "memory" {
            return Ok(None);
        }
    }
    percent_decoded(path).map(Some)
}

/// `text` with each `%HH` decoded, as SQLite decodes a URI.
fn percent_decoded(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |offset: usize| {
            bytes
                .get(at + offset)
                .and_then(|b| (*b as char).to_digit(16))
        };
        match (bytes[at], hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                at += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    if decoded.contains(&0) {
        return Err(format!("{text:?} decodes to a NUL byte"));
    }
    String::from_utf8(decoded).map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

/// The files SQLite and the server keep beside the database `file`: its
/// write-ahead log, shared memory, rollback journal, and the SMS code key.
pub fn companion_files(file: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal", ".secret"]
        .into_iter()
        .map(|suffix| with_suffix(file, suffix))
        .collect()
}

/// `file` with `suffix` appended to its name (`db` → `db.secret`).
pub fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut path = file.as_os_str().to_owned();
    path.push(suffix);
    PathBuf::from(path)
}

/// The file a chain of symbolic links starting at `path` ends in (which
/// need not exist): SQLite follows them, and keeps its `-wal` and `-shm`
/// beside the end.
pub fn link_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The kernel's own limit on links followed in one lookup.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str) -> PathBuf {
        match database_place(url) {
            Ok(DatabasePlace::File(file)) => file,
            other => panic!("{url}: {other:?}"),
        }
    }

    fn cwd() -> PathBuf {
        std::env::current_dir().unwrap()
    }

    #[test]
    fn the_file_is_the_one_sqlite_opens() {
        assert_eq!(
            file("sqlite://account-api.db"),
            cwd().join("account-api.db")
        );
        assert_eq!(file("sqlite:account-api.db"), cwd().join("account-api.db"));
        assert_eq!(file("sqlite:///tmp/x.db?mode=rwc"), Path::new("/tmp/x.db"));
        assert_eq!(file("sqlite://real%2Edb"), cwd().join("real.db"));
        assert_eq!(
            file("sqlite:///tmp/new%20db.db"),
            Path::new("/tmp/new db.db")
        );
        assert_eq!(file("sqlite://file:/tmp/u.db"), Path::new("/tmp/u.db"));
        assert_eq!(file("sqlite:file:u.db?mode=rwc"), cwd().join("u.db"));
        assert_eq!(file("sqlite:file:u%252Edb"), cwd().join("u.db"));
        assert_eq!(
            file("sqlite://file://localhost/tmp/u%252Edb"),
            Path::new("/tmp/u.db")
        );
        assert_eq!(file("sqlite://file:///tmp/u.db"), Path::new("/tmp/u.db"));
        // sqlx wraps these in a URI of its own: the name is literal.
        assert_eq!(
            file("sqlite:file:u.db?immutable=true"),
            cwd().join("file:u.db")
        );
    }

    #[test]
    fn memory_servers_and_nonsense_have_no_file() {
        for url in [
            "sqlite::memory:",
            "sqlite://x.db?mode=memory",
            "sqlite:file:x.db%3Fmode=memory",
            "sqlite://",
        ] {
            assert_eq!(database_place(url), Ok(DatabasePlace::Memory), "{url}");
        }
        assert_eq!(
            database_place("postgres://postgres@localhost/db"),
            Ok(DatabasePlace::Server)
        );
        for bad in [
            "sqlite://new db.db",
            "sqlite://:memory:",
            "not a url",
            "sqlite://x.db?mode=sideways",
            "sqlite://file://elsewhere/x.db",
            "sqlite://file:x%00.db",
        ] {
            let refused = database_place(bad).unwrap_err();
            assert!(refused.starts_with("--database-url"), "{refused}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_their_end_even_when_it_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let end = dir.path().join("data").join("end.db");
        std::os::unix::fs::symlink(&end, dir.path().join("first.db")).unwrap();
        std::os::unix::fs::symlink("first.db", dir.path().join("second.db")).unwrap();
        assert_eq!(link_target(&dir.path().join("second.db")).unwrap(), end);
        let plain = dir.path().join("plain.db");
        assert_eq!(link_target(&plain).unwrap(), plain);
        std::os::unix::fs::symlink("loop.db", dir.path().join("loop.db")).unwrap();
        assert!(link_target(&dir.path().join("loop.db")).is_err());
    }
}
