//! [`apply`]: run one [`Scheme`] on a tensor. Whole models go through the engine's one
//! whole-model path (`engine::compress_each`), which calls [`apply_reusing`] per tensor.
//!
//! Order: prune (mask) → quantize the pruned tensor → force pruned positions back to exactly 0
//! (some block formats, e.g. Q4_1, cannot represent 0) → metrics against the **original** tensor
//! → exact size.
//!
//! The grid ([`Compressed::grid`]) is the set of representable values of the scale group that
//! holds the element with the largest |x| (for per-tensor schemes: the tensor's grid). For GGUF
//! types it lists the distinct values that block decodes to.

use rayon::prelude::*;

use super::float_quant::{self, FloatKernel};
use super::ggml_blocks::{self, GgmlType};
use super::granularity::{GroupMap, drive, natural_unit};
use super::int_quant::{self, IntKernel};
use super::metrics::{self, ErrorSums, Metrics};
use super::mx_nvfp4;
use super::nf4;
use super::prune;
use super::scheme::{
    Granularity, IntTarget, PruneMethod, QuantRounding, ScaleFormat, Scheme, SchemeError, Target,
};
use super::size::{SizeReport, SparseKind};
use crate::numfmt::mx::MxKind;
use crate::numfmt::{FloatSpec, NF4_LUT};
use crate::tensor::Tensor;

/// Scales, zero points and integer codes of a quantized tensor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuantData {
    /// Elements per scale group (the largest group).
    pub group_len: usize,
    /// One scale per group (decoded value; for MX the power of two, for NVFP4 block × tensor).
    pub scales: Vec<f32>,
    /// One zero point per group (integer targets; empty otherwise).
    pub zero_points: Vec<i32>,
    /// One code per element (integer, NF4, MX and NVFP4 element codes; empty for float casts
    /// and GGUF, whose codes live in `packed`).
    pub codes: Vec<i32>,
    /// Code range of integer targets.
    pub qmin: i32,
    pub qmax: i32,
    /// GGUF: the packed blocks exactly as llama.cpp stores them.
    pub packed: Vec<u8>,
}

/// The result of compressing one tensor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compressed {
    pub name: String,
    pub shape: Vec<usize>,
    pub dequantized: Vec<f32>,
    pub quant: Option<QuantData>,
    pub grid: Vec<f32>,
    /// `true` = kept (present when a pruning step ran).
    pub mask: Option<Vec<bool>>,
    pub metrics: Metrics,
    pub sums: ErrorSums,
    pub size: SizeReport,
    /// The GGUF type actually used (after any fallback).
    pub ggml_type: Option<GgmlType>,
    /// What the compressor did instead of what was asked (fallbacks).
    pub notes: Vec<super::Note>,
}

/// Compress one tensor.
pub fn apply(scheme: &Scheme, t: &Tensor) -> Result<Compressed, SchemeError> {
    scheme.validate()?;
    let mask = scheme
        .prune
        .map(|p| prune::mask_for(&t.data, &t.shape, p.method, p.sparsity));
    apply_with_mask(scheme, t, mask)
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

/// GGUF type to use for rows of `row_len` (llama.cpp's fallbacks for rows that do not fit).
pub fn ggml_fallback(ty: GgmlType, row_len: usize) -> GgmlType {
    if row_len.is_multiple_of(ty.block_size()) {
        return ty;
    }
    let next = match ty {
        GgmlType::Q4_K => GgmlType::Q5_0,
        GgmlType::Q5_K => GgmlType::Q5_1,
        GgmlType::Q6_K => GgmlType::Q8_0,
        _ => GgmlType::F16,
    };
    ggml_fallback(next, row_len)
}

/// Compress one tensor with a precomputed pruning mask (the tensor is taken as stored in f32).
pub fn apply_with_mask(
    scheme: &Scheme,
    t: &Tensor,
    mask: Option<Vec<bool>>,
) -> Result<Compressed, SchemeError> {
    let opts = ApplyOptions {
        stored_bits: 32 * t.data.len() as u64,
        detail: true,
    };
    apply_stored(scheme, t, mask, opts)
}

/// How [`apply_stored`] treats a tensor.
#[derive(Clone, Copy, Debug)]
pub struct ApplyOptions {
    /// Bits the file stores the tensor in (a bf16 tensor: 16 per weight): [`Target::None`]
    /// keeps that storage, so its size is the file's.
    pub stored_bits: u64,
    /// Keep the integer codes (`QuantData::codes`) and find the grid of the largest weight's
    /// group (`Compressed::grid`); off when only metrics and sizes are needed (sweeps), which
    /// saves a tensor-sized buffer and a pass.
    pub detail: bool,
}

/// [`apply_with_mask`] with [`ApplyOptions`].
pub fn apply_stored(
    scheme: &Scheme,
    t: &Tensor,
    mask: Option<Vec<bool>>,
    opts: ApplyOptions,
) -> Result<Compressed, SchemeError> {
    apply_reusing(scheme, t, mask, opts, &mut Scratch::default())
}

/// Tensor-sized buffers a loop over many configs hands from one [`apply_reusing`] call to the
/// next, so it touches that memory once instead of faulting in fresh buffers per config.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Becomes the result's `dequantized`; put it back with [`Scratch::recycle`].
    pub out: Vec<f32>,
    /// The pruned copy of the input.
    pub pruned: Vec<f32>,
    /// A pruning mask buffer for the caller to fill (see [`super::prune::magnitude_mask_into`]).
    pub mask: Vec<bool>,
}

