//! PyTorch checkpoints (`.pt`, `.pth`, `.bin`) through the restricted unpickler.
//!
//! - Zip format (torch ≥ 1.6): `<archive>/data.pkl` (the object tree), `<archive>/data/<key>`
//!   (raw little-endian storage bytes, usually stored uncompressed: read by offset),
//!   `<archive>/byteorder` (optional, must be `little`).
//! - Legacy format (torch < 1.6): pickles of the magic number, the protocol version (1001) and
//!   sys info, the main pickle, the sorted storage keys; then per key an `i64` element count and
//!   the raw data. A correct file ends exactly there.
//!
//! Nested state dicts (`{"state_dict": …}`, `{"model": …}`) are flattened with dots; scalar
//! entries (epoch, step, …) become metadata. TorchScript archives are reported as unsupported.

use std::collections::BTreeMap;

use super::dtype::DType;
use super::pickle::{StorageRef, TensorRef, Value, storage_elem_size, unpickle};
use super::source::{Parsed, Payload, RawLoc, raw_info, unsupported_info};
use super::zip;

const MAX_DEPTH: usize = 32;

/// Walk the object tree: tensors with dotted names, scalars into metadata.
fn flatten(
    prefix: &str,
    v: &Value,
    tensors: &mut Vec<(String, TensorRef)>,
    meta: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("object tree nested too deeply".into());
    }
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Dict(items) => {
            for (k, v) in items {
                let key = match k {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                flatten(&join(&key), v, tensors, meta, depth + 1)?;
            }
        }
        Value::List(xs) | Value::Tuple(xs) => {
            if xs.iter().any(|x| {
                matches!(
                    x,
                    Value::Tensor(_) | Value::Dict(_) | Value::List(_) | Value::Tuple(_)
                )
            }) {
                for (i, x) in xs.iter().enumerate() {
                    flatten(&join(&i.to_string()), x, tensors, meta, depth + 1)?;
                }
            } else if !prefix.is_empty() && xs.len() <= 16 {
                meta.push((prefix.to_owned(), scalar_list(xs)));
            }
        }
        Value::Tensor(t) => tensors.push((
            if prefix.is_empty() {
                "tensor".into()
            } else {
                prefix.to_owned()
            },
            t.clone(),
        )),
        Value::Int(i) if !prefix.is_empty() => meta.push((prefix.to_owned(), i.to_string())),
        Value::Float(f) if !prefix.is_empty() => meta.push((prefix.to_owned(), f.to_string())),
        Value::Str(s) if !prefix.is_empty() => meta.push((prefix.to_owned(), s.clone())),
        Value::Bool(b) if !prefix.is_empty() => meta.push((prefix.to_owned(), b.to_string())),
        _ => {}
    }
    Ok(())
}

