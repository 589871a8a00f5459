//! Reading values out of a [`Payload`]: whole tensors to f32, element ranges, bit-pattern
//! counts (bf16/f16 statistics), and the raw bytes of integer tensors that exports copy.

use super::dtype::{DType, decode_contiguous, decode_strided};
use super::source::{Payload, RawLoc, Source, numel};

/// The safetensors name of a dtype stored as plain little-endian values, if it has one.
pub(crate) fn safetensors_name(dtype: super::dtype::DType) -> Option<&'static str> {
    use super::dtype::DType;
    Some(match dtype {
        DType::F64 => "F64",
        DType::F32 => "F32",
        DType::F16 => "F16",
        DType::BF16 => "BF16",
        DType::F8E4M3 => "F8_E4M3",
        DType::F8E5M2 => "F8_E5M2",
        DType::I64 => "I64",
        DType::I32 => "I32",
        DType::I16 => "I16",
        DType::I8 => "I8",
        DType::U64 => "U64",
        DType::U32 => "U32",
        DType::U16 => "U16",
        DType::U8 => "U8",
        DType::Bool => "BOOL",
        _ => return None,
    })
}

/// The dtype name and size in bytes of a payload that [`raw_bytes`] can copy.
pub(crate) fn raw_layout(payload: &Payload, n: usize) -> Option<(&'static str, usize)> {
    let Payload::Raw(loc) = payload else {
        return None;
    };
    if loc.strides.is_some() {
        return None;
    }
    Some((
        safetensors_name(loc.dtype)?,
        n.checked_mul(loc.dtype.size_bytes())?,
    ))
}

/// The `n` stored values of a contiguous payload as little-endian bytes, with their
/// safetensors dtype name (`None`: strided, quantized blocks, or a dtype safetensors lacks).
pub(crate) fn raw_bytes(
    payload: &Payload,
    sources: &[Source],
    n: usize,
) -> Option<(&'static str, Vec<u8>)> {
    let (name, len) = raw_layout(payload, n)?;
    let Payload::Raw(loc) = payload else {
        return None;
    };
    let size = loc.dtype.size_bytes();
    let start = loc.offset.checked_add(loc.elem_offset.checked_mul(size)?)?;
    let end = start.checked_add(len)?;
    let mut bytes = sources.get(loc.src)?.bytes().get(start..end)?.to_vec();
    if loc.big_endian && size > 1 {
        for c in bytes.chunks_exact_mut(size) {
            c.reverse();
        }
    }
    Some((name, bytes))
}

/// [`raw_bytes`] of integer and boolean payloads only.
pub(crate) fn raw_integer_bytes(
    payload: &Payload,
    sources: &[Source],
    n: usize,
) -> Option<(&'static str, Vec<u8>)> {
    use super::dtype::DType;
    let Payload::Raw(loc) = payload else {
        return None;
    };
    let integer = !matches!(
        loc.dtype,
        DType::F64 | DType::F32 | DType::F16 | DType::BF16 | DType::F8E4M3 | DType::F8E5M2
    );
    if !integer {
        return None;
    }
    raw_bytes(payload, sources, n)
}

/// The ggml type id and stored bytes of a GGUF block payload, or of a plain payload whose
/// dtype GGUF has (F32, F16, BF16, F64, I8…I64): a GGUF export copies them as they are.
pub(crate) fn raw_ggml_bytes(
    payload: &Payload,
    sources: &[Source],
    n: usize,
) -> Option<(u32, Vec<u8>)> {
    if let Payload::Ggml {
        src,
        offset,
        len,
        ty,
    } = payload
    {
        let bytes = sources
            .get(*src)?
            .bytes()
            .get(*offset..offset.checked_add(*len)?)?;
        return Some((*ty, bytes.to_vec()));
    }
    let (name, bytes) = raw_bytes(payload, sources, n)?;
    Some((ggml_id_of(name)?, bytes))
}

/// The ggml type id and byte length [`raw_ggml_bytes`] would give, without reading.
pub(crate) fn ggml_layout(payload: &Payload, n: usize) -> Option<(u32, usize)> {
    if let Payload::Ggml { len, ty, .. } = payload {
        return Some((*ty, *len));
    }
    let (name, len) = raw_layout(payload, n)?;
    Some((ggml_id_of(name)?, len))
}

/// The ggml type id of a plain safetensors dtype name GGUF can store.
pub(crate) fn ggml_id_of(safetensors: &str) -> Option<u32> {
    Some(match safetensors {
        "F32" => 0,
        "F16" => 1,
        "I8" => 24,
        "I16" => 25,
        "I32" => 26,
        "I64" => 27,
        "F64" => 28,
        "BF16" => 30,
        _ => return None,
    })
}

