//! Small files written for the user — a CSV of metrics, a sweep as JSON, a plot as PNG — off
//! the UI thread ([`super::Request::WriteFile`]), atomically (temporary file, then rename), the
//! size on disk reported back; an error names the target file.

use std::path::Path;

/// What to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileContent {
    /// The bytes as given.
    Bytes(Vec<u8>),
    /// An RGBA picture (`size` = `[width, height]`, 4 bytes a pixel, rows top first), written
    /// as PNG.
    Rgba { size: [usize; 2], pixels: Vec<u8> },
}

/// Write `content` to `path` (its folder is created); returns the file's size on disk.
pub fn write_file(path: &Path, content: &FileContent) -> Result<u64, String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let png;
    let bytes = match content {
        FileContent::Bytes(b) => b,
        FileContent::Rgba { size, pixels } => {
            let [w, h] = *size;
            let image = image::RgbaImage::from_raw(w as u32, h as u32, pixels.clone())
                .ok_or_else(|| named(&format!("{w}×{h} pixels need {} bytes", 4 * w * h)))?;
            let mut out = std::io::Cursor::new(Vec::new());
            image
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(|e| named(&e))?;
            png = out.into_inner();
            &png
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::model::write_atomic(path, bytes)?;
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| named(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_pictures_are_written_and_sized() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("sub/m.csv");
        let n = write_file(&csv, &FileContent::Bytes(b"a,b\n1,2\n".to_vec())).unwrap();
        assert_eq!(
            (n, std::fs::read(&csv).unwrap()),
            (8, b"a,b\n1,2\n".to_vec())
        );
        let png = dir.path().join("p.png");
        let pixels = (0..4 * 3 * 2).map(|i| i as u8).collect();
        let content = FileContent::Rgba {
            size: [3, 2],
            pixels,
        };
        let n = write_file(&png, &content).unwrap();
        let back = image::open(&png).unwrap().into_rgba8();
        assert_eq!((back.width(), back.height(), back.as_raw()[5]), (3, 2, 5));
        assert_eq!(n, std::fs::metadata(&png).unwrap().len());
        let bad = FileContent::Rgba {
            size: [3, 3],
            pixels: vec![0; 4],
        };
        let e = write_file(&png, &bad).unwrap_err();
        assert!(e.contains("p.png") && e.contains("36 bytes"), "{e}");
    }
}
