//! Writing a file atomically: a temporary file in the same directory, then a rename, so a
//! reader never sees half a model and a failed write leaves the old file in place.

use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` through `.<name>.tmp-<pid>` beside it and a rename. Errors name the
/// file; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomic_with(path, &mut |w| w.write_all(bytes).map_err(|e| e.to_string()))
}

/// [`write_atomic`] for content written piece by piece: `write` gets a buffered writer on the
/// temporary file; its error (or an I/O error) removes the temporary file and is returned
/// naming `path`.
pub fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<(), String>,
) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let f = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        write(&mut w).map_err(|e| format!("{}: {e}", path.display()))?;
        let f = w
            .into_inner()
            .map_err(|e| format!("{}: {}", path.display(), e.error()))?;
        f.sync_all().ok();
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_and_names_a_bad_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.bin");
        write_atomic(&path, b"one").expect("write");
        write_atomic(&path, b"two").expect("replace");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let bad = dir.path().join("missing-dir").join("m.bin");
        let err = write_atomic(&bad, b"x").expect_err("no such directory");
        assert!(err.contains("missing-dir"), "{err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("ls").count(),
            1,
            "no temporary file left"
        );
    }
}
