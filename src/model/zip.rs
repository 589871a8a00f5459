//! A small read-only zip reader: the central directory (with zip64), stored and deflated
//! members. Enough for `.npz` and PyTorch checkpoints; every size and offset is checked.

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

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| "zip: truncated record".into())
}
fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "zip: truncated record".into())
}
fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
        .ok_or_else(|| "zip: truncated record".into())
}
fn to_usize(v: u64, what: &str) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("zip: {what} {v} too large"))
}

/// Read the central directory.
pub(crate) fn entries(b: &[u8]) -> Result<Vec<Entry>, String> {
    // End of central directory: 22 bytes + comment (≤ 65535), searched from the end.
    let min_start = b.len().saturating_sub(22 + 65535);
    let eocd = (min_start..=b.len().saturating_sub(22))
        .rev()
        .find(|&i| b.get(i..i + 4) == Some(b"PK\x05\x06"))
        .ok_or("zip: end of central directory not found (truncated archive?)")?;
    let mut count = u64::from(u16_at(b, eocd + 10)?);
    let mut cd_size = u64::from(u32_at(b, eocd + 12)?);
    let mut cd_offset = u64::from(u32_at(b, eocd + 16)?);
    // zip64 locator just before the EOCD.
    if eocd >= 20 && b.get(eocd - 20..eocd - 16) == Some(b"PK\x06\x07") {
        let z64 = to_usize(u64_at(b, eocd - 12)?, "zip64 record offset")?;
        if b.get(z64..z64 + 4) != Some(b"PK\x06\x06") {
            return Err("zip: zip64 end record not found where the locator points".into());
        }
        count = u64_at(b, z64 + 32)?;
        cd_size = u64_at(b, z64 + 40)?;
        cd_offset = u64_at(b, z64 + 48)?;
    }
    let count = to_usize(count, "member count")?;
    if count > MAX_ENTRIES {
        return Err(format!("zip: {count} members (limit {MAX_ENTRIES})"));
    }
    let cd_start = to_usize(cd_offset, "central directory offset")?;
    let cd_end = cd_start
        .checked_add(to_usize(cd_size, "central directory size")?)
        .ok_or("zip: overflow")?;
    if cd_end > b.len() {
        return Err("zip: central directory lies outside the file".into());
    }
    let mut out = Vec::with_capacity(count.min(b.len() / 46 + 1));
    let mut p = cd_start;
    for _ in 0..count {
        if b.get(p..p + 4) != Some(b"PK\x01\x02") {
            return Err("zip: bad central directory entry".into());
        }
        let flags = u16_at(b, p + 8)?;
        let method = u16_at(b, p + 10)?;
        let mut compressed = u64::from(u32_at(b, p + 20)?);
        let mut uncompressed = u64::from(u32_at(b, p + 24)?);
        let name_len = usize::from(u16_at(b, p + 28)?);
        let extra_len = usize::from(u16_at(b, p + 30)?);
        let comment_len = usize::from(u16_at(b, p + 32)?);
        let mut local = u64::from(u32_at(b, p + 42)?);
        let name_bytes = b
            .get(p + 46..p + 46 + name_len)
            .ok_or("zip: truncated member name")?;
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| "zip: member name is not UTF-8".to_string())?
            .to_owned();
        let extra = b
            .get(p + 46 + name_len..p + 46 + name_len + extra_len)
            .ok_or("zip: truncated extra field")?;
        // zip64 extended information: only the fields that were 0xFFFFFFFF, in this order.
        let mut e = 0usize;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e)?;
            let size = usize::from(u16_at(extra, e + 2)?);
            let body = extra
                .get(e + 4..e + 4 + size)
                .ok_or("zip: truncated extra field")?;
            if id == 1 {
                let mut q = 0;
                for field in [&mut uncompressed, &mut compressed, &mut local] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(body, q)?;
                        q += 8;
                    }
                }
            }
            e += 4 + size;
        }
        if flags & 1 != 0 {
            return Err(format!("zip: member `{name}` is encrypted"));
        }
        let local = to_usize(local, "local header offset")?;
        if b.get(local..local + 4) != Some(b"PK\x03\x04") {
            return Err(format!(
                "zip: member `{name}` has no local header at {local}"
            ));
        }
        let lname = usize::from(u16_at(b, local + 26)?);
        let lextra = usize::from(u16_at(b, local + 28)?);
        let data_offset = local + 30 + lname + lextra;
        let compressed = to_usize(compressed, "member size")?;
        let uncompressed = to_usize(uncompressed, "member size")?;
        let end = data_offset.checked_add(compressed).ok_or("zip: overflow")?;
        if end > b.len() {
            return Err(format!(
                "zip: member `{name}` extends past the end of the file"
            ));
        }
        if method == 0 && compressed != uncompressed {
            return Err(format!("zip: stored member `{name}` has mismatched sizes"));
        }
        out.push(Entry {
            name,
            method,
            data_offset,
            compressed,
            uncompressed,
        });
        p = p + 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
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
