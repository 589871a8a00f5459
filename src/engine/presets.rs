//! Sweep definitions: the built-in presets and a bits × sparsity grid.
//!
//! - **lecture** (41 configs): integer 8/6/5/4/3/2 bits × symmetric/asymmetric × per-tensor/
//!   per-channel (24, min-max, round-to-nearest-even), magnitude pruning 10 … 90 % in steps of
//!   10 % with f32 weights (9), and int8 / int4 symmetric per-channel after 25/50/75/90 %
//!   magnitude pruning (8). The fp32 baseline is added by the sweep itself.
//! - **formats** (8 configs, from [`crate::compress::catalog`]): bf16, fp16 (plain casts),
//!   e4m3fn and e5m2 (per-channel scale `amax / max`), NF4 (block 64), MXFP4, and the GGUF
//!   blocks Q4_0 and Q8_0 (rows that are not a multiple of 32 fall back as llama.cpp does; the
//!   point's notes say so).

use super::activations::ActBits;
use super::config::{Config, f32_scheme};
use super::label;
use crate::compress::catalog::{self, TargetOptions};
use crate::compress::scheme::{Granularity, IntTarget, Prune, PruneMethod, Scheme, Target};

/// A named sweep definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Lecture,
    Formats,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::Lecture, Preset::Formats];

    pub fn name(self) -> &'static str {
        match self {
            Self::Lecture => "lecture",
            Self::Formats => "formats",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// The configs of the preset (the baseline is not included: sweeps add it).
    pub fn configs(self) -> Vec<Config> {
        match self {
            Self::Lecture => lecture(),
            Self::Formats => formats(),
        }
    }
}

/// Integer quantization with min-max ranges and nearest-even rounding.
pub fn int_scheme(bits: u8, symmetric: bool, granularity: Granularity) -> Scheme {
    Scheme {
        target: Target::Int(IntTarget {
            bits,
            signed: true,
            symmetric,
            restricted: false,
        }),
        granularity,
        ..Scheme::default()
    }
}

/// Magnitude pruning (per tensor) with f32 weights.
pub fn prune_scheme(sparsity: f64) -> Scheme {
    with_prune(f32_scheme(), sparsity)
}

/// `scheme` preceded by magnitude pruning to `sparsity` (no pruning step for 0).
pub fn with_prune(scheme: Scheme, sparsity: f64) -> Scheme {
    Scheme {
        prune: (sparsity > 0.0).then_some(Prune {
            method: PruneMethod::Magnitude,
            sparsity,
        }),
        ..scheme
    }
}

/// `int4 sym/ch`, `int8 asym/tensor`, …
pub fn int_label(bits: u8, symmetric: bool, granularity: Granularity) -> String {
    label::int_label(bits, symmetric, granularity, &label::ENGLISH)
}

/// `config` labelled from its scheme (see [`super::label`]).
fn labelled(mut config: Config) -> Config {
    if let Some(l) = label::label_in(&config, &label::ENGLISH) {
        config.label = l;
    }
    config
}

/// One integer config, optionally after pruning.
pub fn int_config(bits: u8, symmetric: bool, granularity: Granularity, sparsity: f64) -> Config {
    let scheme = with_prune(int_scheme(bits, symmetric, granularity), sparsity);
    labelled(Config::new("", scheme))
}

/// Magnitude pruning only.
pub fn prune_config(sparsity: f64) -> Config {
    labelled(Config::new("", prune_scheme(sparsity)))
}

fn lecture() -> Vec<Config> {
    let mut out = Vec::new();
    for bits in [8, 6, 5, 4, 3, 2] {
        for symmetric in [true, false] {
            for g in [Granularity::Tensor, Granularity::Channel { axis: 0 }] {
                out.push(int_config(bits, symmetric, g, 0.0));
            }
        }
    }
    for k in 1..=9 {
        out.push(prune_config(f64::from(k) / 10.0));
    }
    for bits in [8, 4] {
        for s in [0.25, 0.5, 0.75, 0.9] {
            out.push(int_config(bits, true, Granularity::Channel { axis: 0 }, s));
        }
    }
    out
}

fn formats() -> Vec<Config> {
    let ids = [
        "bf16", "fp16", "e4m3fn", "e5m2", "nf4", "mxfp4", "q4_0", "q8_0",
    ];
    ids.into_iter()
        .filter_map(catalog::find)
        .map(|e| {
            let scheme = Scheme {
                target: e.build(&TargetOptions::default()),
                ..Scheme::default()
            };
            labelled(Config::new(e.id, scheme))
        })
        .collect()
}

/// Weight-activation configs for models that are evaluated (the lecture's contrast with
/// weight-only): int8 and int4 weights per channel with int8 or fp8 (E4M3) activations per
/// tensor.
pub fn weight_activation_configs() -> Vec<Config> {
    let mut out = Vec::new();
    for bits in [8, 4] {
        for act in [ActBits::Int8, ActBits::Fp8E4m3] {
            let mut c = int_config(bits, true, Granularity::Channel { axis: 0 }, 0.0);
            c.act = Some(act);
            out.push(labelled(c));
        }
    }
    out
}

/// A grid: for every sparsity `s` (0 = none) pruning-only points (`s > 0`), and for every
/// `bits × symmetric × granularity` an integer config after pruning to `s`.
pub fn grid(
    bits: &[u8],
    sparsities: &[f64],
    symmetric: &[bool],
    granularities: &[Granularity],
) -> Vec<Config> {
    let sparsities: &[f64] = if sparsities.is_empty() {
        &[0.0]
    } else {
        sparsities
    };
    let mut out = Vec::new();
    for &s in sparsities.iter().filter(|s| **s > 0.0) {
        out.push(prune_config(s));
    }
    for &b in bits {
        for &sym in symmetric {
            for &g in granularities {
                for &s in sparsities {
                    out.push(int_config(b, sym, g, s));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_large_enough() {
        let lecture = Preset::Lecture.configs();
        assert!(lecture.len() >= 40, "{}", lecture.len());
        let formats = Preset::Formats.configs();
        assert_eq!(formats.len(), 8);
        for c in lecture.iter().chain(&formats) {
            c.scheme.validate().unwrap();
        }
        let mut labels: Vec<&str> = lecture.iter().map(|c| c.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), lecture.len(), "labels are unique");
        assert_eq!(Preset::parse("Formats"), Some(Preset::Formats));
    }

    #[test]
    fn grid_shape() {
        let g = grid(
            &[8, 4],
            &[0.0, 0.5],
            &[true],
            &[Granularity::Channel { axis: 0 }],
        );
        let labels: Vec<&str> = g.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "prune 50%",
                "int8 sym/ch",
                "int8 sym/ch + prune 50%",
                "int4 sym/ch",
                "int4 sym/ch + prune 50%"
            ]
        );
    }
}
