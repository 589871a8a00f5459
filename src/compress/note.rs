//! What a compressor did other than what its scheme asked, and why, as data: the CLI prints a
//! note's English text ([`std::fmt::Display`]), the UI words it in its own language from the
//! fields, records round-trip it as tagged JSON (`{"code": "ggml_fallback", ...}`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ggml_blocks::GgmlType;

/// One compressor note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Note {
    /// `wanted` needs rows that are a multiple of its block; llama.cpp's fallback `used` was
    /// applied to rows of `row_len`.
    GgmlFallback {
        wanted: GgmlType,
        row_len: usize,
        used: GgmlType,
    },
    /// Stochastic rounding has no meaning for this float target; rounded to nearest even.
    StochasticUnavailable { format: String },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GgmlFallback {
                wanted,
                row_len,
                used,
            } => write!(
                f,
                "{} needs rows that are a multiple of {}; row length {row_len} uses {} \
                 (llama.cpp's fallback)",
                wanted.name(),
                wanted.block_size(),
                used.name()
            ),
            Self::StochasticUnavailable { format } => write!(
                f,
                "stochastic rounding is not available for {format}; rounded to nearest even"
            ),
        }
    }
}

/// A note about one tensor of a model (the whole-model figures gather them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorNote {
    pub tensor: String,
    pub note: Note,
}

impl fmt::Display for TensorNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.tensor, self.note)
    }
}
