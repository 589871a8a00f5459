//! GGUF v2/v3 (llama.cpp): header, metadata key/values, tensor infos, aligned data.
//!
//! Hand-written on purpose: the core lists GGUF files without the `run` feature, and the one
//! well-kept Rust reader (candle's `quantized::gguf_file`) lives behind it and reads tensors
//! into its own types instead of listing them lazily from the memory map.
//!
//! ```text
//! "GGUF" u32 version, u64 tensor_count, u64 kv_count
//! kv × n:     string key, u32 value type, value        (string = u64 length + UTF-8)
//! tensor × n: string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset
//! padding to general.alignment (default 32), then the data; tensor i at data_start + offset_i
//! ```
//!
//! `ne[0]` is the innermost dimension, so the listed shape is `ne` reversed (PyTorch order).
//! Big-endian files and v1 are refused with a clear message. Float/integer types decode here;
//! block-quantized types through `crate::compress::ggml_blocks`; other types are listed with
//! their name and marked unsupported (and their size is never guessed).

use super::dtype::DType;
use super::source::{MAX_TENSORS, Parsed, Payload, RawLoc, numel, raw_info, unsupported_info};
use crate::compress::ggml_blocks::{self, GgmlType};

const MAX_DIMS: usize = 4;
const MAX_KV: u64 = 1 << 20;
const MAX_DEPTH: usize = 4;

/// (name, elements per block, bytes per block) for every ggml type id; `None` = unknown size.
pub(crate) fn ggml_type_info(id: u32) -> (String, Option<(usize, usize)>) {
    let (name, size) = match id {
        0 => ("F32", Some((1, 4))),
        1 => ("F16", Some((1, 2))),
        2 => ("Q4_0", Some((32, 18))),
        3 => ("Q4_1", Some((32, 20))),
        6 => ("Q5_0", Some((32, 22))),
        7 => ("Q5_1", Some((32, 24))),
        8 => ("Q8_0", Some((32, 34))),
        9 => ("Q8_1", Some((32, 36))),
        10 => ("Q2_K", Some((256, 84))),
        11 => ("Q3_K", Some((256, 110))),
        12 => ("Q4_K", Some((256, 144))),
        13 => ("Q5_K", Some((256, 176))),
        14 => ("Q6_K", Some((256, 210))),
        15 => ("Q8_K", Some((256, 292))),
        16 => ("IQ2_XXS", Some((256, 66))),
        17 => ("IQ2_XS", Some((256, 74))),
        18 => ("IQ3_XXS", Some((256, 98))),
        19 => ("IQ1_S", Some((256, 50))),
        20 => ("IQ4_NL", Some((32, 18))),
        21 => ("IQ3_S", Some((256, 110))),
        22 => ("IQ2_S", Some((256, 82))),
        23 => ("IQ4_XS", Some((256, 136))),
        24 => ("I8", Some((1, 1))),
        25 => ("I16", Some((1, 2))),
        26 => ("I32", Some((1, 4))),
        27 => ("I64", Some((1, 8))),
        28 => ("F64", Some((1, 8))),
        29 => ("IQ1_M", Some((256, 56))),
        30 => ("BF16", Some((1, 2))),
        34 => ("TQ1_0", Some((256, 54))),
        35 => ("TQ2_0", Some((256, 66))),
        39 => ("MXFP4", Some((32, 17))),
        40 => ("NVFP4", None),
        41 => ("Q1_0", None),
        42 => ("Q2_0", None),
        _ => return (format!("ggml type {id}"), None),
    };
    (name.to_owned(), size)
}

