//! Where the harness finds the workspace it was built from, and the target
//! directory it builds the server in and writes its results and tools under.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

/// The workspace this harness was built from: this crate is `contract-tests/load`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("contract-tests/load sits in the workspace")
        .to_owned()
}

/// The target directory: `cargo_target_dir` (`CARGO_TARGET_DIR`) when set,
/// else `target/` of the workspace.
pub fn target_dir(workspace: &Path, cargo_target_dir: Option<OsString>) -> PathBuf {
    cargo_target_dir.map_or_else(|| workspace.join("target"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn the_workspace_root_is_the_one_with_this_crate_as_a_member() {
        let root = workspace_root();
        let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("the root manifest");
        assert!(manifest.contains("[workspace]"), "{}", root.display());
        assert!(manifest.contains("\"contract-tests/load\""));
        assert!(root.join("contract-tests/load/Cargo.toml").is_file());
        assert!(
            root.join("src/main.rs").is_file(),
            "the server crate's binary"
        );
    }

    #[test]
    fn the_target_directory_follows_cargo_target_dir() {
        let root = Path::new("/work/account-api");
        assert_eq!(target_dir(root, None), root.join("target"));
        assert_eq!(
            target_dir(root, Some("/tmp/elsewhere".into())),
            Path::new("/tmp/elsewhere")
        );
    }
}
