//! The members of a zip archive (`.npz` files, PyTorch checkpoints), read in place.
//!
//! The central directory is read by the `zip` crate: the end record (zip64 too), every directory
//! record and each member's local header, with its checks on all of them; offsets are taken from
//! the start of the file, as PyTorch and NumPy write them. What bitlens adds for reading without
//! copying: each member's data offset in the memory-mapped file (`ZipFile::data_start`), checked,
//! with its size, against the file's length, and the data itself taken straight from the map,
//! stored or inflated by `miniz_oxide` (so the crate is built with no compression feature and
//! never decompresses anything). Encrypted members, names that are not UTF-8 and a name listed
//! twice are refused.

use std::io::Cursor;

use ::zip::ZipArchive;
use ::zip::read::{ArchiveOffset, Config};
use ::zip::result::ZipError;

use super::FileFormat;

/// One member of the archive.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub name: String,
    /// 0 = stored, 8 = deflated.
    pub method: u16,
    /// Offset of the member's data (after its local header) in the archive.
    pub data_offset: usize,
    pub compressed: usize,
    pub uncompressed: usize,
}

/// Most members an archive may list.
const MAX_ENTRIES: usize = 1 << 20;

/// The crate's error in plainer words (a truncated record named as the zip format names it, not
/// by the crate's type); anything else as the crate puts it.
fn problem(e: &ZipError) -> String {
    if let ZipError::InvalidArchive(m) = e {
        if m.starts_with("Could not find EOCD") {
            return "end of central directory not found (truncated archive?)".into();
        }
        if let Some(block) = m.strip_prefix("Unexpected end of ") {
            let record = match block.rsplit("::").next().unwrap_or(block) {
                "ZipLocalEntryBlock" => "local header",
                "ZipCentralEntryBlock" => "central directory entry",
                "Zip32CDEBlock" => "end of central directory record",
                "Zip64CDELocatorBlock" | "Zip64CDEBlock" => "zip64 end record",
                other => other,
            };
            return format!("truncated {record}");
        }
    }
    e.to_string()
}

fn to_usize(v: u64, what: &str) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("zip: {what} {v} too large"))
}

/// Read the central directory.
pub(crate) fn entries(b: &[u8]) -> Result<Vec<Entry>, String> {
    // Offsets count from the file's start, as PyTorch and NumPy write them (no search for an
    // archive glued after other bytes).
    let config = Config {
        archive_offset: ArchiveOffset::Known(0),
    };
    let mut archive = ZipArchive::with_config(config, Cursor::new(b))
        .map_err(|e| format!("zip: {}", problem(&e)))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "zip: {} members (limit {MAX_ENTRIES})",
            archive.len()
        ));
    }
    // The crate keeps one of two members of the same name; which one a reader gets is ambiguous.
    if archive.has_duplicate_names() {
        return Err("zip: the central directory lists a member name twice".into());
    }
    (0..archive.len())
        .map(|i| member(&mut archive, i, b.len()))
        .collect()
}

/// Member `i`: its name, method and sizes from the central directory, the offset of its data
/// from its local header, all checked against the file's `len`.
fn member(archive: &mut ZipArchive<Cursor<&[u8]>>, i: usize, len: usize) -> Result<Entry, String> {
    let name = {
        let entry = archive
            .by_index_data(i)
            .map_err(|e| format!("zip: {}", problem(&e)))?;
        let name = std::str::from_utf8(entry.name_raw())
            .map_err(|_| "zip: member name is not UTF-8".to_string())?;
        if entry.encrypted() {
            return Err(format!("zip: member `{name}` is encrypted"));
        }
        name.to_owned()
    };
    // Raw: the local header is read, the data is neither read nor decompressed.
    let file = archive
        .by_index_raw(i)
        .map_err(|e| format!("zip: member `{name}`: {}", problem(&e)))?;
    let data_offset = file
        .data_start()
        .ok_or_else(|| format!("zip: member `{name}` has no local header"))?;
    let data_offset = to_usize(data_offset, "member offset")?;
    let compressed = to_usize(file.compressed_size(), "member size")?;
    let uncompressed = to_usize(file.size(), "member size")?;
    let method = file.compression().into_compression().as_u16();
    let end = data_offset.checked_add(compressed).ok_or("zip: overflow")?;
    if end > len {
        return Err(format!(
            "zip: member `{name}` extends past the end of the file"
        ));
    }
    if method == 0 && compressed != uncompressed {
        return Err(format!("zip: stored member `{name}` has mismatched sizes"));
    }
    Ok(Entry {
        name,
        method,
        data_offset,
        compressed,
        uncompressed,
    })
}

