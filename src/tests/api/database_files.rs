//! The SQLite database, its write-ahead log and shared-memory files, and
//! the SMS code key beside them hold password hashes, phones and a secret:
//! the server creates every one of them readable by its owner only.

use std::os::unix::fs::PermissionsExt;

use crate::{
    helpers::{DEVICE, PASSWORD, PHONE, TestApp, on_sqlite_only, test_name},
    server_process::ServerProcess,
};

#[tokio::test]
async fn the_database_its_wal_and_shm_and_the_key_file_are_owner_only() {
    if !on_sqlite_only(test_name!(), "PostgreSQL keeps no files of ours") {
        return;
    }
    // A umask that would leave files world-readable, as many systems have.
    // SAFETY: umask only sets the process's file creation mask.
    let previous = unsafe { libc::umask(0o022) };
    let app = TestApp::spawn().await;
    app.registered(PHONE, PASSWORD, DEVICE).await;
    // SAFETY: as above, restoring the mask.
    unsafe { libc::umask(previous) };

    let dir = app.sqlite_dir().expect("a SQLite test database");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
        seen.push(name);
    }
    seen.sort();
    assert_eq!(
        seen,
        ["test.db", "test.db-shm", "test.db-wal", "test.db.secret"],
        "the files beside the database"
    );
}

/// Starts `account-api serve` over `url` in `cwd` under umask 022, waits
/// until it listens, and registers an account (so the write-ahead log is
/// written).
async fn serve_once(cwd: &std::path::Path, url: &str) -> ServerProcess {
    let mut command = std::process::Command::new("/bin/sh");
    command
        .current_dir(cwd)
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_account-api"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url]);
    let server = ServerProcess::spawn_command(&mut command, &[]).await;
    let registered = server.register(PHONE, PASSWORD, DEVICE).await;
    assert_eq!(registered.code(), 200, "{url}: {}", registered.text);
    server
}

/// Every file in `dir` (recursively) with its permission bits.
fn files_and_modes(dir: &std::path::Path) -> Vec<(String, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let metadata = std::fs::symlink_metadata(&path).unwrap();
        let name = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if metadata.is_dir() {
            for (inner, mode) in files_and_modes(&path) {
                found.push((format!("{name}/{inner}"), mode));
            }
        } else if !metadata.file_type().is_symlink() {
            found.push((name, metadata.permissions().mode() & 0o777));
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn the_files_of_an_encoded_uri_or_linked_database_url_are_the_decoded_ones_and_owner_only() {
    if !on_sqlite_only(test_name!(), "PostgreSQL keeps no files of ours") {
        return;
    }
    let private = |names: &[&str]| -> Vec<(String, u32)> {
        let mut expected: Vec<(String, u32)> = names
            .iter()
            .map(|name| ((*name).to_owned(), 0o600))
            .collect();
        expected.sort();
        expected
    };
    for (url, expected) in [
        (
            "sqlite://new%20db.db",
            [
                "new db.db",
                "new db.db-shm",
                "new db.db-wal",
                "new db.db.secret",
            ],
        ),
        (
            "sqlite://./q%2Edb?mode=rwc",
            ["q.db", "q.db-shm", "q.db-wal", "q.db.secret"],
        ),
        (
            "sqlite:file:uri%2520db.db?mode=rwc",
            [
                "uri db.db",
                "uri db.db-shm",
                "uri db.db-wal",
                "uri db.db.secret",
            ],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let _server = serve_once(dir.path(), url).await;
        assert_eq!(files_and_modes(dir.path()), private(&expected), "{url}");
        // The same, as an absolute path.
        let dir = tempfile::tempdir().unwrap();
        let absolute = match url.split_once("./") {
            Some((scheme, rest)) => format!("{scheme}{}/{rest}", dir.path().display()),
            None => url
                .replacen(
                    "sqlite://",
                    &format!("sqlite://{}/", dir.path().display()),
                    1,
                )
                .replacen("file:", &format!("file:{}/", dir.path().display()), 1),
        };
        let _server = serve_once(std::path::Path::new("/"), &absolute).await;
        assert_eq!(
            files_and_modes(dir.path()),
            private(&expected),
            "{absolute}"
        );
    }

    // A link to a file not yet there: SQLite creates it at the link's end,
    // with its log beside it; the key file is beside the name given.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::os::unix::fs::symlink("data/end.db", dir.path().join("link.db")).unwrap();
    let _server = serve_once(dir.path(), "sqlite://link.db").await;
    assert_eq!(
        files_and_modes(dir.path()),
        private(&[
            "data/end.db",
            "data/end.db-shm",
            "data/end.db-wal",
            "link.db.secret"
        ])
    );
}
