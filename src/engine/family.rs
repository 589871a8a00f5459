//! The method family of a config (int, float, block formats, pruning, …): the trade-off plot's
//! colours and markers, and the `family` field of the CLI's JSON.

use serde::{Deserialize, Serialize};

use crate::compress::scheme::{PruneMethod, Scheme, Target};

/// The method family of a config, for colours and markers in the trade-off plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// f32, nothing changed.
    Baseline,
    /// Uniform integer codes (any bits, granularity, calibration).
    Int,
    /// Float formats (bf16, fp16, fp8, …), scaled or not.
    Float,
    /// Codebooks and block formats: NF4, MX, NVFP4, GGUF blocks.
    Block,
    /// Pruning only (weights stay f32).
    Pruning,
    /// Pruning and quantization together.
    Combined,
    /// Different schemes per tensor (mixed precision).
    Mixed,
    /// Weights and every layer input quantized (int8 / fp8 activations).
    WeightActivation,
}

impl Family {
    /// The family of one scheme.
    pub fn of(s: &Scheme) -> Self {
        let pruned = s
            .prune
            .is_some_and(|p| p.sparsity > 0.0 || matches!(p.method, PruneMethod::NM { .. }));
        let quant = match s.target {
            Target::None => None,
            Target::Int(_) => Some(Self::Int),
            Target::Float { .. } => Some(Self::Float),
            Target::Nf4 { .. } | Target::Mx(_) | Target::Nvfp4 | Target::Ggml(_) => {
                Some(Self::Block)
            }
        };
        match (quant, pruned) {
            (None, false) => Self::Baseline,
            (None, true) => Self::Pruning,
            (Some(f), false) => f,
            (Some(_), true) => Self::Combined,
        }
    }

    /// Stable name (CLI, JSON, CSV).
    pub fn name(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Int => "int",
            Self::Float => "float",
            Self::Block => "codebook_block",
            Self::Pruning => "pruning",
            Self::Combined => "combined",
            Self::Mixed => "mixed",
            Self::WeightActivation => "weight_activation",
        }
    }
}
