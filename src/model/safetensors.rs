//! safetensors: `u64` LE header length N, N bytes of UTF-8 JSON, then the byte buffer.
//!
//! JSON: `name → {"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the
//! buffer) plus an optional `"__metadata__": {str: str}`.
//!
//! The header is read and checked by Hugging Face's `safetensors` crate
//! ([`SafeTensors::read_metadata`], the reader the format's authors ship): header inside the file
//! and ≤ 100 MB, UTF-8 JSON, a dtype name it knows, `end − begin` = numel × element size (with
//! overflow checks), and the tensors tiling the buffer (no overlap, no gap, nothing after the last
//! one). It borrows the memory-mapped file and copies no tensor data. The listing on top stays
//! bitlens's: each tensor keeps its offset into the map and is decoded on demand, with bitlens's
//! dtype table deciding what decodes and what is only listed.
//!
//! Still hand-written, and why: the wording of a rejection ([`explain`]). The crate's errors do
//! not say which tensor is wrong or how (`invalid shape, data type, or offset for tensor`, a serde
//! message for an unknown dtype), so when it rejects a header, `explain` reads the header again and
//! names the tensor and the problem. The crate's verdict decides; `explain` checks nothing the
//! crate does not, and when it finds nothing more specific, the crate's own message is given.

use safetensors::tensor::TensorInfo as HeaderEntry;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::Deserialize;
use serde_json::Value;

use super::TensorInfo;
use super::dtype::DType;
use super::source::{MAX_TENSORS, Parsed, Payload, RawLoc, numel, raw_info, unsupported_info};

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let (header_len, header) = SafeTensors::read_metadata(bytes).map_err(|e| explain(bytes, &e))?;
    let tensors = header.tensors();
    if tensors.len() > MAX_TENSORS {
        return Err(format!(
            "header lists {} tensors (limit {MAX_TENSORS})",
            tensors.len()
        ));
    }
    let data_start = 8 + header_len;
    let mut entries: Vec<_> = tensors
        .into_iter()
        .map(|(name, entry)| listing(name, entry, data_start))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    // Key order, as the JSON object was read before.
    let mut metadata: Vec<(String, String)> = header
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    metadata.sort();
    Ok(Parsed {
        metadata,
        entries: entries.into_iter().map(|(_, i, p)| (i, p)).collect(),
        ..Parsed::default()
    })
}

/// One checked header entry as bitlens lists it, with its offset in the buffer (the listing
/// order): where its bytes lie in the file, decoded only on demand.
fn listing(name: String, entry: &HeaderEntry, data_start: usize) -> (usize, TensorInfo, Payload) {
    let (begin, end) = entry.data_offsets;
    // The crate checked begin ≤ end ≤ the buffer's length.
    let len = end - begin;
    let shape = entry.shape.clone();
    let dtype_name = entry.dtype.to_string();
    if let Some(dtype) = DType::from_safetensors(&dtype_name) {
        let loc = RawLoc::contiguous(0, data_start + begin, len, dtype);
        let info = raw_info(name, shape, dtype, len as u64);
        return (begin, info, Payload::Raw(loc));
    }
    // F4, F6_*, F8_E8M0, C64 (and any dtype a later crate adds).
    let why = format!("dtype {dtype_name} is listed but not decoded by bitlens");
    let (info, payload) = unsupported_info(name, shape, dtype_name, len as u64, why);
    (begin, info, payload)
}

/// The crate's rejection of a file, in words that name the tensor and the problem.
fn explain(bytes: &[u8], err: &SafeTensorError) -> String {
    let n = bytes
        .get(..8)
        .and_then(|h| h.try_into().ok())
        .map_or(0, u64::from_le_bytes);
    let after = bytes.len().saturating_sub(8);
    match err {
        SafeTensorError::HeaderTooSmall => format!(
            "file is {} bytes, shorter than the 8-byte header length",
            bytes.len()
        ),
        SafeTensorError::HeaderTooLarge => format!("header length {n} exceeds the 100 MB limit"),
        SafeTensorError::InvalidHeaderLength => {
            format!("header length {n} is longer than the {after} bytes that follow")
        }
        SafeTensorError::InvalidHeader(e) => format!("header is not UTF-8: {e}"),
        other => {
            // Here the header lies inside the file and is UTF-8 (the crate checks that first).
            let header = usize::try_from(n)
                .ok()
                .and_then(|n| {
                    Some((
                        bytes.get(8..8_usize.checked_add(n)?)?,
                        after.checked_sub(n)?,
                    ))
                })
                .and_then(|(h, data_len)| Some((std::str::from_utf8(h).ok()?, data_len)));
            header
                .and_then(|(text, data_len)| header_problem(text, data_len).err())
                .unwrap_or_else(|| format!("rejected by the safetensors reader: {other}"))
        }
    }
}