/// Element types decoded directly (no blocks).
fn plain_dtype(id: u32) -> Option<DType> {
    Some(match id {
        0 => DType::F32,
        1 => DType::F16,
        30 => DType::BF16,
        28 => DType::F64,
        24 => DType::I8,
        25 => DType::I16,
        26 => DType::I32,
        27 => DType::I64,
        _ => return None,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| {
                format!(
                    "truncated: needs {n} bytes at offset {} but the file has {}",
                    self.p,
                    self.b.len()
                )
            })?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let s = self.take(8)?;
        Ok(u64::from_le_bytes(s.try_into().map_err(|_| "truncated")?))
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u64()?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len())
            .ok_or_else(|| format!("string length {n} at offset {} exceeds the file", self.p))?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec())
            .map_err(|_| format!("string at offset {} is not UTF-8", self.p - n))
    }
    /// A metadata value of `ty`, rendered as text (long arrays are summarised).
    fn value(&mut self, ty: u32, depth: usize) -> Result<String, String> {
        Ok(match ty {
            0 => self.u8()?.to_string(),
            1 => (self.u8()? as i8).to_string(),
            2 => u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| "truncated")?).to_string(),
            3 => i16::from_le_bytes(self.take(2)?.try_into().map_err(|_| "truncated")?).to_string(),
            4 => self.u32()?.to_string(),
            5 => (self.u32()? as i32).to_string(),
            6 => f32::from_bits(self.u32()?).to_string(),
            7 => match self.u8()? {
                0 => "false".into(),
                1 => "true".into(),
                v => return Err(format!("bool value {v} is neither 0 nor 1")),
            },
            8 => self.string()?,
            9 => {
                if depth >= MAX_DEPTH {
                    return Err("metadata arrays nested too deeply".into());
                }
                let ety = self.u32()?;
                let n = self.u64()?;
                // Every element takes at least one byte: bound the count by the bytes left.
                if n > (self.b.len() - self.p) as u64 {
                    return Err(format!("array of {n} elements is longer than the file"));
                }
                let mut shown = Vec::new();
                for i in 0..n {
                    let v = self.value(ety, depth + 1)?;
                    if i < 8 {
                        shown.push(v);
                    }
                }
                if n > 8 {
                    format!("[{}, … ({n} items)]", shown.join(", "))
                } else {
                    format!("[{}]", shown.join(", "))
                }
            }
            10 => self.u64()?.to_string(),
            11 => (self.u64()? as i64).to_string(),
            12 => f64::from_bits(self.u64()?).to_string(),
            t => return Err(format!("unknown metadata value type {t}")),
        })
    }
}

pub(crate) fn parse(b: &[u8]) -> Result<Parsed, String> {
    let mut r = Reader { b, p: 0 };
    let (version, n_tensors, n_kv) = file_header(&mut r)?;
    let mut parsed = Parsed::default();
    parsed
        .metadata
        .push(("gguf.version".into(), version.to_string()));
    let alignment = kv_section(&mut r, n_kv, &mut parsed.metadata)?;
    let infos = tensor_infos(&mut r, n_tensors)?;
    let start =
        r.p.div_ceil(alignment)
            .checked_mul(alignment)
            .ok_or("overflow")?;
    let len = b
        .len()
        .checked_sub(start)
        .ok_or("file ends before the tensor data")?;
    let data = DataSection {
        start,
        len,
        alignment,
    };
    let mut ranges = Vec::new();
    for info in infos {
        parsed.entries.push(tensor_entry(info, &data, &mut ranges)?);
    }
    ranges.sort();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(format!("tensors `{}` and `{}` overlap", w[0].2, w[1].2));
        }
    }
    Ok(parsed)
}

/// Magic, version (v2/v3, little-endian) and the two counts, checked against their limits.
fn file_header(r: &mut Reader<'_>) -> Result<(u32, u64, u64), String> {
    let magic = r.take(4)?;
    if magic != b"GGUF" && magic != b"FUGG" {
        return Err("missing the GGUF magic".into());
    }
    let version = r.u32()?;
    match version {
        2 | 3 => {}
        1 => return Err("GGUF v1 (u32 counts) is not supported; convert it to v3".into()),
        v if v.swap_bytes() == 2 || v.swap_bytes() == 3 => {
            return Err("big-endian GGUF is not supported".into());
        }
        v => return Err(format!("unsupported GGUF version {v}")),
    }
    let n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    if n_tensors > MAX_TENSORS as u64 {
        return Err(format!(
            "tensor count {n_tensors} exceeds the limit {MAX_TENSORS}"
        ));
    }
    if n_kv > MAX_KV {
        return Err(format!("metadata count {n_kv} exceeds the limit {MAX_KV}"));
    }
    Ok((version, n_tensors, n_kv))
}

/// The `n_kv` metadata entries, rendered into `metadata`; gives `general.alignment` (default 32).
fn kv_section(
    r: &mut Reader<'_>,
    n_kv: u64,
    metadata: &mut Vec<(String, String)>,
) -> Result<usize, String> {
    let mut alignment = 32usize;
    for _ in 0..n_kv {
        let key = r.string()?;
        let ty = r.u32()?;
        let at = r.p;
        let value = r
            .value(ty, 0)
            .map_err(|e| format!("metadata `{key}`: {e}"))?;
        if key == "general.alignment" {
            if ty != 4 {
                return Err("general.alignment is not a u32".into());
            }
            let a = u32::from_le_bytes(r.b[at..at + 4].try_into().map_err(|_| "truncated")?);
            let a = a as usize;
            if a == 0 || !a.is_power_of_two() {
                return Err(format!("general.alignment {a} is not a power of two"));
            }
            alignment = a;
        }
        metadata.push((key, value));
    }
    Ok(alignment)
}

