//! safetensors: `u64` LE header length N, N bytes of UTF-8 JSON, then the byte buffer.
//!
//! JSON: `name → {"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the
//! buffer) plus an optional `"__metadata__": {str: str}`. Checked here: header inside the file
//! and ≤ 100 MB, known dtype, `end − begin` = numel × element size (with overflow checks),
//! offsets inside the buffer, no two tensors overlapping.

use serde_json::Value;

use super::dtype::DType;
use super::source::{MAX_TENSORS, Parsed, Payload, RawLoc, numel, raw_info, unsupported_info};

/// The safetensors crate's cap on the JSON header.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Known safetensors dtypes that bitlens lists but does not decode, with their bit widths.
fn undecoded_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "F8_E8M0" => 8,
        "C64" => 64,
        _ => return None,
    })
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let head: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            format!(
                "file is {} bytes, shorter than the 8-byte header length",
                bytes.len()
            )
        })?;
    let n = u64::from_le_bytes(head);
    if n > MAX_HEADER_BYTES {
        return Err(format!("header length {n} exceeds the 100 MB limit"));
    }
    let avail = bytes.len() as u64 - 8;
    if n > avail {
        return Err(format!(
            "header length {n} is longer than the {avail} bytes that follow"
        ));
    }
    let header_end = 8 + n as usize;
    let json = &bytes[8..header_end];
    let text = std::str::from_utf8(json).map_err(|e| format!("header is not UTF-8: {e}"))?;
    let root: Value =
        serde_json::from_str(text).map_err(|e| format!("header is not valid JSON: {e}"))?;
    let Value::Object(map) = root else {
        return Err("header JSON is not an object".into());
    };
    if map.len() > MAX_TENSORS {
        return Err(format!(
            "header lists {} entries (limit {MAX_TENSORS})",
            map.len()
        ));
    }
    let data_len = bytes.len() - header_end;
    let mut parsed = Parsed::default();
    let mut ranges: Vec<(usize, usize, String)> = Vec::new();
    let mut entries = Vec::new();
    for (name, value) in &map {
        if name == "__metadata__" {
            let Value::Object(meta) = value else {
                return Err("__metadata__ is not an object".into());
            };
            for (k, v) in meta {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                parsed.metadata.push((k.clone(), v));
            }
            continue;
        }
        let entry = value
            .as_object()
            .ok_or_else(|| format!("tensor `{name}`: entry is not an object"))?;
        let dtype_name = entry
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("tensor `{name}`: missing dtype"))?;
        let shape = entry
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("tensor `{name}`: missing shape"))?
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                format!("tensor `{name}`: shape entries must be non-negative integers")
            })?;
        let offsets = entry
            .get("data_offsets")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?)))
            .ok_or_else(|| format!("tensor `{name}`: data_offsets must be [begin, end]"))?;
        let (begin, end) = offsets;
        if begin > end || end > data_len as u64 {
            return Err(format!(
                "tensor `{name}`: data_offsets [{begin}, {end}] outside the {data_len}-byte buffer"
            ));
        }
        let (begin, end) = (begin as usize, end as usize);
        let n = numel(&shape).map_err(|e| format!("tensor `{name}`: {e}"))?;
        let len = end - begin;
        if let Some(dtype) = DType::from_safetensors(dtype_name) {
            let want = n
                .checked_mul(dtype.size_bytes())
                .ok_or_else(|| format!("tensor `{name}`: size overflows"))?;
            if want != len {
                return Err(format!(
                    "tensor `{name}`: {dtype_name} {shape:?} needs {want} bytes but data_offsets span {len}"
                ));
            }
            let loc = RawLoc::contiguous(0, header_end + begin, len, dtype);
            entries.push((
                begin,
                raw_info(name.clone(), shape, dtype, len as u64),
                Payload::Raw(loc),
            ));
        } else if let Some(bits) = undecoded_bits(dtype_name) {
            let want = (n as u128 * u128::from(bits)).div_ceil(8);
            if want != len as u128 {
                return Err(format!(
                    "tensor `{name}`: {dtype_name} {shape:?} needs {want} bytes but data_offsets span {len}"
                ));
            }
            let (info, payload) = unsupported_info(
                name.clone(),
                shape,
                dtype_name.to_owned(),
                len as u64,
                format!("dtype {dtype_name} is listed but not decoded by bitlens"),
            );
            entries.push((begin, info, payload));
        } else {
            return Err(format!("tensor `{name}`: unknown dtype `{dtype_name}`"));
        }
        if len > 0 {
            ranges.push((begin, end, name.clone()));
        }
    }
    ranges.sort();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(format!("tensors `{}` and `{}` overlap", w[0].2, w[1].2));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    parsed.entries = entries.into_iter().map(|(_, i, p)| (i, p)).collect();
    Ok(parsed)
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
