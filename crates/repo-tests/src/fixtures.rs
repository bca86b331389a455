//! The one way tests find the repository's data: `tests/` holds only data, and every test that
//! walks a fixture folder (so that a new fixture is a new case) walks it with [`json_files`].

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.json` file directly in `dir` (relative to the repository root; subfolders are not
/// walked), sorted by name. Panics naming the folder when it cannot be read or holds none: a
/// folder walk that finds nothing must not pass.
pub fn json_files(dir: &str) -> Vec<PathBuf> {
    let root = repo().join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {dir}: {e}"))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{dir}: {e}")).path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {dir}");
    files
}

/// A file's text, panicking with its path.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The file name of a fixture without `.json` (the name of its golden file).
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_else(|| panic!("{}: not a UTF-8 file name", path.display()))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_json_files_and_refuses_an_empty_folder() {
        let events = json_files("tests/fixtures/events");
        assert!(
            events
                .iter()
                .all(|p| p.extension().is_some_and(|e| e == "json"))
        );
        let mut sorted = events.clone();
        sorted.sort();
        assert_eq!(events, sorted);
        assert!(
            !events.iter().any(|p| p.ends_with("invalid")),
            "no subfolders"
        );
        let empty = std::panic::catch_unwind(|| json_files("crates/repo-tests/src"));
        assert!(empty.is_err(), "a folder without JSON fails");
    }
}
