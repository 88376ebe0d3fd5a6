//! The SQLite database, its write-ahead log and shared-memory files, and
//! the SMS code key beside them hold password hashes, phones and a secret:
//! the server creates every one of them readable by its owner only.

use std::os::unix::fs::PermissionsExt;

use crate::helpers::{DEVICE, PASSWORD, PHONE, TestApp, on_sqlite_only, test_name};

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