/// The first problem in a header, with the crate's checks: `Err` names it.
fn header_problem(text: &str, data_len: usize) -> Result<(), String> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| format!("header is not valid JSON: {e}"))?;
    let Value::Object(map) = root else {
        return Err("header JSON is not an object".into());
    };
    let mut ranges = Vec::new();
    for (name, value) in &map {
        if name == "__metadata__" {
            metadata_problem(value)?;
        } else {
            ranges.push(entry_range(name, value, data_len)?);
        }
    }
    layout_problem(ranges, data_len)
}

/// `__metadata__` must map strings to strings.
fn metadata_problem(value: &Value) -> Result<(), String> {
    let Value::Object(meta) = value else {
        return Err("__metadata__ is not an object".into());
    };
    match meta.iter().find(|(_, v)| !v.is_string()) {
        Some((k, _)) => Err(format!("__metadata__ value of `{k}` is not a string")),
        None => Ok(()),
    }
}

/// One tensor's byte range `(begin, end, name)` in the buffer, or what is wrong with its entry.
fn entry_range(
    name: &str,
    value: &Value,
    data_len: usize,
) -> Result<(usize, usize, String), String> {
    let fail = |problem: String| format!("tensor `{name}`: {problem}");
    let entry = value
        .as_object()
        .ok_or_else(|| fail("entry is not an object".into()))?;
    let dtype_value = entry
        .get("dtype")
        .filter(|d| d.is_string())
        .ok_or_else(|| fail("missing dtype".into()))?;
    let dtype_name = dtype_value.as_str().unwrap_or_default();
    let dtype = Dtype::deserialize(dtype_value)
        .map_err(|_| fail(format!("unknown dtype `{dtype_name}`")))?;
    let shape = entry
        .get("shape")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("missing shape".into()))?
        .iter()
        .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| fail("shape entries must be non-negative integers".into()))?;
    let (begin, end) = entry
        .get("data_offsets")
        .and_then(Value::as_array)
        .filter(|a| a.len() == 2)
        .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
        .ok_or_else(|| fail("data_offsets must be [begin, end]".into()))?;
    if begin > end || end > data_len as u64 {
        return Err(fail(format!(
            "data_offsets [{begin}, {end}] outside the {data_len}-byte buffer"
        )));
    }
    let bits = numel(&shape).map_err(fail)? as u128 * dtype.bitsize() as u128;
    if !bits.is_multiple_of(8) {
        return Err(fail(format!(
            "{dtype_name} {shape:?} is not a whole number of bytes"
        )));
    }
    let (want, len) = (bits / 8, end - begin);
    if want != u128::from(len) {
        return Err(fail(format!(
            "{dtype_name} {shape:?} needs {want} bytes but data_offsets span {len}"
        )));
    }
    Ok((begin as usize, end as usize, name.to_owned()))
}

/// The tensors must tile the buffer: in offset order each starts where the one before ends, and
/// the last ends where the file does.
fn layout_problem(mut ranges: Vec<(usize, usize, String)>, data_len: usize) -> Result<(), String> {
    ranges.sort();
    let (mut end, mut before) = (0, None::<&str>);
    for (begin, stop, name) in &ranges {
        if *begin < end {
            let other = before.unwrap_or_default();
            return Err(format!("tensors `{other}` and `{name}` overlap"));
        }
        if *begin > end {
            return Err(format!(
                "bytes {end}..{begin} of the buffer, before tensor `{name}`, belong to no tensor"
            ));
        }
        (end, before) = (*stop, Some(name.as_str()));
    }
    if end < data_len {
        return Err(format!(
            "bytes {end}..{data_len} of the buffer, after the last tensor, belong to no tensor"
        ));
    }
    Ok(())
}

