//! The sandbox's throwaway database: a SQLite file in a directory of its
//! own, deleted when the sandbox stops. It never opens a database that
//! already exists, so no real data can be touched or lost.
//!
//! A sandbox killed outright cannot delete its directory, so each sandbox
//! holds a lock on a file in it for as long as it runs (the kernel releases
//! it when the process ends, however it ends), and the next sandbox to
//! start removes every directory whose lock is free. A directory whose lock
//! is held, or that has no lock file yet (one being made this instant, or
//! an older version's), is never touched.

use std::{
    fs::File,
    io,
    path::{Path, PathBuf},
};

use tempfile::TempDir;

use crate::database::{DatabasePlace, companion_files, database_place};

/// How every sandbox directory's name starts, in the temporary directory.
pub const DIRECTORY_PREFIX: &str = "account-api-sandbox-";

/// The file a running sandbox keeps locked in its directory.
pub const OWNER_LOCK: &str = "owner.lock";

/// Where the sandbox keeps its data while it runs.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    url: String,
    // Deleted on drop, with the database in it; the lock is held until then.
    _dir: Option<(TempDir, File)>,
    file: Option<PathBuf>,
}

impl ThrowawayDatabase {
    /// A fresh SQLite file: in a new temporary directory when `requested`
    /// is the default (after removing those of sandboxes that are gone),
    /// else the SQLite file `requested` names, which must not exist.
    pub fn open(requested: Option<&str>) -> Result<Self, String> {
        match requested {
            None => {
                let parent = std::env::temp_dir();
                let removed = remove_stale_directories(&parent);
                if removed > 0 {
                    tracing::info!(
                        removed,
                        "removed the directories of sandboxes that stopped without cleaning up"
                    );
                }
                let (dir, lock) = locked_directory(&parent)
                    .map_err(|err| format!("cannot create a directory for the sandbox: {err}"))?;
                let file = dir.path().join("sandbox.db");
                Ok(Self {
                    url: sqlite_url(&file)?,
                    _dir: Some((dir, lock)),
                    file: None,
                })
            }
            Some(url) => {
                let file = match database_place(url)? {
                    DatabasePlace::File(file) => file,
                    DatabasePlace::Server | DatabasePlace::Memory => {
                        return Err(format!(
                            "--database-url {url}: the sandbox runs on a throwaway SQLite file; \
                             give a sqlite://FILE that does not exist, or none"
                        ));
                    }
                };
                // A link, even to nothing, leads to a file the sandbox would
                // create and delete somewhere else.
                let present = std::iter::once(file.clone())
                    .chain(companion_files(&file))
                    .find(|path| std::fs::symlink_metadata(path).is_ok());
                if let Some(present) = present {
                    return Err(format!(
                        "--database-url {url}: {} exists; the sandbox never opens an existing \
                         database (its data lives only as long as the sandbox)",
                        present.display()
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
            for path in std::iter::once(file.clone()).chain(companion_files(file)) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// A `sqlite://` URL whose file, as sqlx decodes it, is `file`.
fn sqlite_url(file: &Path) -> Result<String, String> {
    let text = file
        .to_str()
        .ok_or_else(|| format!("{}: the path is not UTF-8", file.display()))?;
    let mut url = String::from("sqlite://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(url)
}

/// A new sandbox directory in `parent` whose lock file is already locked
/// when it appears under its name, so no other sandbox ever sees it free.
fn locked_directory(parent: &Path) -> io::Result<(TempDir, File)> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(DIRECTORY_PREFIX);
    // Readable by its owner only, as the files in it.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir_in(parent)?;
    let staging = dir.path().join(".owner.lock.new");
    let lock = File::create(&staging)?;
    lock.lock()?;
    std::fs::rename(&staging, dir.path().join(OWNER_LOCK))?;
    Ok((dir, lock))
}

/// Removes every sandbox directory in `parent` whose owner is gone (its
/// lock file is there and free); returns how many it removed.
pub fn remove_stale_directories(parent: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let is_directory = entry.file_type().is_ok_and(|kind| kind.is_dir());
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(DIRECTORY_PREFIX));
        if !(is_directory && ours) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = File::open(dir.join(OWNER_LOCK)) else {
            continue;
        };
        // Held by a running sandbox: `WouldBlock`, and it is left alone.
        if lock.try_lock().is_ok() {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => removed += 1,
                Err(err) => tracing::warn!(
                    path = %dir.display(),
                    error = %err,
                    "cannot remove the directory of a stopped sandbox"
                ),
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_removed_once_its_owner_lets_go_and_never_before() {
        let parent = tempfile::tempdir().unwrap();
        let (running, lock) = locked_directory(parent.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(running.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let foreign = parent.path().join(format!("{DIRECTORY_PREFIX}no-lock"));
        std::fs::create_dir(&foreign).unwrap();
        assert_eq!(remove_stale_directories(parent.path()), 0);
        assert!(running.path().join(OWNER_LOCK).exists());
        assert!(
            foreign.exists(),
            "a directory without a lock file is not ours to judge"
        );

        let path = running.path().to_path_buf();
        drop(lock);
        std::mem::forget(running); // as a killed sandbox leaves it
        assert_eq!(remove_stale_directories(parent.path()), 1);
        assert!(!path.exists());
        assert!(foreign.exists());
    }

    #[test]
    fn the_url_of_a_path_decodes_to_that_path() {
        let file = Path::new("/tmp/odd dir%2E?#/sandbox.db");
        let url = sqlite_url(file).unwrap();
        assert_eq!(
            database_place(&url),
            Ok(DatabasePlace::File(file.to_path_buf()))
        );
    }
}
