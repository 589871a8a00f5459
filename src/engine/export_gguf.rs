//! GGUF export (v3, alignment 32), as llama.cpp's reader (`gguf` on PyPI) loads it.
//!
//! - Each tensor the setting compresses takes the GGUF type its target names (`Q4_K`, `Q8_0`,
//!   …, with llama.cpp's fallback for rows that are not a multiple of the block, e.g. Q4_K →
//!   Q5_0 → F16), an f16/bf16 cast becomes F16/BF16 and pruning alone F32. A target GGUF has
//!   no type for (int8 per channel, NF4, MX, …) is refused, naming the tensor.
//! - Tensors it leaves alone: from a GGUF file, copied with their stored type and bytes; from
//!   other files, 1-D float tensors (norms, biases) as F32 as llama.cpp's converter keeps them,
//!   others in their stored type where GGUF has it (BF16, F16, F32, F64, I8…I64), else F32.
//! - Metadata: a GGUF file's entries are copied as stored (every type), except
//!   `general.alignment` and `general.file_type` (no longer true); other files give
//!   `general.name` and their own metadata as `source.KEY` strings. The export's own entries
//!   (the setting as JSON) are added.
//!
//! Tensor names are kept as the source names them (no architecture renaming).

use std::path::Path;

use super::config::{Config, scheme_for_tensor, touches};
use super::export::{ExportNote, Piece, PieceSource, PieceType, Plan, stored_index};
use super::loaded::LoadedModel;
use super::tensor_meta::TensorMeta;
use crate::compress::Compressed;
use crate::compress::apply::ggml_fallback;
use crate::compress::float_quant::float_spec;
use crate::compress::ggml_blocks::{self, GgmlType};
use crate::compress::scheme::{Scheme, Target};
use crate::model::{FileFormat, gguf};

/// llama.cpp's `GGML_MAX_NAME`: longer tensor names do not load there.
const MAX_NAME: usize = 64;
/// llama.cpp's `GGML_MAX_DIMS`.
const MAX_DIMS: usize = 4;

/// The GGUF layout of `model` under `config`.
pub(super) fn plan(model: &LoadedModel, config: &Config) -> Result<Plan, String> {
    let from_gguf = model.source().is_some_and(|f| f.format == FileFormat::Gguf);
    let mut plan = Plan::default();
    for (i, t) in model.tensors.iter().enumerate() {
        if t.shape.len() > MAX_DIMS {
            return Err(format!(
                "tensor `{}` has {} dimensions; GGUF holds at most {MAX_DIMS}",
                t.name,
                t.shape.len()
            ));
        }
        let piece = if touches(model, config, i) {
            let ty = gguf_type(&scheme_for_tensor(config.scheme_for(&t.name), t), t)?;
            let len = ty
                .row_size(t.len)
                .map_err(|e| format!("`{}`: {e}", t.name))?;
            piece(Some(i), t, ty.id(), len, PieceSource::Blocks(ty))
        } else {
            kept(model, i, t, from_gguf)
        };
        plan.pieces.push(piece);
    }
    if let Some(f) = model.source() {
        for (k, info) in f.tensors.iter().enumerate().filter(|(_, t)| !t.supported) {
            match f.raw_ggml_layout(k) {
                Some((ty, len)) => plan.pieces.push(Piece {
                    tensor: None,
                    name: info.name.clone(),
                    shape: info.shape.clone(),
                    dtype: PieceType::Ggml(ty),
                    len,
                    source: PieceSource::Stored(k),
                }),
                None => plan.notes.push(ExportNote::NoGgufType {
                    tensor: info.name.clone(),
                    dtype: info.dtype.clone(),
                }),
            }
        }
    }
    for p in plan.pieces.iter().filter(|p| p.name.len() >= MAX_NAME) {
        plan.notes.push(ExportNote::NameTooLong {
            tensor: p.name.clone(),
            bytes: p.name.len(),
            max: MAX_NAME - 1,
        });
    }
    Ok(plan)
}

fn piece(tensor: Option<usize>, t: &TensorMeta, ty: u32, len: usize, source: PieceSource) -> Piece {
    Piece {
        tensor,
        name: t.name.clone(),
        shape: t.shape.clone(),
        dtype: PieceType::Ggml(ty),
        len,
        source,
    }
}

/// A tensor the setting leaves alone.
fn kept(model: &LoadedModel, i: usize, t: &TensorMeta, from_gguf: bool) -> Piece {
    let stored = stored_index(model, i)
        .and_then(|k| Some((k, model.source()?.raw_ggml_layout(k)?)))
        .filter(|_| from_gguf || t.shape.len() >= 2);
    match stored {
        Some((k, (ty, len))) => piece(Some(i), t, ty, len, PieceSource::Stored(k)),
        None => piece(
            Some(i),
            t,
            GgmlType::F32.id(),
            4 * t.len,
            PieceSource::LoadedF32,
        ),
    }
}

