//! The target families of [`super::apply::apply_reusing`], one function each: quantize the
//! (pruned) input into the reconstruction and record scales, codes, the grid of the largest
//! weight's group, the exact size and any fallback notes. The kernels themselves live in
//! `int_quant`, `float_quant`, `nf4`, `mx_nvfp4` and `ggml_blocks`.

use rayon::prelude::*;

use super::apply::{
    ApplyOptions, Compressed, QuantData, float_kernel, float_size, ggml_fallback, int_kernel,
    int_size, stochastic_falls_back,
};
use super::float_quant;
use super::ggml_blocks::{self, GgmlType};
use super::granularity::{GroupMap, drive};
use super::int_quant;
use super::metrics::{self, ErrorSums};
use super::mx_nvfp4;
use super::nf4;
use super::scheme::{IntTarget, Scheme, SchemeError, Target};
use super::size::SizeReport;
use crate::numfmt::NF4_LUT;
use crate::numfmt::mx::MxKind;
use crate::tensor::Tensor;

/// What one call of [`super::apply::apply_reusing`] quantizes: the scheme, the tensor, its
/// pruned copy (or its data when nothing is pruned) and the options.
pub(super) struct Input<'a> {
    pub(super) scheme: &'a Scheme,
    pub(super) t: &'a Tensor,
    pub(super) x: &'a [f32],
    pub(super) opts: ApplyOptions,
}

impl Input<'_> {
    /// Whether there is a largest weight whose group's grid is wanted.
    fn wants_grid(&self) -> bool {
        !self.x.is_empty() && self.opts.detail
    }
}

/// What a target family produced besides the reconstruction: the error sums against its
/// input and the bits of one code (32 for the block formats, whose size is whole already).
pub(super) struct Coded {
    pub(super) sums: ErrorSums,
    pub(super) code_width: u64,
}

/// Quantize `input.x` into `y` with the scheme's target; scales, codes, grid, size and notes
/// go into `c`.
pub(super) fn quantize_target(
    input: &Input,
    y: &mut Vec<f32>,
    c: &mut Compressed,
) -> Result<Coded, SchemeError> {
    match &input.scheme.target {
        Target::None => Ok(keep_stored(input, y, c)),
        Target::Int(spec) => quantize_int(input, spec, y, c),
        Target::Float { format, scaled } => quantize_float(input, format, *scaled, y, c),
        Target::Nf4 {
            block,
            double_quant,
        } => Ok(quantize_nf4(input, *block, *double_quant, y, c)),
        Target::Mx(kind) => Ok(quantize_mx(input, *kind, y, c)),
        Target::Nvfp4 => Ok(quantize_nvfp4(input, y, c)),
        Target::Ggml(ty) => quantize_ggml(input, *ty, y, c),
    }
}

/// [`Target::None`]: the input as it is, at the file's storage size.
fn keep_stored(input: &Input, y: &mut [f32], c: &mut Compressed) -> Coded {
    y.copy_from_slice(input.x);
    let nn = input.x.len() as u64;
    let stored_bits = input.opts.stored_bits;
    c.size = SizeReport::dense(nn, stored_bits, 0, 0, 0);
    Coded {
        sums: ErrorSums::default(),
        code_width: stored_bits.div_ceil(nn.max(1)),
    }
}