/// A tensor as its info record lists it (shape in PyTorch order).
struct Info {
    name: String,
    shape: Vec<usize>,
    ty: u32,
    offset: u64,
}

/// The `n` tensor info records: name, dimensions (at most 4, element count checked), type and
/// offset.
fn tensor_infos(r: &mut Reader<'_>, n: u64) -> Result<Vec<Info>, String> {
    let mut infos = Vec::with_capacity(n.min(65_536) as usize);
    for _ in 0..n {
        let name = r.string()?;
        let n_dims = r.u32()? as usize;
        if n_dims > MAX_DIMS {
            return Err(format!(
                "tensor `{name}` has {n_dims} dimensions (max {MAX_DIMS})"
            ));
        }
        let mut ne = Vec::with_capacity(n_dims);
        for _ in 0..n_dims {
            let d = r.u64()?;
            ne.push(
                usize::try_from(d)
                    .map_err(|_| format!("tensor `{name}`: dimension {d} too large"))?,
            );
        }
        numel(&ne).map_err(|e| format!("tensor `{name}`: {e}"))?;
        let ty = r.u32()?;
        let offset = r.u64()?;
        ne.reverse();
        infos.push(Info {
            name,
            shape: ne,
            ty,
            offset,
        });
    }
    Ok(infos)
}

/// Where the tensor data lies: from `start` (aligned), `len` bytes to the end of the file.
struct DataSection {
    start: usize,
    len: usize,
    alignment: usize,
}

/// One tensor's listing and payload, its offset, block shape and extent checked; a non-empty
/// byte range goes into `ranges` for the overlap check.
fn tensor_entry(
    info: Info,
    data: &DataSection,
    ranges: &mut Vec<(usize, usize, String)>,
) -> Result<(super::TensorInfo, Payload), String> {
    let Info {
        name,
        shape,
        ty,
        offset,
    } = info;
    let (type_name, size) = ggml_type_info(ty);
    let Some((block, type_size)) = size else {
        let why = format!("ggml type {type_name} is not supported");
        return Ok(unsupported_info(name, shape, type_name, 0, why));
    };
    let alignment = data.alignment;
    if !offset.is_multiple_of(alignment as u64) {
        return Err(format!(
            "tensor `{name}`: offset {offset} is not a multiple of the alignment {alignment}"
        ));
    }
    let n = numel(&shape)?;
    let inner = shape.last().copied().unwrap_or(1);
    if !inner.is_multiple_of(block) {
        return Err(format!(
            "tensor `{name}`: {type_name} needs ne[0] = {inner} to be a multiple of {block}"
        ));
    }
    let len = (n / block)
        .checked_mul(type_size)
        .ok_or_else(|| format!("tensor `{name}`: size overflows"))?;
    let begin = usize::try_from(offset).map_err(|_| "offset too large")?;
    let end = begin.checked_add(len).ok_or("offset overflow")?;
    if end > data.len {
        return Err(format!(
            "tensor `{name}`: data [{begin}, {end}) lies outside the {}-byte data section",
            data.len
        ));
    }
    if len > 0 {
        ranges.push((begin, end, name.clone()));
    }
    Ok(listing(name, shape, ty, type_name, data.start + begin, len))
}

/// A checked tensor of `len` bytes at `abs` in the file: plain elements, ggml blocks bitlens
/// dequantizes, or listed only.
fn listing(
    name: String,
    shape: Vec<usize>,
    ty: u32,
    type_name: String,
    abs: usize,
    len: usize,
) -> (super::TensorInfo, Payload) {
    if let Some(dtype) = plain_dtype(ty) {
        let mut tinfo = raw_info(name, shape, dtype, len as u64);
        tinfo.dtype = type_name;
        return (tinfo, Payload::Raw(RawLoc::contiguous(0, abs, len, dtype)));
    }
    if GgmlType::from_id(ty).is_none() {
        let why = format!("ggml type {type_name} is listed but not dequantized by bitlens");
        return unsupported_info(name, shape, type_name, len as u64, why);
    }
    let n_params = shape.iter().map(|&d| d as u64).product();
    let tinfo = super::TensorInfo {
        name,
        shape,
        dtype: type_name,
        n_params,
        size_bytes: len as u64,
        supported: true,
        note: None,
    };
    let payload = Payload::Ggml {
        src: 0,
        offset: abs,
        len,
        ty,
    };
    (tinfo, payload)
}