impl Scratch {
    /// Take back a result's reconstruction and mask buffers (the result keeps its metrics).
    pub fn recycle(&mut self, c: &mut Compressed) {
        self.out = std::mem::take(&mut c.dequantized);
        if let Some(m) = c.mask.take() {
            self.mask = m;
        }
    }
}

/// [`apply_stored`] with its reconstruction and pruned copy in `scratch` (resized, never
/// cleared: every target writes all of its output).
pub fn apply_reusing(
    scheme: &Scheme,
    t: &Tensor,
    mask: Option<Vec<bool>>,
    opts: ApplyOptions,
    scratch: &mut Scratch,
) -> Result<Compressed, SchemeError> {
    let n = t.data.len();
    if t.shape.iter().product::<usize>() != n {
        return Err(SchemeError::Invalid(format!(
            "tensor {}: shape does not match data length",
            t.name
        )));
    }
    let Scratch { out, pruned, .. } = scratch;
    let (x, nnz) = pruned_input(t, mask.as_deref(), pruned);
    let mut c = Compressed {
        name: t.name.clone(),
        shape: t.shape.clone(),
        ..Default::default()
    };
    // Every target writes all of `y`, so a reused buffer is only resized (no clearing pass).
    let mut y = std::mem::take(out);
    y.resize(n, 0.0);
    let input = Input { scheme, t, x, opts };
    let Coded { sums, code_width } = quantize_target(&input, &mut y, &mut c)?;
    let sums = measure_against_original(
        &input,
        mask.as_deref(),
        nnz,
        code_width,
        sums,
        &mut y,
        &mut c,
    );
    c.metrics = sums.metrics();
    c.sums = sums;
    c.dequantized = y;
    c.mask = mask;
    Ok(c)
}

/// What one call of [`apply_reusing`] quantizes: the scheme, the tensor, its pruned copy (or
/// its data when nothing is pruned) and the options.
struct Input<'a> {
    scheme: &'a Scheme,
    t: &'a Tensor,
    x: &'a [f32],
    opts: ApplyOptions,
}

impl Input<'_> {
    /// Whether there is a largest weight whose group's grid is wanted.
    fn wants_grid(&self) -> bool {
        !self.x.is_empty() && self.opts.detail
    }
}

/// What a target family produced besides the reconstruction: the error sums against its
/// input and the bits of one code (32 for the block formats, whose size is whole already).
struct Coded {
    sums: ErrorSums,
    code_width: u64,
}

/// The input of the quantizer: the pruned copy in `pruned` when there is a mask, with the
/// number of kept weights; the tensor's own data otherwise (and 0).
fn pruned_input<'a>(
    t: &'a Tensor,
    mask: Option<&[bool]>,
    pruned: &'a mut Vec<f32>,
) -> (&'a [f32], u64) {
    match mask {
        Some(m) => {
            pruned.resize(t.data.len(), 0.0);
            let nnz = prune::masked_copy(&t.data, m, pruned);
            (pruned, nnz)
        }
        None => (&t.data, 0),
    }
}

