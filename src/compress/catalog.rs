//! The one list of compression targets: each entry's id (what the CLI's `--target` and the
//! Weights view store), the other names it is known by, its title, and how it builds a
//! [`Target`] from the options the UI and the CLI share ([`TargetOptions`]). The Weights view
//! lists it, the CLI parses with [`parse`], presets build from it, and [`entry_for`] finds the
//! entry a scheme's target came from. Float formats are named as [`crate::numfmt`] names them.

use super::ggml_blocks::GgmlType;
use super::scheme::{IntTarget, Target};
use crate::numfmt::Format;
use crate::numfmt::mx::MxKind;

/// What a catalog entry builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// Uniform integers ([`TargetOptions::int`]).
    Int,
    /// f32 kept (pruning only).
    Keep,
    /// A float format by its numfmt id; `scaled`: divided by a scale first (unless the options
    /// say unscaled).
    Float {
        format: &'static str,
        scaled: bool,
    },
    /// NF4 with its absmax block.
    Nf4 {
        block: usize,
    },
    Mx(MxKind),
    Nvfp4,
    Ggml(GgmlType),
}

/// One entry of the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetEntry {
    /// The canonical name (`bitlens quantize --target ID`, the Weights view's stored choice).
    pub id: &'static str,
    /// Other names `parse` accepts for it.
    pub aliases: &'static [&'static str],
    /// How the Weights view lists it.
    pub title: &'static str,
    pub kind: TargetKind,
}

/// Options shared by the targets that have them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetOptions {
    pub int: IntTarget,
    /// NF4: quantize the absmax values too (QLoRA).
    pub double_quant: bool,
    /// NF4: the absmax block instead of the entry's.
    pub nf4_block: Option<usize>,
    /// Floats of 8 bits or fewer: cast without a scale.
    pub unscaled: bool,
}

const fn entry(
    id: &'static str,
    aliases: &'static [&'static str],
    title: &'static str,
    kind: TargetKind,
) -> TargetEntry {
    TargetEntry {
        id,
        aliases,
        title,
        kind,
    }
}

const fn float(format: &'static str, scaled: bool) -> TargetKind {
    TargetKind::Float { format, scaled }
}

/// Every target, in the order the Weights view lists them.
pub static CATALOG: &[TargetEntry] = &[
    entry("int", &[], "int (uniform)", TargetKind::Int),
    entry("none", &["f32", "keep"], "keep f32", TargetKind::Keep),
    entry("bf16", &["bfloat16"], "bf16", float("bf16", false)),
    entry("fp16", &["f16", "float16"], "fp16", float("f16", false)),
    entry(
        "e4m3fn",
        &["fp8", "float8_e4m3fn"],
        "fp8 e4m3fn (scaled)",
        float("e4m3fn", true),
    ),
    entry(
        "e5m2",
        &["float8_e5m2"],
        "fp8 e5m2 (scaled)",
        float("e5m2", true),
    ),
    entry(
        "e2m1fn",
        &["fp4", "float4_e2m1fn"],
        "fp4 e2m1 (scaled)",
        float("e2m1fn", true),
    ),
    entry("nf4", &[], "NF4 (block 64)", TargetKind::Nf4 { block: 64 }),
    entry(
        "mxfp8",
        &["mxfp8-e4m3"],
        "MXFP8 (E4M3)",
        TargetKind::Mx(MxKind::Fp8E4m3),
    ),
    entry(
        "mxfp8-e5m2",
        &[],
        "MXFP8 (E5M2)",
        TargetKind::Mx(MxKind::Fp8E5m2),
    ),
    entry(
        "mxfp6",
        &["mxfp6-e2m3"],
        "MXFP6 (E2M3)",
        TargetKind::Mx(MxKind::Fp6E2m3),
    ),
    entry(
        "mxfp6-e3m2",
        &[],
        "MXFP6 (E3M2)",
        TargetKind::Mx(MxKind::Fp6E3m2),
    ),
    entry("mxfp4", &[], "MXFP4", TargetKind::Mx(MxKind::Fp4E2m1)),
    entry("mxint8", &[], "MXINT8", TargetKind::Mx(MxKind::Int8)),
    entry("nvfp4", &[], "NVFP4", TargetKind::Nvfp4),
    entry("q8_0", &[], "GGUF Q8_0", TargetKind::Ggml(GgmlType::Q8_0)),
    entry("q4_0", &[], "GGUF Q4_0", TargetKind::Ggml(GgmlType::Q4_0)),
    entry("q4_1", &[], "GGUF Q4_1", TargetKind::Ggml(GgmlType::Q4_1)),
    entry("q5_0", &[], "GGUF Q5_0", TargetKind::Ggml(GgmlType::Q5_0)),
    entry("q5_1", &[], "GGUF Q5_1", TargetKind::Ggml(GgmlType::Q5_1)),
    entry("q4_k", &[], "GGUF Q4_K", TargetKind::Ggml(GgmlType::Q4_K)),
    entry("q5_k", &[], "GGUF Q5_K", TargetKind::Ggml(GgmlType::Q5_K)),
    entry("q6_k", &[], "GGUF Q6_K", TargetKind::Ggml(GgmlType::Q6_K)),
];