/// [`Target::Int`]: integer codes with a scale (and zero point) per group.
fn quantize_int(
    input: &Input,
    spec: &IntTarget,
    y: &mut [f32],
    c: &mut Compressed,
) -> Result<Coded, SchemeError> {
    let Input { scheme, t, x, opts } = *input;
    let n = x.len();
    let map = GroupMap::new(&t.shape, n, scheme.granularity)?;
    let k = int_kernel(scheme, spec);
    let mut codes = vec![0i32; if opts.detail { n } else { 0 }];
    let (params, sums) = drive(
        &k,
        map,
        &t.shape,
        x,
        y,
        opts.detail.then_some(&mut codes[..]),
    );
    let (qmin, qmax) = spec.qrange();
    if input.wants_grid() {
        c.grid = int_quant::grid(spec, &params[map.group_of(argmax_abs(x))]);
    }
    c.size = int_size(spec, scheme.scale_format, n as u64, params.len() as u64);
    c.quant = Some(QuantData {
        group_len: map.group_len(),
        scales: params.iter().map(|p| p.scale).collect(),
        zero_points: params.iter().map(|p| p.zero_point).collect(),
        codes,
        qmin,
        qmax,
        packed: Vec::new(),
    });
    Ok(Coded {
        sums,
        code_width: u64::from(spec.bits),
    })
}

/// [`Target::Float`]: a cast to a float format, with a scale per group when `scaled`.
fn quantize_float(
    input: &Input,
    format: &str,
    scaled: bool,
    y: &mut [f32],
    c: &mut Compressed,
) -> Result<Coded, SchemeError> {
    let Input { scheme, t, x, .. } = *input;
    let n = x.len();
    let spec = float_quant::float_spec(format)?;
    let (k, gran) = float_kernel(scheme, &spec, scaled);
    let map = GroupMap::new(&t.shape, n, gran)?;
    if stochastic_falls_back(scheme, &k) {
        c.notes.push(super::Note::StochasticUnavailable {
            format: format.to_owned(),
        });
    }
    let (params, sums) = drive(&k, map, &t.shape, x, y, None);
    if input.wants_grid() {
        c.grid = float_quant::grid(&spec, params[map.group_of(argmax_abs(x))]);
    }
    let g = if scaled { params.len() as u64 } else { 0 };
    c.size = float_size(&spec, scheme.scale_format, n as u64, g);
    if scaled {
        c.quant = Some(QuantData {
            group_len: map.group_len(),
            scales: params,
            ..Default::default()
        });
    }
    Ok(Coded {
        sums,
        code_width: u64::from(spec.width()),
    })
}

/// [`Target::Nf4`]: NormalFloat4 codes with an absmax per block.
fn quantize_nf4(
    input: &Input,
    block: usize,
    double_quant: bool,
    y: &mut Vec<f32>,
    c: &mut Compressed,
) -> Coded {
    let x = input.x;
    let r = nf4::quantize(x, block, double_quant);
    *y = r.dequantized;
    if input.wants_grid() {
        let a = r.scales[argmax_abs(x) / block];
        c.grid = NF4_LUT.iter().map(|v| v * a).collect();
    }
    c.size = super::size::nf4_size(x.len() as u64, block as u64, double_quant);
    c.quant = Some(QuantData {
        group_len: block,
        scales: r.scales,
        codes: r.codes.iter().map(|&v| i32::from(v)).collect(),
        qmax: 15,
        ..Default::default()
    });
    Coded {
        sums: r.sums,
        code_width: 32,
    }
}

/// [`Target::Mx`]: OCP microscaling blocks of 32 with a power-of-two scale.
fn quantize_mx(input: &Input, kind: MxKind, y: &mut Vec<f32>, c: &mut Compressed) -> Coded {
    let Input { t, x, opts, .. } = *input;
    let r = mx_nvfp4::mx_quantize(kind, x, row_len(t));
    block_common(
        c,
        &r,
        if opts.detail { x } else { &[] },
        32,
        row_len(t),
        |s| crate::numfmt::pow2(i64::from(s) - 127) as f32,
        |sc| {
            mx_nvfp4::mx_grid(kind)
                .into_iter()
                .map(|v| v * sc)
                .collect()
        },
    );
    let nn = x.len() as u64;
    let e = u64::from(kind.element_bits());
    c.size = SizeReport::dense(nn, e * nn, 8 * r.n_blocks as u64, 0, 0);
    *y = r.dequantized;
    Coded {
        sums: r.sums,
        code_width: 32,
    }
}