/// The GGUF type that holds tensor `t` under `scheme` exactly.
fn gguf_type(scheme: &Scheme, t: &TensorMeta) -> Result<GgmlType, String> {
    let row_len = t.shape.last().copied().unwrap_or(1).max(1);
    let cast = |format: &str| -> Option<GgmlType> {
        let spec = float_spec(format).ok()?;
        [GgmlType::BF16, GgmlType::F16, GgmlType::F32]
            .into_iter()
            .find(|ty| float_spec(ty.name()).is_ok_and(|s| s == spec))
    };
    match &scheme.target {
        Target::Ggml(ty) => Ok(ggml_fallback(*ty, row_len)),
        Target::None => Ok(GgmlType::F32),
        Target::Float {
            format,
            scaled: false,
        } => cast(format).ok_or_else(|| no_type(t, &format!("a cast to {format}"))),
        Target::Float { format, .. } => Err(no_type(t, &format!("scaled {format}"))),
        Target::Int(spec) => Err(no_type(t, &format!("int{} with its scales", spec.bits))),
        Target::Nf4 { .. } => Err(no_type(t, "NF4")),
        Target::Mx(kind) => Err(no_type(t, &format!("{kind:?}"))),
        Target::Nvfp4 => Err(no_type(t, "NVFP4")),
    }
}

fn no_type(t: &TensorMeta, what: &str) -> String {
    format!(
        "tensor `{}`: GGUF has no type for {what}; choose a GGUF type (Q8_0, Q4_K, …) or an \
         f16/bf16 cast",
        t.name
    )
}

/// The GGUF header: metadata entries, then every piece's info.
pub(super) fn header(
    model: &LoadedModel,
    plan: &Plan,
    meta: &[(String, String)],
) -> Result<Vec<u8>, String> {
    let own = |k: &str| meta.iter().any(|(m, _)| m == k);
    let mut entries = Vec::new();
    let source = model.source();
    if let Some(kvs) = source.and_then(|f| f.gguf_kv_entries()) {
        for (key, raw) in kvs.map_err(|e| e.to_string())? {
            if !matches!(key.as_str(), "general.alignment" | "general.file_type") && !own(&key) {
                entries.push(raw);
            }
        }
    } else {
        let stem = Path::new(&model.label)
            .file_stem()
            .map_or_else(|| model.label.clone(), |s| s.to_string_lossy().into_owned());
        entries.push(gguf::kv_string("general.name", &stem));
        for (k, v) in source.map(|f| &f.metadata[..]).unwrap_or_default() {
            entries.push(gguf::kv_string(&format!("source.{k}"), v));
        }
    }
    entries.extend(meta.iter().map(|(k, v)| gguf::kv_string(k, v)));
    let tensors: Vec<(&str, &[usize], u32, usize)> = plan
        .pieces
        .iter()
        .map(|p| {
            let ty = match p.dtype {
                PieceType::Ggml(ty) => ty,
                PieceType::Safetensors(_) => GgmlType::F32.id(),
            };
            (p.name.as_str(), &p.shape[..], ty, p.len)
        })
        .collect();
    Ok(gguf::header(&entries, &tensors))
}

/// `c` in blocks of `ty` (its own packed blocks when it was compressed to `ty`), checked to
/// decode to exactly the values bitlens measured.
pub(super) fn blocks(ty: GgmlType, c: &Compressed) -> Result<Vec<u8>, String> {
    let own = c
        .quant
        .as_ref()
        .filter(|q| c.ggml_type == Some(ty) && !q.packed.is_empty())
        .map(|q| q.packed.clone());
    let bytes = match own {
        Some(b) => b,
        None => ggml_blocks::quantize(ty, &c.dequantized).map_err(|e| e.to_string())?,
    };
    if !decodes_to(ty, &bytes, &c.dequantized).map_err(|e| format!("tensor `{}`: {e}", c.name))? {
        let why = if c.mask.is_some() {
            " (its pruned zeros are not exact in these blocks)"
        } else {
            ""
        };
        return Err(format!(
            "tensor `{}`: {} blocks do not hold the values bitlens measured{why}",
            c.name,
            ty.name()
        ));
    }
    Ok(bytes)
}

/// Whether `bytes` (blocks of `ty`) decode to exactly `values`, checked a few blocks at a time
/// (no tensor-sized buffer).
fn decodes_to(ty: GgmlType, bytes: &[u8], values: &[f32]) -> Result<bool, String> {
    const BLOCKS: usize = 256;
    let (per_block, block_bytes) = (ty.block_size(), ty.type_size());
    if bytes.len() != values.len() / per_block * block_bytes {
        return Err(format!("{} bytes for {} values", bytes.len(), values.len()));
    }
    let mut buf = vec![0.0f32; BLOCKS * per_block];
    let same = |(a, b): (&f32, &f32)| a == b || (a.is_nan() && b.is_nan());
    for (chunk, want) in bytes
        .chunks(BLOCKS * block_bytes)
        .zip(values.chunks(BLOCKS * per_block))
    {
        let out = &mut buf[..want.len()];
        ggml_blocks::dequantize_into(ty, chunk, out).map_err(|e| e.to_string())?;
        if !out.iter().zip(want).all(same) {
            return Ok(false);
        }
    }
    Ok(true)
}