/// Decode a payload to `f32` values in C order of `shape`.
pub(crate) fn decode(
    payload: &Payload,
    sources: &[Source],
    shape: &[usize],
) -> Result<Vec<f32>, String> {
    let src_bytes = |src: usize| -> Result<&[u8], String> {
        sources
            .get(src)
            .map(Source::bytes)
            .ok_or_else(|| "missing data source".to_string())
    };
    match payload {
        Payload::Raw(loc) => {
            let bytes = src_bytes(loc.src)?;
            decode_loc(loc, bytes, shape)
        }
        Payload::Deflated {
            src,
            offset,
            compressed,
            uncompressed,
            inner,
        } => {
            let bytes = src_bytes(*src)?;
            let end = offset.checked_add(*compressed).ok_or("offset overflow")?;
            let data = bytes
                .get(*offset..end)
                .ok_or("compressed data outside the file")?;
            let buf = super::zip::inflate(data, *uncompressed)?;
            decode_loc(inner, &buf, shape)
        }
        Payload::Values(v) => {
            if v.len() != numel(shape)? {
                return Err("value count differs from the shape".into());
            }
            Ok(v.to_vec())
        }
        Payload::Ggml {
            src,
            offset,
            len,
            ty,
        } => {
            let bytes = src_bytes(*src)?;
            let end = offset.checked_add(*len).ok_or("offset overflow")?;
            let data = bytes
                .get(*offset..end)
                .ok_or("tensor data outside the file")?;
            super::gguf::dequantize(*ty, data, numel(shape)?)
        }
        Payload::Unsupported(why) => Err(why.clone()),
    }
}

/// Whether a payload's elements can be decoded range by range straight from its source
/// (contiguous raw storage); other payloads decode whole.
pub(crate) fn streams(payload: &Payload) -> bool {
    matches!(payload, Payload::Raw(loc) if loc.strides.is_none())
        || matches!(payload, Payload::Values(_))
}

/// Decode elements `start .. start + out.len()` (C order) of a streaming payload into `out`.
pub(crate) fn decode_range(
    payload: &Payload,
    sources: &[Source],
    shape: &[usize],
    start: usize,
    out: &mut [f32],
) -> Result<(), String> {
    let n = numel(shape)?;
    let end = start.checked_add(out.len()).filter(|&e| e <= n);
    if end.is_none() {
        return Err(format!(
            "elements {start}.. lie outside the {n}-element tensor"
        ));
    }
    match payload {
        Payload::Raw(loc) if loc.strides.is_none() => {
            let bytes = sources
                .get(loc.src)
                .map(Source::bytes)
                .ok_or("missing data source")?;
            loc.validate(shape, bytes.len())?;
            let size = loc.dtype.size_bytes();
            let first = loc.offset + (loc.elem_offset + start) * size;
            super::dtype::decode_into(loc.dtype, loc.big_endian, &bytes[first..], out);
            Ok(())
        }
        Payload::Values(v) if v.len() == n => {
            out.copy_from_slice(&v[start..start + out.len()]);
            Ok(())
        }
        _ => Err("this tensor's storage cannot be read in ranges".into()),
    }
}

/// For contiguous raw 16-bit float storage (bf16, f16): how often each of the 65,536 bit
/// patterns occurs, counted in one parallel pass straight over the file's bytes (`None` for
/// other payloads).
pub(crate) fn pattern_counts(
    payload: &Payload,
    sources: &[Source],
    shape: &[usize],
) -> Result<Option<(DType, Vec<u64>)>, String> {
    use rayon::prelude::*;
    let Payload::Raw(loc) = payload else {
        return Ok(None);
    };
    if loc.strides.is_some() || !matches!(loc.dtype, DType::BF16 | DType::F16) {
        return Ok(None);
    }
    let bytes = sources
        .get(loc.src)
        .map(Source::bytes)
        .ok_or("missing data source")?;
    loc.validate(shape, bytes.len())?;
    let n = numel(shape)?;
    if n >= u32::MAX as usize {
        return Ok(None); // per-thread u32 counts could overflow
    }
    let first = loc.offset + loc.elem_offset * 2;
    let data = &bytes[first..first + 2 * n];
    let be = loc.big_endian;
    let counts = data
        .par_chunks(1 << 20)
        .fold(
            || vec![0u32; 1 << 16],
            |mut h, c| {
                for b in c.chunks_exact(2) {
                    let bits = if be {
                        u16::from_be_bytes([b[0], b[1]])
                    } else {
                        u16::from_le_bytes([b[0], b[1]])
                    };
                    h[usize::from(bits)] += 1;
                }
                h
            },
        )
        .map(|h| h.into_iter().map(u64::from).collect::<Vec<u64>>())
        .reduce(
            || vec![0u64; 1 << 16],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    Ok(Some((loc.dtype, counts)))
}

fn decode_loc(loc: &RawLoc, bytes: &[u8], shape: &[usize]) -> Result<Vec<f32>, String> {
    loc.validate(shape, bytes.len())?;
    let storage = &bytes[loc.offset..loc.offset + loc.len];
    let n = numel(shape)?;
    match &loc.strides {
        None => {
            let size = loc.dtype.size_bytes();
            let start = loc.elem_offset * size;
            Ok(decode_contiguous(
                loc.dtype,
                loc.big_endian,
                &storage[start..start + n * size],
            ))
        }
        Some(strides) => Ok(decode_strided(
            loc.dtype,
            loc.big_endian,
            storage,
            loc.elem_offset,
            shape,
            strides,
        )),
    }
}