/// [`Target::Nvfp4`]: FP4 blocks of 16 with an E4M3 scale times a tensor scale.
fn quantize_nvfp4(input: &Input, y: &mut Vec<f32>, c: &mut Compressed) -> Coded {
    let Input { t, x, opts, .. } = *input;
    let r = mx_nvfp4::nvfp4_quantize(x, row_len(t));
    let e4m3 = crate::numfmt::nvfp4::E4M3.fast();
    let e2m1 = mx_nvfp4::mx_grid(MxKind::Fp4E2m1);
    let ts = r.tensor_scale;
    block_common(
        c,
        &r,
        if opts.detail { x } else { &[] },
        16,
        row_len(t),
        |s| e4m3.decode_f32(u32::from(s)) * ts,
        |sc| e2m1.iter().map(|v| v * sc).collect(),
    );
    let nn = x.len() as u64;
    c.size = SizeReport::dense(nn, 4 * nn, 8 * r.n_blocks as u64, 0, 32);
    *y = r.dequantized;
    Coded {
        sums: r.sums,
        code_width: 32,
    }
}

/// [`Target::Ggml`]: llama.cpp blocks of `ty`, or of its fallback when rows do not fit.
fn quantize_ggml(
    input: &Input,
    ty: GgmlType,
    y: &mut [f32],
    c: &mut Compressed,
) -> Result<Coded, SchemeError> {
    let x = input.x;
    let rl = row_len(input.t);
    let used = ggml_fallback(ty, rl);
    if used != ty {
        c.notes.push(super::Note::GgmlFallback {
            wanted: ty,
            row_len: rl,
            used,
        });
    }
    let err = |e: ggml_blocks::GgmlError| SchemeError::Invalid(e.to_string());
    let bytes = ggml_blocks::quantize(used, x).map_err(err)?;
    ggml_blocks::dequantize_into(used, &bytes, y).map_err(err)?;
    let sums = metrics::error_sums(x, y);
    if input.wants_grid() {
        let bs = used.block_size();
        let b = argmax_abs(x) / bs * bs;
        let mut g: Vec<f32> = y[b..b + bs].to_vec();
        g.sort_by(f32::total_cmp);
        g.dedup();
        c.grid = g;
    }
    c.size = SizeReport::dense(x.len() as u64, 8 * bytes.len() as u64, 0, 0, 0);
    c.ggml_type = Some(used);
    c.quant = Some(QuantData {
        group_len: used.block_size(),
        packed: bytes,
        ..Default::default()
    });
    Ok(Coded {
        sums,
        code_width: 32,
    })
}

fn argmax_abs(x: &[f32]) -> usize {
    x.par_iter()
        .enumerate()
        .map(|(i, v)| (v.abs(), i))
        .reduce(
            || (f32::NEG_INFINITY, 0),
            |a, b| {
                if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) {
                    b
                } else {
                    a
                }
            },
        )
        .1
}

fn row_len(t: &Tensor) -> usize {
    t.shape.last().copied().unwrap_or(t.data.len()).max(1)
}

fn block_common(
    c: &mut Compressed,
    r: &mx_nvfp4::BlockResult,
    x: &[f32],
    block: usize,
    row_len: usize,
    scale_of: impl Fn(u8) -> f32,
    grid_of: impl Fn(f32) -> Vec<f32>,
) {
    let scales: Vec<f32> = r.scale_bytes.iter().map(|&s| scale_of(s)).collect();
    if !x.is_empty() {
        let i = argmax_abs(x);
        let b = (i / row_len) * row_len.div_ceil(block) + (i % row_len) / block;
        c.grid = grid_of(scales[b]);
    }
    c.quant = Some(QuantData {
        group_len: block,
        scales,
        codes: r.codes.iter().map(|&v| i32::from(v)).collect(),
        ..Default::default()
    });
}