/// Quantize `input.x` into `y` with the scheme's target; scales, codes, grid, size and notes
/// go into `c`.
fn quantize_target(
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

/// The error sums of `y` against the original tensor. With a pruning mask: pruned positions
/// forced back to 0, the sums taken unit by unit (keeping the quantizer's clip count), and the
/// size of elementwise targets made sparse. Without one, `sums` stand (they were taken against
/// the original already) unless the input was a copy.
fn measure_against_original(
    input: &Input,
    mask: Option<&[bool]>,
    nnz: u64,
    code_width: u64,
    mut sums: ErrorSums,
    y: &mut [f32],
    c: &mut Compressed,
) -> ErrorSums {
    let Input { scheme, t, x, .. } = *input;
    if let (Some(m), Some(p)) = (mask, scheme.prune) {
        // Kept-as-stored output is the pruned copy already; other targets may move zeros.
        if scheme.target != Target::None {
            prune::apply_mask(y, m);
        }
        // Against the original, unit by unit (as the streamed sweep measures it).
        let clipped = sums.clipped;
        sums = metrics::error_sums_in_units(&t.data, y, natural_unit(&t.shape, t.data.len()));
        sums.clipped = clipped;
        let elementwise = matches!(
            scheme.target,
            Target::None | Target::Int(_) | Target::Float { .. }
        );
        if elementwise {
            let kind = sparse_kind(t, p.method);
            c.size = std::mem::take(&mut c.size).with_sparsity(kind, code_width, nnz);
        }
    } else if x.as_ptr() != t.data.as_ptr() {
        sums = metrics::error_sums(&t.data, y);
    }
    sums
}

/// How the size report counts the kept positions of `method`.
fn sparse_kind(t: &Tensor, method: PruneMethod) -> SparseKind {
    let (rows, cols) = t.rows_cols();
    match method {
        PruneMethod::NM { m, .. } => SparseKind::NM { m },
        PruneMethod::Rows { .. } => SparseKind::Structured {
            slices: rows as u64,
        },
        PruneMethod::Cols { .. } => SparseKind::Structured {
            slices: cols as u64,
        },
        _ => SparseKind::Bitmask,
    }
}

/// The integer kernel of `scheme` for `spec`.
pub(crate) fn int_kernel(scheme: &Scheme, spec: &IntTarget) -> IntKernel {
    IntKernel {
        spec: *spec,
        calibration: scheme.calibration,
        rounding: scheme.rounding,
        scale_format: scheme.scale_format,
    }
}

/// The float kernel of `scheme` for `spec` and the granularity of its scales (per tensor, a
/// scale of 1, when unscaled).
pub(crate) fn float_kernel(
    scheme: &Scheme,
    spec: &FloatSpec,
    scaled: bool,
) -> (FloatKernel, Granularity) {
    let k = FloatKernel::new(spec, scaled, scheme.calibration).with_rounding(scheme.rounding);
    let gran = if scaled {
        scheme.granularity
    } else {
        Granularity::Tensor
    };
    (k, gran)
}

/// Whether `scheme` asks for stochastic rounding that `k`'s format cannot do (it rounds to
/// nearest even instead, with a note).
pub(crate) fn stochastic_falls_back(scheme: &Scheme, k: &FloatKernel) -> bool {
    matches!(scheme.rounding, QuantRounding::Stochastic { .. }) && !k.stochastic_applies()
}

/// Size of `n` integer codes with `groups` scales (and zero points when asymmetric).
pub fn int_size(spec: &IntTarget, scale_format: ScaleFormat, n: u64, groups: u64) -> SizeReport {
    let b = u64::from(spec.bits);
    let zp_bits = if spec.symmetric { 0 } else { groups * b };
    SizeReport::dense(n, b * n, groups * scale_format.bits(), zp_bits, 0)
}

/// Size of `n` float codes with `scales` scales (0 for a plain cast).
pub fn float_size(spec: &FloatSpec, scale_format: ScaleFormat, n: u64, scales: u64) -> SizeReport {
    let w = u64::from(spec.width());
    SizeReport::dense(n, w * n, scales * scale_format.bits(), 0, 0)
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
