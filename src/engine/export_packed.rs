//! Packed integer safetensors in the **compressed-tensors** convention (Neural Magic / vLLM,
//! `quant_method: "compressed-tensors"`), so the file is as small as the setting says.
//!
//! For a weight `W` (e.g. `model.layers.0.mlp.up_proj.weight`) under an integer target of
//! 1–8 bits with scales per tensor, per output channel (axis 0) or per group along a row:
//! - `int-quantized` (every packed tensor has 8 bits): `W` is I8 codes, same shape;
//! - `pack-quantized` (otherwise): `W_packed` is I32 `[rows, ⌈cols / (32 / bits)⌉]`, each word
//!   holding `32 / bits` codes, the first in the lowest bits, each stored as `q + 2^(bits−1)`
//!   (compressed-tensors' `pack_to_int32`); `W_shape` (I64) is the original shape;
//! - `W_scale`: F32 (or F16 when the setting stores f16 scales), shape `[1]` per tensor,
//!   `[rows, groups per row]` otherwise; `W_zero_point` (I8, same shape) for asymmetric
//!   settings only.
//!
//! Codes are signed (`q ∈ [−2^(bits−1), 2^(bits−1) − 1]`; unsigned settings are shifted with
//! their zero points) and `W ≈ (q − zero_point) × scale`. `__metadata__.quantization_config`
//! holds the compressed-tensors JSON (`config_groups` naming each packed module). Tensors the
//! setting compresses some other way are written dequantized (F32) and named in the export's
//! notes; tensors it leaves alone are copied as stored.

use std::collections::BTreeMap;

use super::config::{Config, scheme_for_tensor, touches};
use super::export::{ExportNote, Piece, PieceSource, PieceType, Plan};
use super::loaded::LoadedModel;
use crate::compress::granularity::GroupMap;
use crate::compress::scheme::{Granularity, IntTarget, ScaleFormat, Target};
use crate::compress::{Compressed, QuantData};

/// A packed part of one compressed tensor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Part {
    /// I8 codes, one per weight.
    CodesI8(Codes),
    /// I32 words of `32 / bits` codes, `rows` × `cols` codes.
    CodesPacked {
        codes: Codes,
        rows: usize,
        cols: usize,
    },
    Scales(ScaleFormat),
    /// I8 zero points (asymmetric settings), shifted like the codes.
    ZeroPoints {
        offset: i32,
    },
    /// I64 original shape.
    Shape,
}

/// How a tensor's codes are laid out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Codes {
    pub bits: u8,
    /// Subtracted from each stored code to make it signed (2^(bits−1) for unsigned settings).
    pub offset: i32,
    pub granularity: Granularity,
}

/// One packable tensor: its integer setting and scale-table shape.
struct Packable {
    i: usize,
    spec: IntTarget,
    codes: Codes,
    scale_format: ScaleFormat,
    scale_shape: Vec<usize>,
}

/// The integer setting of tensor `i` when compressed-tensors can hold it.
fn packable(model: &LoadedModel, config: &Config, i: usize) -> Option<Packable> {
    let t = &model.tensors[i];
    let scheme = scheme_for_tensor(config.scheme_for(&t.name), t);
    let Target::Int(spec) = scheme.target else {
        return None;
    };
    if spec.bits > 8 {
        return None;
    }
    let map = GroupMap::new(&t.shape, t.len, scheme.granularity).ok()?;
    let GroupMap::Contiguous {
        row_len,
        group,
        rows,
    } = map
    else {
        return None;
    };
    let scale_shape = match scheme.granularity {
        Granularity::Tensor => vec![1],
        _ => vec![rows, row_len.div_ceil(group)],
    };
    let offset = if spec.signed { 0 } else { 1 << (spec.bits - 1) };
    Some(Packable {
        i,
        spec,
        codes: Codes {
            bits: spec.bits,
            offset,
            granularity: scheme.granularity,
        },
        scale_format: scheme.scale_format,
        scale_shape,
    })
}

