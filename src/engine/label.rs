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
}

pub const ENGLISH: Words = Words {
    sym: "sym",
    asym: "asym",
    tensor: "tensor",
    channel: "ch",
    prune: "prune",
    act: "act",
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

/// The label of `config` in `w`'s words (`None` for mixed precision: its label is its own).
pub fn label_in(config: &Config, w: &Words) -> Option<String> {
    if !config.overrides.is_empty() {
        return None;
    }
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