fn scalar_list(xs: &[Value]) -> String {
    let parts: Vec<String> = xs
        .iter()
        .map(|x| match x {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => format!("{s:?}"),
            Value::Bool(b) => b.to_string(),
            _ => "…".into(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn to_usizes(v: &[u64], what: &str) -> Result<Vec<usize>, String> {
    v.iter()
        .map(|&x| usize::try_from(x).map_err(|_| format!("{what} {x} too large")))
        .collect()
}

/// Where a storage's bytes are: (offset, length in bytes) in the file, or a deflated member.
enum StorageAt {
    Stored {
        offset: usize,
        len: usize,
    },
    Deflated {
        offset: usize,
        compressed: usize,
        uncompressed: usize,
    },
}

fn tensor_entry(
    name: String,
    t: &TensorRef,
    at: Option<&StorageAt>,
) -> Result<(super::TensorInfo, Payload), String> {
    let shape = to_usizes(&t.shape, "dimension").map_err(|e| format!("tensor `{name}`: {e}"))?;
    let strides = to_usizes(&t.strides, "stride").map_err(|e| format!("tensor `{name}`: {e}"))?;
    let elem_offset =
        usize::try_from(t.offset).map_err(|_| format!("tensor `{name}`: offset too large"))?;
    let Some(dtype) = t.storage.dtype else {
        return Ok(unsupported_info(
            name,
            shape,
            t.storage.type_name.to_owned(),
            0,
            format!("{} is not decoded by bitlens", t.storage.type_name),
        ));
    };
    let at = at.ok_or_else(|| {
        format!(
            "tensor `{name}`: storage `{}` is missing from the file",
            t.storage.key
        )
    })?;
    let numel = super::source::numel(&shape).map_err(|e| format!("tensor `{name}`: {e}"))?;
    let size_bytes = (numel as u64).saturating_mul(dtype.size_bytes() as u64);
    // The storage as stored, or (deflated) its inflated bytes.
    let (offset, held) = match *at {
        StorageAt::Stored { offset, len } => (offset, len),
        StorageAt::Deflated { uncompressed, .. } => (0, uncompressed),
    };
    let loc = RawLoc {
        src: 0,
        offset,
        len: storage_bytes(&name, t, dtype, held)?,
        dtype,
        big_endian: false,
        elem_offset,
        strides: (!is_contiguous(&shape, &strides)).then_some(strides),
    };
    loc.validate(&shape, usize::MAX)
        .map_err(|e| format!("tensor `{name}`: {e}"))?;
    let payload = match *at {
        StorageAt::Stored { .. } => Payload::Raw(loc),
        StorageAt::Deflated {
            offset,
            compressed,
            uncompressed,
        } => Payload::Deflated {
            src: 0,
            offset,
            compressed,
            uncompressed,
            inner: loc,
        },
    };
    Ok((raw_info(name, shape, dtype, size_bytes), payload))
}

/// Whether `strides` are the C-order strides of `shape` (size-1 axes may have any stride).
fn is_contiguous(shape: &[usize], strides: &[usize]) -> bool {
    let mut expect = 1usize;
    let mut ok = true;
    for (&d, &s) in shape.iter().zip(strides).rev() {
        if d > 1 && s != expect {
            ok = false;
        }
        expect = expect.saturating_mul(d);
    }
    ok
}

/// The bytes of tensor `name`'s storage: its declared element count × the element size, which
/// must fit in the `held` bytes the file has for it.
fn storage_bytes(name: &str, t: &TensorRef, dtype: DType, held: usize) -> Result<usize, String> {
    let want = usize::try_from(t.storage.numel)
        .ok()
        .and_then(|n| n.checked_mul(dtype.size_bytes()));
    match want {
        Some(w) if w <= held => Ok(w),
        _ => Err(format!(
            "tensor `{name}`: storage `{}` declares {} elements but holds {held} bytes",
            t.storage.key, t.storage.numel
        )),
    }
}

pub(crate) fn parse_zip(b: &[u8]) -> Result<Parsed, String> {
    let entries = zip::entries(b)?;
    let pkl = entries
        .iter()
        .find(|e| e.name == "data.pkl" || e.name.ends_with("/data.pkl"))
        .ok_or("zip archive has no data.pkl")?;
    let prefix = pkl.name.strip_suffix("data.pkl").unwrap_or("").to_owned();
    if entries
        .iter()
        .any(|e| e.name.starts_with(&format!("{prefix}code/")))
    {
        return Err("TorchScript archives (with code/) are not supported; save a state_dict with torch.save".into());
    }
    if let Some(bo) = entries
        .iter()
        .find(|e| e.name == format!("{prefix}byteorder"))
    {
        let order = zip::read(b, bo)?;
        if order.trim_ascii() != b"little" {
            return Err("big-endian PyTorch archives are not supported".into());
        }
    }
    let pickle = zip::read(b, pkl)?;
    let root = unpickle(&pickle)
        .map_err(|e| format!("data.pkl: {e}"))?
        .value;
    let mut tensors = Vec::new();
    let mut parsed = Parsed::default();
    flatten("", &root, &mut tensors, &mut parsed.metadata, 0)?;
    let by_name: BTreeMap<&str, &zip::Entry> =
        entries.iter().map(|e| (e.name.as_str(), e)).collect();
    for (name, t) in tensors {
        let member = format!("{prefix}data/{}", t.storage.key);
        let at = by_name.get(member.as_str()).map(|e| match e.method {
            0 => Ok(StorageAt::Stored {
                offset: e.data_offset,
                len: e.compressed,
            }),
            8 => Ok(StorageAt::Deflated {
                offset: e.data_offset,
                compressed: e.compressed,
                uncompressed: e.uncompressed,
            }),
            m => Err(format!(
                "member `{member}` uses unsupported compression method {m}"
            )),
        });
        let at = at.transpose()?;
        parsed.entries.push(tensor_entry(name, &t, at.as_ref())?);
    }
    Ok(parsed)
}

/// Legacy magic number 0x1950a86a20f9469cfc6c, low 64 bits as the unpickler keeps them.
const LEGACY_MAGIC_LOW: i64 = i64::from_le_bytes([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]);

fn collect_storages(v: &Value, out: &mut BTreeMap<String, StorageRef>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Tensor(t) => {
            out.insert(t.storage.key.clone(), t.storage.clone());
        }
        Value::Storage(s) => {
            out.insert(s.key.clone(), s.clone());
        }
        Value::Dict(items) => items
            .iter()
            .for_each(|(_, v)| collect_storages(v, out, depth + 1)),
        Value::List(xs) | Value::Tuple(xs) => {
            xs.iter().for_each(|x| collect_storages(x, out, depth + 1));
        }
        _ => {}
    }
}

pub(crate) fn parse_legacy(b: &[u8]) -> Result<Parsed, String> {
    let mut p = 0usize;
    let next = |what: &str, p: &mut usize| -> Result<Value, String> {
        let u = unpickle(&b[*p..]).map_err(|e| format!("legacy checkpoint, {what}: {e}"))?;
        *p += u.consumed;
        Ok(u.value)
    };
    if next("magic number", &mut p)? != Value::Int(LEGACY_MAGIC_LOW) {
        return Err(
            "pickle file without the PyTorch legacy magic number (not a checkpoint)".into(),
        );
    }
    if next("protocol version", &mut p)? != Value::Int(1001) {
        return Err("unsupported legacy protocol version (expected 1001)".into());
    }
    if let Value::Dict(info) = next("sys info", &mut p)? {
        let le = info
            .iter()
            .find(|(k, _)| *k == Value::Str("little_endian".into()));
        if let Some((_, Value::Bool(false))) = le {
            return Err("big-endian legacy checkpoints are not supported".into());
        }
    }
    let root = next("object tree", &mut p)?;
    let keys = match next("storage keys", &mut p)? {
        Value::List(ks) => ks
            .into_iter()
            .map(|k| match k {
                Value::Str(s) => Ok(s),
                Value::Int(i) => Ok(i.to_string()),
                _ => Err("storage key list holds a non-string".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("storage key list is not a list".into()),
    };
    let mut storages = BTreeMap::new();
    collect_storages(&root, &mut storages, 0);
    let mut located = BTreeMap::new();
    for key in keys {
        let s = storages
            .get(&key)
            .ok_or_else(|| format!("storage `{key}` is not used by any tensor"))?;
        let head = b
            .get(p..p + 8)
            .ok_or_else(|| format!("file ends before storage `{key}`"))?;
        let numel = u64::from_le_bytes(head.try_into().map_err(|_| "truncated")?);
        p += 8;
        let len = usize::try_from(numel)
            .ok()
            .and_then(|n| n.checked_mul(storage_elem_size(s)))
            .filter(|&l| l <= b.len() - p)
            .ok_or_else(|| {
                format!("storage `{key}`: {numel} elements run past the end of the file")
            })?;
        located.insert(key, StorageAt::Stored { offset: p, len });
        p += len;
    }
    if p != b.len() {
        return Err(format!(
            "{} trailing bytes after the last storage",
            b.len() - p
        ));
    }
    let mut tensors = Vec::new();
    let mut parsed = Parsed::default();
    flatten("", &root, &mut tensors, &mut parsed.metadata, 0)?;
    for (name, t) in tensors {
        parsed
            .entries
            .push(tensor_entry(name, &t, located.get(&t.storage.key))?);
    }
    Ok(parsed)
}
