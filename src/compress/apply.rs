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

use super::apply_targets::{Coded, Input, quantize_target};
use super::float_quant::FloatKernel;
use super::ggml_blocks::GgmlType;
use super::granularity::natural_unit;
use super::int_quant::IntKernel;
use super::metrics::{self, ErrorSums, Metrics};
use super::prune;
use super::scheme::{
    Granularity, IntTarget, PruneMethod, QuantRounding, ScaleFormat, Scheme, SchemeError, Target,
};
use super::size::{SizeReport, SparseKind};
use crate::numfmt::FloatSpec;
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
