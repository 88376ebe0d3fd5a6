//! The sandbox's throwaway database: a SQLite file in a directory of its
//! own, deleted when the sandbox stops. It never opens a database that
//! already exists, so no real data can be touched or lost.

use std::path::PathBuf;

use tempfile::TempDir;

/// Where the sandbox keeps its data while it runs.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    url: String,
    // Deleted on drop, with the database in it.
    _dir: Option<TempDir>,
    file: Option<PathBuf>,
}

impl ThrowawayDatabase {
    /// A fresh SQLite file: in a new temporary directory when `requested`
    /// is the default, else the `sqlite://FILE` given, which must not exist.
    pub fn open(requested: Option<&str>) -> Result<Self, String> {
        match requested {
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("account-api-sandbox-")
                    .tempdir()
                    .map_err(|err| format!("cannot create a directory for the sandbox: {err}"))?;
                Ok(Self {
                    url: format!("sqlite://{}/sandbox.db", dir.path().display()),
                    _dir: Some(dir),
                    file: None,
                })
            }
            Some(url) => {
                let file = crate::database::sqlite_file(url).ok_or_else(|| {
                    format!(
                        "--database-url {url}: the sandbox runs on a throwaway SQLite file; \
                         give a sqlite://FILE that does not exist, or none"
                    )
                })?;
                if file.exists() {
                    return Err(format!(
                        "--database-url {url}: {} exists; the sandbox never opens an existing \
                         database (its data lives only as long as the sandbox)",
                        file.display()
                    ));
                }
                Ok(Self {
                    url: url.to_owned(),
                    _dir: None,
                    file: Some(file),
                })
            }
        }
    }

    /// The URL the server opens.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm", ".secret"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