/// Dequantize block data of ggml type `ty`.
pub(crate) fn dequantize(ty: u32, bytes: &[u8], n: usize) -> Result<Vec<f32>, String> {
    let t = GgmlType::from_id(ty)
        .ok_or_else(|| format!("ggml type {} is not supported", ggml_type_info(ty).0))?;
    ggml_blocks::dequantize(t, bytes, n).map_err(|e| e.to_string())
}

/// The alignment bitlens writes (llama.cpp's default; `general.alignment` is not written).
pub const ALIGNMENT: usize = 32;

/// One metadata entry (key, value type, value) as GGUF stores it.
pub fn kv_string(key: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    put_string(&mut out, key);
    out.extend_from_slice(&8u32.to_le_bytes());
    put_string(&mut out, value);
    out
}

fn put_string(out: &mut Vec<u8>, v: &str) {
    out.extend_from_slice(&(v.len() as u64).to_le_bytes());
    out.extend_from_slice(v.as_bytes());
}

/// A GGUF v3 header: the metadata `entries` (each as [`kv_string`] or [`raw_kv_entries`] give
/// them), then tensor infos `(name, shape [outer…inner], ggml type id, data bytes)` at offsets
/// aligned to [`ALIGNMENT`], padded so the data starts aligned. Each tensor's data must then be
/// written padded to [`ALIGNMENT`] ([`padding`]).
pub fn header(entries: &[Vec<u8>], tensors: &[(&str, &[usize], u32, usize)]) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for e in entries {
        out.extend_from_slice(e);
    }
    let mut offset = 0u64;
    for (name, shape, ty, len) in tensors {
        put_string(&mut out, name);
        out.extend_from_slice(&(shape.len() as u32).to_le_bytes());
        for d in shape.iter().rev() {
            out.extend_from_slice(&(*d as u64).to_le_bytes());
        }
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += (*len as u64).div_ceil(ALIGNMENT as u64) * ALIGNMENT as u64;
    }
    out.resize(out.len() + padding(out.len()), 0);
    out
}

/// Zero bytes that bring `len` up to a multiple of [`ALIGNMENT`].
pub fn padding(len: usize) -> usize {
    len.next_multiple_of(ALIGNMENT) - len
}

/// One metadata entry: its key, and the entry as stored (key, value type, value).
pub type RawEntry = (String, Vec<u8>);

/// Every metadata entry of a GGUF file as its stored bytes (key, type, value), with its key:
/// an export copies them unchanged, whatever their type.
pub fn raw_kv_entries(b: &[u8]) -> Result<Vec<RawEntry>, String> {
    let mut r = Reader { b, p: 0 };
    if r.take(4)? != b"GGUF" || !matches!(r.u32()?, 2 | 3) {
        return Err("not a little-endian GGUF v2/v3 file".into());
    }
    let _tensors = r.u64()?;
    let n_kv = r.u64()?;
    if n_kv > MAX_KV {
        return Err(format!("metadata count {n_kv} exceeds the limit {MAX_KV}"));
    }
    let mut out = Vec::new();
    for _ in 0..n_kv {
        let start = r.p;
        let key = r.string()?;
        let ty = r.u32()?;
        r.value(ty, 0)
            .map_err(|e| format!("metadata `{key}`: {e}"))?;
        out.push((key, b[start..r.p].to_vec()));
    }
    Ok(out)
}

/// Write a GGUF v3 file (for tests): `kv` string metadata, tensors as
/// `(name, shape [outer…inner], ggml type id, data bytes)`.
pub fn write_gguf(kv: &[(&str, &str)], tensors: &[(&str, &[usize], u32, &[u8])]) -> Vec<u8> {
    let entries: Vec<Vec<u8>> = kv.iter().map(|(k, v)| kv_string(k, v)).collect();
    let infos: Vec<(&str, &[usize], u32, usize)> = tensors
        .iter()
        .map(|(n, s, t, d)| (*n, *s, *t, d.len()))
        .collect();
    let mut out = header(&entries, &infos);
    for (_, _, _, data) in tensors {
        out.extend_from_slice(data);
        out.resize(out.len() + padding(out.len()), 0);
    }
    out
}