/// The packed layout of `model` under `config`.
pub(super) fn plan(model: &LoadedModel, config: &Config) -> Result<Plan, String> {
    let touched: Vec<usize> = (0..model.tensors.len())
        .filter(|&i| touches(model, config, i))
        .collect();
    let packables: BTreeMap<usize, Packable> = touched
        .iter()
        .filter_map(|&i| packable(model, config, i).map(|p| (i, p)))
        .collect();
    if packables.is_empty() {
        return Err(format!(
            "packed export stores integer codes of 1–8 bits with scales per tensor, per output \
             channel or per group; `{}` compresses no tensor that way",
            config.label
        ));
    }
    let int8 = packables.values().all(|p| p.spec.bits == 8);
    let mut plan = Plan::default();
    for i in 0..model.tensors.len() {
        let t = &model.tensors[i];
        if let Some(p) = packables.get(&i) {
            plan.pieces
                .extend(pieces(t.name.as_str(), &t.shape, p, int8));
        } else if touches(model, config, i) {
            plan.notes.push(ExportNote::StoredDequantized {
                tensor: t.name.clone(),
            });
            plan.pieces.push(Plan::dequantized_safetensors(model, i));
        } else {
            plan.pieces.push(Plan::kept_safetensors(model, config, i));
        }
    }
    plan.pieces.extend(Plan::file_integers(model));
    let qc = quantization_config(model, packables.values(), int8);
    plan.metadata
        .push(("quantization_config".into(), qc.to_string()));
    Ok(plan)
}

/// The output tensors of one packed weight, in file order.
fn pieces(name: &str, shape: &[usize], p: &Packable, int8: bool) -> Vec<Piece> {
    let n: usize = shape.iter().product();
    let piece = |name: String, shape: Vec<usize>, dtype, len, part| Piece {
        tensor: Some(p.i),
        name,
        shape,
        dtype: PieceType::Safetensors(dtype),
        len,
        source: PieceSource::Packed(part),
    };
    let mut out = Vec::new();
    if int8 {
        out.push(piece(
            name.to_owned(),
            shape.to_vec(),
            "I8",
            n,
            Part::CodesI8(p.codes),
        ));
    } else {
        let rows = if shape.len() >= 2 { shape[0] } else { 1 };
        let cols = n / rows.max(1);
        let words = cols.div_ceil(32 / usize::from(p.codes.bits));
        out.push(piece(
            format!("{name}_packed"),
            vec![rows, words],
            "I32",
            4 * rows * words,
            Part::CodesPacked {
                codes: p.codes,
                rows,
                cols,
            },
        ));
    }
    let groups: usize = p.scale_shape.iter().product();
    let (scale_dtype, scale_bytes) = match p.scale_format {
        ScaleFormat::F32 => ("F32", 4),
        ScaleFormat::F16 => ("F16", 2),
    };
    out.push(piece(
        format!("{name}_scale"),
        p.scale_shape.clone(),
        scale_dtype,
        scale_bytes * groups,
        Part::Scales(p.scale_format),
    ));
    if !p.spec.symmetric {
        out.push(piece(
            format!("{name}_zero_point"),
            p.scale_shape.clone(),
            "I8",
            groups,
            Part::ZeroPoints {
                offset: p.codes.offset,
            },
        ));
    }
    if !int8 {
        out.push(piece(
            format!("{name}_shape"),
            vec![shape.len()],
            "I64",
            8 * shape.len(),
            Part::Shape,
        ));
    }
    out
}

