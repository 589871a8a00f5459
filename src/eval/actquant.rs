//! Activations for weight-activation quantization: record each layer input's range and
//! histogram on a calibration batch, then fake-quantize every layer input per tensor
//! (int8 symmetric, or fp8 E4M3 "fn" with an absmax scale) during evaluation.
//!
//! Any other quantizer plugs in through [`ActQuant::Custom`] or directly through the
//! `act` hook of [`super::evaluate_with`].

use std::sync::Arc;

use super::{Dataset, Mlp};

/// Bins of the recorded activation histograms.
pub const HIST_BINS: usize = 64;

/// Range and histogram of one layer's input over the calibration batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActRange {
    pub layer: usize,
    pub min: f32,
    pub max: f32,
    /// max(|min|, |max|): the per-tensor scale's reference.
    pub absmax: f32,
    /// `HIST_BINS` counts over [min, max] (all in bin 0 when min == max).
    pub histogram: Vec<u32>,
    /// Fraction of exact zeros (ReLU outputs).
    pub zero_fraction: f64,
}

/// Ranges of every layer input, recorded on a calibration batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ActRanges {
    pub calibration_rows: usize,
    pub layers: Vec<ActRange>,
}

fn range_of(layer: usize, v: &[f32]) -> ActRange {
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    let mut zeros = 0usize;
    for &x in v.iter().filter(|x| x.is_finite()) {
        min = min.min(x);
        max = max.max(x);
        zeros += usize::from(x == 0.0);
    }
    if min > max {
        (min, max) = (0.0, 0.0);
    }
    let mut histogram = vec![0u32; HIST_BINS];
    let width = f64::from(max) - f64::from(min);
    for &x in v.iter().filter(|x| x.is_finite()) {
        let b = if width > 0.0 {
            (((f64::from(x) - f64::from(min)) / width * HIST_BINS as f64) as usize)
                .min(HIST_BINS - 1)
        } else {
            0
        };
        histogram[b] += 1;
    }
    ActRange {
        layer,
        min,
        max,
        absmax: min.abs().max(max.abs()),
        histogram,
        zero_fraction: if v.is_empty() {
            0.0
        } else {
            zeros as f64 / v.len() as f64
        },
    }
}

/// Run the first `rows` images of `data` through `mlp` and record each layer input's range.
pub fn record_activation_ranges(mlp: &Mlp, data: &Dataset, rows: usize) -> ActRanges {
    let batch = data.head(rows);
    let seen = std::sync::Mutex::new(Vec::new());
    mlp.forward_with(batch.x.view(), &|layer, v| {
        if let Ok(mut s) = seen.lock() {
            s.push(range_of(layer, v));
        }
    });
    let mut layers = seen.into_inner().unwrap_or_default();
    layers.sort_by_key(|r| r.layer);
    ActRanges {
        calibration_rows: batch.len(),
        layers,
    }
}

/// Per-tensor activation formats built in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ActFormat {
    /// Symmetric int8: scale = absmax / 127, values rounded half-to-even and clamped to ±127.
    Int8,
    /// fp8 E4M3 "fn" (max 448): scale = absmax / 448, round-to-nearest-even, saturating.
    Fp8E4M3,
}

/// A user-supplied quantizer for one layer input: `(layer, values, recorded range)`.
pub type CustomActQuant = Arc<dyn Fn(usize, &mut [f32], &ActRange) + Send + Sync>;

/// How to quantize each layer input during evaluation.
#[derive(Clone)]
pub enum ActQuant {
    None,
    PerTensor {
        format: ActFormat,
        ranges: ActRanges,
    },
    Custom {
        quantize: CustomActQuant,
        ranges: ActRanges,
    },
}

impl ActQuant {
    /// Apply to one layer input in place (the hook passed to [`super::evaluate_with`]).
    pub fn apply(&self, layer: usize, v: &mut [f32]) {
        match self {
            Self::None => {}
            Self::PerTensor { format, ranges } => {
                let Some(r) = ranges.layers.get(layer) else {
                    return;
                };
                match format {
                    ActFormat::Int8 => fake_quant_int8(v, r.absmax),
                    ActFormat::Fp8E4M3 => fake_quant_fp8_e4m3(v, r.absmax),
                }
            }
            Self::Custom { quantize, ranges } => {
                if let Some(r) = ranges.layers.get(layer) {
                    quantize(layer, v, r);
                }
            }
        }
    }
}

/// Symmetric per-tensor int8 fake quantization with scale `absmax / 127`.
pub fn fake_quant_int8(v: &mut [f32], absmax: f32) {
    if absmax <= 0.0 || !absmax.is_finite() {
        return;
    }
    let scale = absmax / 127.0;
    for x in v {
        *x = (*x / scale).round_ties_even().clamp(-127.0, 127.0) * scale;
    }
}

/// Per-tensor fp8 E4M3 "fn" fake quantization: map absmax to 448, round, scale back.
pub fn fake_quant_fp8_e4m3(v: &mut [f32], absmax: f32) {
    if absmax <= 0.0 || !absmax.is_finite() {
        return;
    }
    let scale = absmax / 448.0;
    for x in v {
        *x = round_e4m3fn(*x / scale) * scale;
    }
}

/// Round to the nearest E4M3 "fn" value (ties to even), saturating at ±448, with the
/// number-format core's fast kernel (`crate::numfmt`, spec `e4m3fn`).
fn round_e4m3fn(x: f32) -> f32 {
    static KERNEL: std::sync::OnceLock<Option<crate::numfmt::fast::FastFloat>> =
        std::sync::OnceLock::new();
    let kernel = KERNEL.get_or_init(|| {
        crate::numfmt::names::NAMED
            .iter()
            .find(|(id, ..)| *id == "e4m3fn")
            .map(|(_, _, spec, _)| spec.fast())
    });
    match kernel {
        Some(k) => k.round_f32(x, true),
        None => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e4m3_rounding_hits_the_grid() {
        assert_eq!(round_e4m3fn(1.0), 1.0);
        assert_eq!(round_e4m3fn(1.0625), 1.0); // tie between 1.0 and 1.125 → even (1.0)
        assert_eq!(round_e4m3fn(1.07), 1.125);
        assert_eq!(round_e4m3fn(500.0), 448.0);
        assert_eq!(round_e4m3fn(-0.001), -2f32.powi(-9)); // nearest subnormal (0.00195…)
        assert_eq!(round_e4m3fn(2f32.powi(-11)), 0.0);
        assert_eq!(round_e4m3fn(240.0), 240.0);
        assert_eq!(round_e4m3fn(241.0), 240.0);
    }

    #[test]
    fn int8_fake_quant_is_idempotent_and_bounded() {
        let mut v = vec![-1.0, -0.5, 0.0, 0.3, 1.0, 2.0];
        fake_quant_int8(&mut v, 1.0);
        assert_eq!(v[5], 1.0);
        let again = v.clone();
        fake_quant_int8(&mut v, 1.0);
        assert_eq!(v, again);
    }
}
