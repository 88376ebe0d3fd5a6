//! Regressions: the seeds of failing cases, kept in proptest's `cc <hex>`
//! format, one file per target, replayed first on the next run.

use std::{fs, io::Write, path::Path};

/// Seeds kept in `path` (`cc <64 hex>` lines, as proptest writes them).
pub(super) fn load_seeds(path: &Path) -> Vec<[u8; 32]> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| line.strip_prefix("cc "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(parse_hex_seed)
        .collect()
}

fn parse_hex_seed(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(seed)
}

pub(super) fn save_seed(path: &Path, seed: &[u8; 32], signature: &str) {
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    if load_seeds(path).contains(seed) {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let new = !path.exists();
    let Ok(mut file) = fs::OpenOptions::new().create(true).append(true).open(path) else {
        return;
    };
    if new {
        let _ = writeln!(
            file,
            "# Seeds for failure cases the contract checker has found for this operation\n\
             # and encoding. They are replayed before any new cases. Check this file in\n\
             # to source control so that everyone who runs the checker also replays them."
        );
    }
    let one_line = signature.replace('\n', " ");
    let _ = writeln!(file, "cc {hex} # {one_line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_round_trip_through_a_regressions_file() {
        let dir = std::env::temp_dir().join(format!("contract-tests-seeds-{}", std::process::id()));
        let path = dir.join("x.txt");
        let _ = fs::remove_file(&path);
        let seed = [7u8; 32];
        save_seed(&path, &seed, "a\nb");
        save_seed(&path, &seed, "again");
        save_seed(&path, &[9u8; 32], "other");
        assert_eq!(load_seeds(&path), vec![seed, [9u8; 32]]);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().filter(|l| l.starts_with("cc ")).count(), 2);
        let _ = fs::remove_dir_all(dir);
    }
}
