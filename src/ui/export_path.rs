//! Where exports go: the path typed in an export row, a relative one under the export folder
//! (`$BITLENS_EXPORT_DIR`, else `~/bitlens-exports`), never the working directory by accident.
//! An empty name is refused.

use std::path::{Path, PathBuf};

/// The folder relative export names go in.
pub fn export_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BITLENS_EXPORT_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join("bitlens-exports"),
        None => PathBuf::from("bitlens-exports"),
    }
}

/// The file `prefix` + `suffix` names: absolute as typed, relative under `base`; an error when
/// no name was typed.
pub fn resolve(prefix: &str, suffix: &str, base: &Path) -> Result<PathBuf, String> {
    let name = prefix.trim();
    if name.is_empty() || name.ends_with('/') {
        return Err(
            "type a file name to export to (an absolute path, or a name for the export folder)"
                .into(),
        );
    }
    let path = PathBuf::from(format!("{name}{suffix}"));
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

/// [`resolve`] under [`export_dir`].
pub fn export_path(prefix: &str, suffix: &str) -> Result<PathBuf, String> {
    resolve(prefix, suffix, &export_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_go_to_the_export_folder_and_empty_ones_are_refused() {
        let base = Path::new("/data/exports");
        assert_eq!(
            resolve("run1", ".csv", base).unwrap(),
            PathBuf::from("/data/exports/run1.csv")
        );
        assert_eq!(
            resolve(" /tmp/x ", ".png", base).unwrap(),
            PathBuf::from("/tmp/x.png")
        );
        assert_eq!(
            resolve("sub/run", "-model.safetensors", base).unwrap(),
            PathBuf::from("/data/exports/sub/run-model.safetensors")
        );
        for bad in ["", "   ", "dir/"] {
            assert!(resolve(bad, ".csv", base).is_err(), "{bad:?}");
        }
    }
}