impl TargetEntry {
    /// The target this entry stands for under `o`.
    pub fn build(&self, o: &TargetOptions) -> Target {
        match self.kind {
            TargetKind::Int => Target::Int(o.int),
            TargetKind::Keep => Target::None,
            TargetKind::Float { format, scaled } => Target::Float {
                format: format.into(),
                scaled: scaled && !o.unscaled,
            },
            TargetKind::Nf4 { block } => Target::Nf4 {
                block: o.nf4_block.unwrap_or(block),
                double_quant: o.double_quant,
            },
            TargetKind::Mx(kind) => Target::Mx(kind),
            TargetKind::Nvfp4 => Target::Nvfp4,
            TargetKind::Ggml(ty) => Target::Ggml(ty),
        }
    }

    /// Integer targets: bits, sign, symmetry and the restricted range apply.
    pub fn is_int(&self) -> bool {
        self.kind == TargetKind::Int
    }

    /// A scale granularity and its calibration apply (integers and scaled floats).
    pub fn has_granularity(&self) -> bool {
        matches!(
            self.kind,
            TargetKind::Int | TargetKind::Float { scaled: true, .. }
        )
    }

    /// Nearest or stochastic rounding is a choice (integers and floats).
    pub fn has_rounding(&self) -> bool {
        matches!(self.kind, TargetKind::Int | TargetKind::Float { .. })
    }

    /// Whether `name` is this entry's id or one of its aliases (case-insensitive).
    fn is_named(&self, name: &str) -> bool {
        self.id.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }
}

/// The entry named `name` (an id or alias, case-insensitive).
pub fn find(name: &str) -> Option<&'static TargetEntry> {
    CATALOG.iter().find(|e| e.is_named(name.trim()))
}

/// The target `name` stands for under `o`: a catalog entry, else any float format numfmt
/// knows (8 bits or fewer scaled unless `o.unscaled`).
pub fn parse(name: &str, o: &TargetOptions) -> Result<Target, String> {
    if let Some(e) = find(name) {
        return Ok(e.build(o));
    }
    match Format::parse(name) {
        Ok(Format::Float(spec)) => Ok(Target::Float {
            format: Format::Float(spec).id(),
            scaled: spec.width() <= 8 && !o.unscaled,
        }),
        _ => Err(format!(
            "unknown target {name:?} (one of {}, or a float format such as e3m4)",
            CATALOG.iter().map(|e| e.id).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The entry `target` is built from (`None`: a float format the catalog does not list).
pub fn entry_for(target: &Target) -> Option<&'static TargetEntry> {
    let same_float = |a: &str, b: &str| match (Format::parse(a), Format::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    CATALOG.iter().find(|e| match (e.kind, target) {
        (TargetKind::Int, Target::Int(_))
        | (TargetKind::Keep, Target::None)
        | (TargetKind::Nvfp4, Target::Nvfp4)
        | (TargetKind::Nf4 { .. }, Target::Nf4 { .. }) => true,
        (TargetKind::Float { format, .. }, Target::Float { format: f, .. }) => {
            same_float(format, f)
        }
        (TargetKind::Mx(a), Target::Mx(b)) => a == *b,
        (TargetKind::Ggml(a), Target::Ggml(b)) => a == *b,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_found_by_its_names_and_by_what_it_builds() {
        for e in CATALOG {
            for name in std::iter::once(e.id).chain(e.aliases.iter().copied()) {
                assert_eq!(find(name), Some(e), "{name}");
                assert_eq!(find(&name.to_ascii_uppercase()), Some(e), "{name}");
            }
            let t = e.build(&TargetOptions::default());
            assert_eq!(entry_for(&t), Some(e), "{}", e.id);
        }
        let mut ids: Vec<&str> = CATALOG.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "ids are unique");
    }

    #[test]
    fn floats_outside_the_catalog_parse_by_numfmt_name() {
        let o = TargetOptions::default();
        assert_eq!(
            parse("e3m4", &o),
            Ok(Target::Float {
                format: "e3m4".into(),
                scaled: true
            })
        );
        assert!(entry_for(&parse("e3m4", &o).unwrap()).is_none());
        assert_eq!(
            parse("bfloat16", &o),
            Ok(Target::Float {
                format: "bf16".into(),
                scaled: false
            })
        );
        assert!(parse("q9_9", &o).unwrap_err().contains("unknown target"));
    }
}
