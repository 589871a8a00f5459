//! A config's short label, made from its scheme (`int4 sym/ch`, `prune 50%`,
//! `int8 sym/ch + prune 25%`, `e4m3fn`, `int8 sym/ch + fp8 act`) in the words of a
//! [`Words`] table: presets and the Weights view label configs in English ([`ENGLISH`]); the UI
//! writes the same label in its own language from the same scheme.

use super::config::Config;
use crate::compress::catalog;
use crate::compress::scheme::{Granularity, Target};

/// The words a label is made of.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    pub sym: &'static str,
    pub asym: &'static str,
    pub tensor: &'static str,
    pub channel: &'static str,
    pub prune: &'static str,
    pub act: &'static str,
    /// Marks a config whose tensors have schemes of their own (`int4 sym/ch (mixed)`).
    pub mixed: &'static str,
}

pub const ENGLISH: Words = Words {
    sym: "sym",
    asym: "asym",
    tensor: "tensor",
    channel: "ch",
    prune: "prune",
    act: "act",
    mixed: "mixed",
};

/// A sparsity in whole percent where it is one (`50%`, `12.5%`).
fn pct(sparsity: f64) -> String {
    let p = sparsity * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p}%")
    }
}

/// `int4 sym/ch`, `int8 asym/tensor`, `int4 sym/g128` in `w`'s words.
pub fn int_label(bits: u8, symmetric: bool, granularity: Granularity, w: &Words) -> String {
    let s = if symmetric { w.sym } else { w.asym };
    let g = match granularity {
        Granularity::Tensor => w.tensor.to_owned(),
        Granularity::Channel { axis: 0 } => w.channel.to_owned(),
        Granularity::Channel { axis } => format!("{}{axis}", w.channel),
        Granularity::Group { size } => format!("g{size}"),
    };
    format!("int{bits} {s}/{g}")
}

/// The label of `config` in `w`'s words: its scheme's, marked `(mixed)` when tensors have
/// schemes of their own.
pub fn label_in(config: &Config, w: &Words) -> Option<String> {
    let mut label = scheme_label(config, w)?;
    if !config.overrides.is_empty() {
        label.push_str(&format!(" ({})", w.mixed));
    }
    Some(label)
}

/// The label of `config`'s own scheme (and activations).
fn scheme_label(config: &Config, w: &Words) -> Option<String> {
    let scheme = &config.scheme;
    let target = match &scheme.target {
        Target::None if scheme.prune.is_some() => None,
        Target::None => Some("fp32".to_owned()),
        Target::Int(t) => Some(int_label(t.bits, t.symmetric, scheme.granularity, w)),
        Target::Float { format, .. } => Some(
            catalog::entry_for(&scheme.target).map_or_else(|| format.clone(), |e| e.id.to_owned()),
        ),
        other => Some(
            catalog::entry_for(other).map_or_else(|| format!("{other:?}"), |e| e.id.to_owned()),
        ),
    };
    let mut label = target.unwrap_or_default();
    if let Some(p) = scheme.prune {
        if !label.is_empty() {
            label.push_str(" + ");
        }
        label.push_str(&format!("{} {}", w.prune, pct(p.sparsity)));
    }
    if let Some(act) = config.act {
        label.push_str(&format!(" + {} {}", act.name(), w.act));
    }
    Some(label)
}

/// `config`'s label in `w`'s words when it is the label its scheme gives in English (a preset's
/// or the Weights view's), else its own label unchanged.
pub fn relabel(config: &Config, label: &str, w: &Words) -> String {
    match (label_in(config, &ENGLISH), label_in(config, w)) {
        (Some(en), Some(other)) if en == label => other,
        _ => label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sweeps::{Preset, int_config, prune_config};

    const OTHER: Words = Words {
        sym: "S",
        asym: "A",
        tensor: "T",
        channel: "C",
        prune: "P",
        act: "X",
        mixed: "M",
    };

    #[test]
    fn presets_are_labelled_from_their_schemes() {
        for c in Preset::Lecture
            .configs()
            .iter()
            .chain(&Preset::Formats.configs())
        {
            assert_eq!(label_in(c, &ENGLISH).as_deref(), Some(c.label.as_str()));
        }
        let c = int_config(4, true, Granularity::Channel { axis: 0 }, 0.5);
        assert_eq!(c.label, "int4 sym/ch + prune 50%");
        assert_eq!(relabel(&c, &c.label, &OTHER), "int4 S/C + P 50%");
        assert_eq!(prune_config(0.125).label, "prune 12.5%");
        // A label of its own stays.
        assert_eq!(relabel(&c, "my setting", &OTHER), "my setting");
        let mut mixed = c.clone();
        mixed
            .overrides
            .insert("fc1.weight".into(), Config::baseline().scheme);
        assert_eq!(
            label_in(&mixed, &OTHER).as_deref(),
            Some("int4 S/C + P 50% (M)")
        );
    }
}