/// Serialize f32 tensors as a safetensors file (used by `bitlens train` and tests).
/// `metadata` goes into `__metadata__`. Names must be unique.
pub fn write_f32(tensors: &[crate::tensor::Tensor], metadata: &[(String, String)]) -> Vec<u8> {
    let shapes: Vec<(&str, &[usize])> = tensors
        .iter()
        .map(|t| (t.name.as_str(), &t.shape[..]))
        .collect();
    let mut out = f32_header(&shapes, metadata);
    for t in tensors {
        out.extend_from_slice(&f32_bytes(&t.data));
    }
    out
}

/// The 8-byte length and JSON header of an F32 safetensors file holding tensors of these names
/// and shapes in this order; the data follows as each tensor's [`f32_bytes`] (streamed exports).
pub fn f32_header(tensors: &[(&str, &[usize])], metadata: &[(String, String)]) -> Vec<u8> {
    let entries: Vec<(&str, &str, &[usize], usize)> = tensors
        .iter()
        .map(|&(name, shape)| (name, "F32", shape, shape.iter().product::<usize>() * 4))
        .collect();
    stream_header(&entries, metadata)
}

/// [`f32_header`] for tensors of any safetensors dtype: `(name, dtype, shape, bytes)` in the order
/// their data follows.
pub fn stream_header(
    tensors: &[(&str, &str, &[usize], usize)],
    metadata: &[(String, String)],
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if !metadata.is_empty() {
        let meta: serde_json::Map<String, Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        header.insert("__metadata__".into(), Value::Object(meta));
    }
    let mut offset = 0usize;
    for &(name, dtype, shape, len) in tensors {
        header.insert(
            name.to_owned(),
            serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    let mut json = serde_json::to_vec(&Value::Object(header)).unwrap_or_default();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + json.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out
}

/// Little-endian bytes of f32 values.
pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn problem(header: &str, data: &[u8]) -> String {
        parse(&file(header, data)).err().expect("should be refused")
    }

    #[test]
    fn lists_in_offset_order_with_metadata_in_key_order() {
        let header = concat!(
            r#"{"__metadata__":{"z":"1","a":"2"},"#,
            r#""b":{"dtype":"F32","shape":[1],"data_offsets":[5,9]},"#,
            r#""e":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"#,
            r#""a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]},"#,
            r#""c":{"dtype":"BF16","shape":[2],"data_offsets":[1,5]}}"#
        );
        let Ok(parsed) = parse(&file(header, &[0; 9])) else {
            panic!("refused")
        };
        let names: Vec<&str> = parsed
            .entries
            .iter()
            .map(|(i, _)| i.name.as_str())
            .collect();
        assert_eq!(names, ["a", "e", "c", "b"]);
        assert_eq!(
            parsed.metadata,
            [("a".into(), "2".into()), ("z".into(), "1".into())]
        );
        let (f4, _) = &parsed.entries[0];
        assert!(!f4.supported && f4.note.as_deref().unwrap().contains("F4"));
    }

    #[test]
    fn refusals_the_crate_makes_are_worded_naming_the_tensor() {
        let gap = r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#;
        let msg = problem(gap, &[0; 12]);
        assert!(msg.contains("bytes 4..8") && msg.contains("`y`"), "{msg}");
        let tail = r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        assert!(problem(tail, &[0; 6]).contains("bytes 4..6"));
        let meta =
            r#"{"__metadata__":{"n":1},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        assert!(problem(meta, &[0; 4]).contains("`n` is not a string"));
        let odd = r#"{"x":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#;
        assert!(problem(odd, &[0; 2]).contains("whole number of bytes"));
        let missing = r#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#;
        assert!(problem(missing, &[0; 4]).contains("tensor `x`: missing dtype"));
        assert!(problem("[1, 2]", &[]).contains("not an object"));
        assert!(parse(&[1, 0]).err().unwrap().contains("2 bytes"));
    }
}
