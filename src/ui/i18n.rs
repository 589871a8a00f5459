//! English and Korean UI text through one translation table, kept in a few files by panel
//! group ([`TABLES`]).
//!
//! The app's own text goes through [`tr`] (typed keys). Text the core makes is typed and worded
//! per variant: compressor and export notes, runner reasons and readings, config labels
//! ([`super::i18n_core`]); format titles, formula rules, arithmetic notes
//! ([`super::i18n_formats`]); demo run names and notes by their code (`lessons/demo_text.rs`).
//! No English sentence is matched. A test checks that every key has both languages,
//! `tests/all/ui_korean.rs` walks every panel and lesson in Korean and fails on English left on
//! screen, and the kittest harnesses panic on a missing glyph.

use serde::{Deserialize, Serialize};

/// Every (key, English, Korean) entry, by panel group.
pub static TABLES: &[&[(&str, &str, &str)]] = &[
    super::i18n_table::TABLE,
    super::i18n_table_compress::TABLE,
    super::i18n_table_lessons::TABLE,
];

fn entries() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Self::En),
            "ko" | "kr" | "korean" => Some(Self::Ko),
            _ => None,
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Self::En => Self::Ko,
            Self::Ko => Self::En,
        }
    }

    /// The name of the language in itself, for the toggle button.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ko => "한국어",
        }
    }
}

/// The text for `key` in `lang`. An unknown key is returned as-is (and fails a debug assertion),
/// so a typo shows up on screen instead of as an empty label.
pub fn tr(lang: Lang, key: &'static str) -> &'static str {
    if let Some((_, en, ko)) = entries().find(|(k, _, _)| *k == key) {
        match lang {
            Lang::En => en,
            Lang::Ko => ko,
        }
    } else {
        debug_assert!(false, "missing i18n key {key:?}");
        key
    }
}

/// `template` with `{0}`, `{1}`, … replaced by `values`.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = template.to_owned();
    for (i, v) in values.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), v);
    }
    out
}

/// The translated name of a fidelity metric (looked up by the metric, not by its English text).
pub fn metric_label(lang: Lang, m: crate::run::Metric) -> &'static str {
    use crate::run::Metric;
    tr(
        lang,
        match m {
            Metric::EmbeddingCosine => "metric.embedding_cosine",
            Metric::NeighbourOverlap10 => "metric.top10_neighbour_overlap",
            Metric::Top1Agreement => "metric.top1_agreement",
            Metric::OutputCosine => "metric.output_cosine",
            Metric::SoftmaxKl => "metric.softmax_kl",
            Metric::FrameAgreement => "metric.frame_agreement",
            Metric::OneMinusMeanAbsDeltaP => "metric.one_minus_mean_abs_dp",
            Metric::OneMinusCer => "metric.one_minus_cer",
            Metric::OneMinusCerVsFp32 => "metric.one_minus_cer_vs_fp32",
        },
    )
}

/// One fidelity figure with its metric named, its secondary figures and its inputs.
pub fn fidelity_text(lang: Lang, f: &crate::run::Fidelity) -> String {
    let mut s = format!("{}: {:.4}", metric_label(lang, f.metric), f.value);
    for (m, v) in &f.others {
        s.push_str(&format!(" · {}: {v:.4}", metric_label(lang, *m)));
    }
    s.push_str(&format!(" ({} {}", f.n_inputs, tr(lang, "metric.inputs")));
    if f.synthetic {
        s.push_str(&format!(", {}", tr(lang, "metric.synthetic")));
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = entries().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "duplicate i18n keys");
        for (k, en, ko) in entries() {
            assert!(!en.is_empty() && !ko.is_empty(), "untranslated key {k}");
        }
    }

    #[test]
    fn lookup_switches_language() {
        assert_eq!(tr(Lang::En, "panel.formats"), "Formats");
        assert_eq!(tr(Lang::Ko, "panel.formats"), "수 형식");
    }
}