/// Inflate raw deflate data that must produce exactly `expected` bytes.
pub(crate) fn inflate(data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let out = miniz_oxide::inflate::decompress_to_vec_with_limit(data, expected).map_err(|e| {
        format!(
            "deflate data is corrupt or larger than declared ({:?})",
            e.status
        )
    })?;
    if out.len() != expected {
        return Err(format!(
            "deflate data gives {} bytes, {expected} declared",
            out.len()
        ));
    }
    Ok(out)
}

/// Inflate at most `limit` bytes from the start (to read a header without the whole member).
pub(crate) fn inflate_prefix(data: &[u8], limit: usize) -> Vec<u8> {
    match miniz_oxide::inflate::decompress_to_vec_with_limit(data, limit) {
        Ok(v) => v,
        Err(e) => e.output,
    }
}

/// A member's full contents (stored or deflated).
pub(crate) fn read(b: &[u8], e: &Entry) -> Result<Vec<u8>, String> {
    let data = &b[e.data_offset..e.data_offset + e.compressed];
    match e.method {
        0 => Ok(data.to_vec()),
        8 => inflate(data, e.uncompressed),
        m => Err(format!(
            "zip: member `{}` uses unsupported compression method {m}",
            e.name
        )),
    }
}

/// npz (members ending in `.npy`) or PyTorch (a `data.pkl` member).
pub(crate) fn classify(b: &[u8]) -> Result<FileFormat, String> {
    let list = entries(b)?;
    if list
        .iter()
        .any(|e| e.name == "data.pkl" || e.name.ends_with("/data.pkl"))
    {
        return Ok(FileFormat::PytorchZip);
    }
    if list.iter().any(|e| e.name.ends_with(".npy")) || list.is_empty() {
        return Ok(FileFormat::Npz);
    }
    Err("zip archive with neither .npy members (npz) nor data.pkl (PyTorch)".into())
}

#[cfg(test)]
mod tests {
    use super::{entries, read};

    /// A stored-only archive; `flags` goes into every central directory record.
    fn archive(members: &[(&str, &[u8])], flags: u16) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for &(name, data) in members {
            let local = out.len() as u32;
            let (n, len) = (name.len() as u16, data.len() as u32);
            out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            for v in [0, len, len] {
                out.extend_from_slice(&u32::to_le_bytes(v));
            }
            out.extend_from_slice(&[n.to_le_bytes(), [0, 0]].concat());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
            central.extend_from_slice(&flags.to_le_bytes());
            central.extend_from_slice(&[0; 6]);
            for v in [0, len, len] {
                central.extend_from_slice(&u32::to_le_bytes(v));
            }
            central.extend_from_slice(&[n.to_le_bytes(), [0; 2], [0; 2], [0; 2], [0; 2]].concat());
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&local.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (count, at) = (members.len() as u16, out.len() as u32);
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
        out.extend_from_slice(&[count.to_le_bytes(), count.to_le_bytes()].concat());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn stored_members_give_their_data_offsets_in_the_file() {
        let b = archive(&[("a.npy", b"hello"), ("dir/b", b"xy")], 0);
        let list = entries(&b).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].name.as_str(), list[0].data_offset), ("a.npy", 35));
        assert_eq!(
            (list[1].data_offset, list[1].compressed),
            (35 + 5 + 30 + 5, 2)
        );
        assert_eq!(read(&b, &list[0]).unwrap(), b"hello");
        assert_eq!(read(&b, &list[1]).unwrap(), b"xy");
    }

    #[test]
    fn bad_archives_are_refused_saying_why() {
        let err = |b: &[u8]| entries(b).err().unwrap();
        let twice = archive(&[("a", b"1"), ("a", b"2")], 0);
        assert!(err(&twice).contains("twice"));
        assert!(err(&archive(&[("a", b"1")], 1)).contains("`a` is encrypted"));
        let whole = archive(&[("a", b"1")], 0);
        assert!(err(&whole[..whole.len() - 3]).contains("truncated end of central directory"));
        assert!(err(&whole[..whole.len() - 22]).contains("end of central directory not found"));
        let mut local = whole.clone();
        local[0] = b'X';
        assert!(err(&local).contains("member `a`"));
    }
}