/// compressed-tensors' `quantization_config`: one config group per distinct integer setting,
/// its targets the packed modules (the weight's name without `.weight`).
fn quantization_config<'a>(
    model: &LoadedModel,
    packables: impl Iterator<Item = &'a Packable>,
    int8: bool,
) -> serde_json::Value {
    let mut groups: BTreeMap<String, (serde_json::Value, Vec<String>)> = BTreeMap::new();
    for p in packables {
        let (strategy, group_size) = match p.codes.granularity {
            Granularity::Tensor => ("tensor", None),
            Granularity::Channel { .. } => ("channel", None),
            Granularity::Group { size } => ("group", Some(size)),
        };
        let weights = serde_json::json!({
            "num_bits": p.spec.bits,
            "type": "int",
            "symmetric": p.spec.symmetric,
            "strategy": strategy,
            "group_size": group_size,
        });
        let name = &model.tensors[p.i].name;
        let module = name.strip_suffix(".weight").unwrap_or(name).to_owned();
        groups
            .entry(weights.to_string())
            .or_insert_with(|| (weights, Vec::new()))
            .1
            .push(module);
    }
    let config_groups: serde_json::Map<String, serde_json::Value> = groups
        .into_values()
        .enumerate()
        .map(|(k, (weights, targets))| {
            (
                format!("group_{k}"),
                serde_json::json!({"targets": targets, "weights": weights}),
            )
        })
        .collect();
    serde_json::json!({
        "quant_method": "compressed-tensors",
        "format": if int8 { "int-quantized" } else { "pack-quantized" },
        "config_groups": config_groups,
        "producer": "bitlens",
    })
}

/// The bytes of one part of `c`.
pub(super) fn bytes(part: &Part, c: &Compressed) -> Result<Vec<u8>, String> {
    let q = c
        .quant
        .as_ref()
        .filter(|q| !q.scales.is_empty())
        .ok_or_else(|| format!("tensor `{}`: no scales to pack", c.name))?;
    Ok(match *part {
        Part::CodesI8(codes) => {
            check_codes(c, q, codes)?;
            q.codes
                .iter()
                .map(|&k| ((k - codes.offset) as i8).to_le_bytes()[0])
                .collect()
        }
        Part::CodesPacked { codes, rows, cols } => {
            check_codes(c, q, codes)?;
            pack_words(&q.codes, codes, rows, cols)
        }
        Part::Scales(ScaleFormat::F32) => q.scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
        Part::Scales(ScaleFormat::F16) => q
            .scales
            .iter()
            .flat_map(|&s| half::f16::from_f32(s).to_bits().to_le_bytes())
            .collect(),
        Part::ZeroPoints { offset } => q
            .zero_points
            .iter()
            .map(|&z| ((z - offset) as i8).to_le_bytes()[0])
            .collect(),
        Part::Shape => c
            .shape
            .iter()
            .flat_map(|&d| (d as i64).to_le_bytes())
            .collect(),
    })
}

/// compressed-tensors' `pack_to_int32`: `32 / bits` codes per word, the first lowest, each as
/// `q + 2^(bits−1)`; a row's last word is padded with zero bits.
fn pack_words(stored: &[i32], codes: Codes, rows: usize, cols: usize) -> Vec<u8> {
    let bits = u32::from(codes.bits);
    let per_word = (32 / bits) as usize;
    let half = 1i32 << (bits - 1);
    let mask = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(4 * rows * cols.div_ceil(per_word));
    for row in stored.chunks(cols.max(1)).take(rows) {
        for word in row.chunks(per_word) {
            let mut w = 0u32;
            for (j, &k) in word.iter().enumerate() {
                let u = ((k - codes.offset + half) as u32) & mask;
                w |= u << (bits * j as u32);
            }
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
    out
}

/// The codes, scales and zero points decode to exactly the values bitlens measured.
fn check_codes(c: &Compressed, q: &QuantData, codes: Codes) -> Result<(), String> {
    let n = c.dequantized.len();
    if q.codes.len() != n {
        return Err(format!("tensor `{}`: no integer codes to pack", c.name));
    }
    let map = GroupMap::new(&c.shape, n, codes.granularity).map_err(|e| e.to_string())?;
    let zp = |g: usize| q.zero_points.get(g).copied().unwrap_or(0);
    let bad = (0..n).find(|&i| {
        let g = map.group_of(i);
        let y = (q.codes[i] - zp(g)) as f32 * q.scales[g];
        let want = c.dequantized[i];
        !(y == want || (y.is_nan() && want.is_nan()))
    });
    match bad {
        Some(i) => Err(format!(
            "tensor `{}`: element {i} would decode to a value bitlens did not measure",
            c.name
        )),
        None => Ok(()),
    }
}
