//! [`Scheme`]: one complete compression setting, passed around by the GUI, the engine and the CLI.
//!
//! A scheme is plain data (serde): a target number format, the granularity of its scales, how
//! the clipping range is chosen, the rounding rule and an optional pruning step that runs first.

use serde::{Deserialize, Serialize};

use super::ggml_blocks::GgmlType;
use crate::numfmt::mx::MxKind;

/// One full compression setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scheme {
    pub target: Target,
    pub granularity: Granularity,
    pub calibration: Calibration,
    pub rounding: QuantRounding,
    /// Storage of each scale (int and scaled-float targets): f32 by default; f16 rounds the scales.
    pub scale_format: ScaleFormat,
    /// Optional pruning, applied before quantization (zeros stay zero).
    pub prune: Option<Prune>,
    /// Whole-model runs: also compress 1-D tensors (biases, norms). Off by default: they stay f32.
    pub include_1d: bool,
}

impl Default for Scheme {
    fn default() -> Self {
        Self {
            target: Target::Int(IntTarget::default()),
            granularity: Granularity::Channel { axis: 0 },
            calibration: Calibration::MinMax,
            rounding: QuantRounding::NearestEven,
            scale_format: ScaleFormat::F32,
            prune: None,
            include_1d: false,
        }
    }
}

/// The number format values are stored in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// Keep f32 (pruning only).
    None,
    /// Uniform integer codes with scale (and zero point).
    Int(IntTarget),
    /// A float format from [`crate::numfmt`] (`bf16`, `fp16`, `e4m3fn`, `e5m2`, `e2m1`, …);
    /// `scaled` divides by a per-tensor/channel/group scale `amax / format max` first.
    Float { format: String, scaled: bool },
    /// NF4 (bitsandbytes / QLoRA), block absmax, optional double quantization of the absmax values.
    Nf4 { block: usize, double_quant: bool },
    /// OCP MX block format: 32 elements share one E8M0 scale.
    Mx(MxKind),
    /// NVFP4: E2M1 elements, E4M3 scale per 16, f32 tensor scale.
    Nvfp4,
    /// A llama.cpp GGUF block type.
    Ggml(GgmlType),
}

/// An integer quantization target: code width, signedness and how the zero point is set
/// (not [`crate::numfmt::IntSpec`], which is a stored integer's width and encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntTarget {
    /// 1…16.
    pub bits: u8,
    pub signed: bool,
    /// Symmetric: zero point fixed (0 signed, 2^(b−1) unsigned). Asymmetric: scale + zero point.
    pub symmetric: bool,
    /// Signed symmetric only: use ±(2^(b−1) − 1) (drops the most negative code).
    pub restricted: bool,
}

impl Default for IntTarget {
    fn default() -> Self {
        Self {
            bits: 8,
            signed: true,
            symmetric: true,
            restricted: false,
        }
    }
}

impl IntTarget {
    /// `(q_min, q_max)` per PyTorch `calculate_qmin_qmax` generalised to `bits`.
    pub fn qrange(&self) -> (i32, i32) {
        let b = u32::from(self.bits.clamp(1, 16));
        if self.signed {
            let half = 1i32 << (b - 1);
            if self.restricted && self.symmetric && b > 1 {
                (-(half - 1), half - 1)
            } else {
                (-half, half - 1)
            }
        } else {
            (0, (1i32 << b) - 1)
        }
    }
}

/// Where scales live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Granularity {
    /// One scale for the whole tensor.
    Tensor,
    /// One scale per slice along `axis` (0 = output channels = rows of a `[out, in]` matrix).
    Channel { axis: usize },
    /// One scale per `size` consecutive weights along the input (last, contiguous) axis; a row
    /// whose length is not a multiple of `size` ends in a shorter group.
    Group { size: usize },
}

/// How the clipping range of each scale group is chosen (`quantization.md` §3).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    MinMax,
    /// Keep this percentile (e.g. 99.99) of the magnitudes (symmetric) or cut (100 − p)/2 % from
    /// each tail (asymmetric); 2048-bin histogram.
    Percentile(f64),
    /// Shrink the range over a grid (1 − i/100, i < 80) and keep the lowest squared error.
    Mse,
    /// TensorRT entropy calibration (KL divergence, 2048 bins; symmetric).
    Kl,
}

/// How a quantizer rounds scaled values to codes (not [`crate::numfmt::Rounding`], the
/// rounding direction of one encode). Stochastic rounding applies to integer and float targets
/// (bf16, fp16, fp8, fp6, fp4: to one of the two grid neighbours, unbiased); NF4, MX, NVFP4 and
/// GGUF targets always round to nearest (their reference recipes do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuantRounding {
    NearestEven,
    /// Round up with probability equal to the fraction; seeded and reproducible.
    Stochastic {
        seed: u64,
    },
}

/// Storage format of scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScaleFormat {
    F32,
    F16,
}

impl ScaleFormat {
    pub fn bits(self) -> u64 {
        match self {
            Self::F32 => 32,
            Self::F16 => 16,
        }
    }

    /// Round a scale to this storage.
    pub fn round(self, s: f32) -> f32 {
        match self {
            Self::F32 => s,
            Self::F16 => half::f16::from_f32(s).to_f32(),
        }
    }
}

/// A pruning step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prune {
    pub method: PruneMethod,
    /// Target fraction of zeros in [0, 1] (ignored by N:M, which fixes it at 1 − N/M).
    pub sparsity: f64,
}

/// Pruning methods (`quantization.md` §9).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum PruneMethod {
    /// Smallest |w| per tensor.
    Magnitude,
    /// Smallest |w| over all compressed tensors of a model (one threshold).
    Global,
    /// Whole rows (output channels) with the smallest norm.
    Rows { norm: Norm },
    /// Whole columns (input channels) with the smallest norm.
    Cols { norm: Norm },
    /// Keep `n` of every `m` consecutive weights along the input axis.
    NM { n: usize, m: usize },
    /// Uniformly random elements (baseline), seeded.
    Random { seed: u64 },
}

/// Norm used to rank rows/columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Norm {
    L1,
    L2,
}

/// Error for a scheme that cannot be applied to a tensor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    #[error("invalid scheme: {0}")]
    Invalid(String),
    #[error("unknown float format {0:?}")]
    UnknownFormat(String),
}

impl Scheme {
    /// Check parameters that do not depend on the tensor.
    pub fn validate(&self) -> Result<(), SchemeError> {
        let bad = |m: &str| Err(SchemeError::Invalid(m.into()));
        if let Target::Int(s) = &self.target
            && !(1..=16).contains(&s.bits)
        {
            return bad("integer bits must be 1…16");
        }
        if let Target::Nf4 { block, .. } = self.target
            && !(1..=4096).contains(&block)
        {
            return bad("NF4 block must be 1…4096");
        }
        if let Granularity::Group { size: 0 } = self.granularity {
            return bad("group size must be positive");
        }
        if let Calibration::Percentile(p) = self.calibration
            && !(p > 0.0 && p <= 100.0)
        {
            return bad("percentile must be in (0, 100]");
        }
        if let Some(p) = &self.prune {
            if !(0.0..=1.0).contains(&p.sparsity) {
                return bad("sparsity must be in [0, 1]");
            }
            if let PruneMethod::NM { n, m } = p.method
                && (m == 0 || n > m || m > 64)
            {
                return bad("N:M needs 0 ≤ N ≤ M ≤ 64, M > 0");
            }
        }
        Ok(())
    }
}
