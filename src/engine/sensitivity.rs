//! Per-layer sensitivity and a mixed-precision assignment under a size budget.
//!
//! **Sensitivity**: every layer (each tensor the probe scheme compresses: 2-D weights unless
//! `include_1d`) is compressed alone with the probe scheme, the rest of the model stays f32, and
//! the accuracy drop and loss increase are measured (for models that cannot be evaluated: the
//! layer's SQNR and its share of the model's error energy).
//!
//! **Mixed precision**: each layer is also measured alone under every candidate scheme. The cost
//! of a choice is its measured loss increase (error energy `Σ(w − ŵ)²` for models that cannot be
//! evaluated; that one is exactly additive). Minimising the summed cost subject to
//! `Σ bytes ≤ budget` is solved exactly by enumeration when there are at most
//! [`EXHAUSTIVE_LIMIT`] combinations, otherwise greedily (repeatedly take the move to a smaller
//! option with the least cost per byte saved). The chosen assignment is then compressed and
//! measured as a whole like any other config: its accuracy is measured, not summed.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::config::{Config, ConfigPoint, eligible, evaluate_config_cancellable, f32_scheme};
use super::loaded::LoadedModel;
use super::presets::{int_label, int_scheme};
use super::{CancelToken, EventKind, Output};
use crate::compress::scheme::{Granularity, Scheme};

/// Combinations up to which the assignment is searched exhaustively.
pub const EXHAUSTIVE_LIMIT: u64 = 200_000;

/// A labelled scheme (a probe or a mixed-precision candidate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub label: String,
    pub scheme: Scheme,
}

/// The size budget of a mixed-precision assignment (whole model, every loaded tensor).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Bytes(u64),
    BitsPerWeight(f64),
    /// The size of the model with every layer under the probe scheme.
    SameAsProbe,
}

/// What a sensitivity run measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivitySpec {
    /// Each layer alone is compressed with this.
    pub probe: Candidate,
    /// Mixed-precision options per layer (empty: no assignment).
    pub candidates: Vec<Candidate>,
    /// `None`: no assignment.
    pub budget: Option<Budget>,
}

impl SensitivitySpec {
    /// Probe = `bits`-bit symmetric per-channel integers; candidates = int 8/6/5/4/3/2 (and
    /// `bits`) symmetric per-channel.
    pub fn int_bits(bits: u8, budget: Option<Budget>) -> Self {
        let ch = Granularity::Channel { axis: 0 };
        let cand = |b: u8| Candidate {
            label: int_label(b, true, ch),
            scheme: int_scheme(b, true, ch),
        };
        let mut bits_list = vec![8u8, 6, 5, 4, 3, 2];
        if !bits_list.contains(&bits) {
            bits_list.push(bits);
            bits_list.sort_unstable_by(|a, b| b.cmp(a));
        }
        Self {
            probe: cand(bits),
            candidates: bits_list.into_iter().map(cand).collect(),
            budget,
        }
    }
}

/// One layer's sensitivity to the probe scheme.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerSensitivity {
    /// Position among the probed layers.
    pub index: usize,
    pub tensor: String,
    pub n: u64,
    /// Accuracy with only this layer compressed (`None`: not evaluable).
    pub accuracy: Option<f64>,
    /// Baseline accuracy − accuracy (fraction, not percent).
    pub accuracy_drop: Option<f64>,
    /// Loss − baseline loss.
    pub loss_delta: Option<f64>,
    /// Model-level fidelity with only this layer compressed (models that run).
    pub fidelity: Option<f64>,
    /// Baseline fidelity − fidelity.
    pub fidelity_drop: Option<f64>,
    /// SQNR of this tensor under the probe.
    pub sqnr_db: f64,
    /// Share of the model's error energy if every layer were probed (0…1).
    pub error_share: f64,
    /// Bytes of this tensor under the probe, and in f32.
    pub tensor_bytes: u64,
    pub f32_bytes: u64,
}

/// One layer's choice in a mixed-precision assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerChoice {
    pub tensor: String,
    /// Index into the candidates.
    pub candidate: usize,
    pub label: String,
    pub tensor_bytes: u64,
    /// The measured cost of this layer alone under this candidate.
    pub cost: f64,
}

/// A mixed-precision assignment and its measured point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MixedPrecision {
    pub budget_bytes: u64,
    /// `false`: even the smallest options exceed the budget (the smallest are returned).
    pub feasible: bool,
    /// `exhaustive` or `greedy`.
    pub search: String,
    /// `loss` (loss increase), `fidelity_drop` (models that run) or `error_energy` (Σ(w − ŵ)²).
    pub cost: String,
    pub choices: Vec<LayerChoice>,
    /// The candidates' labels (columns of `costs` / `bytes`).
    pub candidates: Vec<String>,
    /// Measured cost and tensor bytes per layer × candidate.
    pub costs: Vec<Vec<f64>>,
    pub bytes: Vec<Vec<u64>>,
    /// The assignment as a config, compressed and measured as a whole (apply `point.config`).
    pub point: ConfigPoint,
}

/// Measurement of one layer alone under one scheme.
struct Single {
    accuracy: Option<f64>,
    fidelity: Option<f64>,
    loss: Option<f64>,
    sqnr_db: f64,
    sum_e2: f64,
    tensor_bytes: u64,
}

fn measure(
    model: &LoadedModel,
    tensor: &str,
    cand: &Candidate,
    cancel: &CancelToken,
) -> Result<Option<Single>, String> {
    let mut config = Config::new(format!("{tensor}: {}", cand.label), f32_scheme());
    config
        .overrides
        .insert(tensor.to_owned(), cand.scheme.clone());
    let Some(p) = evaluate_config_cancellable(model, &config, cancel)? else {
        return Ok(None);
    };
    let t = p
        .tensors
        .iter()
        .find(|t| t.name == tensor)
        .ok_or_else(|| format!("tensor `{tensor}` missing from its own point"))?;
    Ok(Some(Single {
        accuracy: p.accuracy,
        fidelity: p.fidelity.as_ref().map(|f| f.value),
        loss: p.loss,
        sqnr_db: t.metrics.sqnr_db,
        sum_e2: t.metrics.mse * t.metrics.n as f64,
        tensor_bytes: t.size.bytes,
    }))
}

/// The layers a scheme compresses.
pub fn layers(model: &LoadedModel, probe: &Scheme) -> Vec<String> {
    model
        .tensors
        .iter()
        .filter(|t| eligible(probe, t, false))
        .map(|t| t.name.clone())
        .collect()
}

pub(crate) fn run(
    model: &LoadedModel,
    spec: &SensitivitySpec,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    spec.probe.scheme.validate().map_err(|e| e.to_string())?;
    let names = layers(model, &spec.probe.scheme);
    if names.is_empty() {
        return Err(format!("{}: no tensor to probe", model.label));
    }
    let with_mix = spec.budget.is_some() && !spec.candidates.is_empty();
    let total = names.len() * (1 + if with_mix { spec.candidates.len() } else { 0 })
        + usize::from(with_mix);
    emit(EventKind::Progress { done: 0, total });
    let base = Baseline::of(model, cancel)?;
    let mut r = Probing {
        model,
        spec,
        cancel,
        emit,
        done: 0,
        total,
        base,
    };
    let Some(probes) = r.probe_layers(&names)? else {
        return Ok(());
    };
    r.emit_layers(&names, &probes)?;
    let Some(budget) = spec.budget.filter(|_| with_mix) else {
        return Ok(());
    };
    let Some((costs, bytes)) = r.cost_table(&names)? else {
        return Ok(());
    };
    let Some(mixed) = r.mixed(&names, &probes, budget, costs, bytes)? else {
        return Ok(());
    };
    (r.emit)(EventKind::Output(Output::Mixed(Arc::new(mixed))));
    (r.emit)(EventKind::Progress { done: total, total });
    Ok(())
}

/// The model's measurements with nothing compressed (`None` where it cannot be evaluated).
struct Baseline {
    accuracy: Option<f64>,
    loss: Option<f64>,
    fidelity: Option<f64>,
}

impl Baseline {
    fn of(model: &LoadedModel, cancel: &CancelToken) -> Result<Self, String> {
        let base = model.baseline_report();
        let fidelity = match model.runner() {
            Some(_) => model.fidelity(&[], cancel)?.map(|f| f.value),
            None => None,
        };
        Ok(Self {
            accuracy: base.map(|r| r.accuracy),
            loss: base.map(|r| r.loss),
            fidelity,
        })
    }
}

/// One sensitivity run under way: what it measures, against what, and its progress.
struct Probing<'a> {
    model: &'a LoadedModel,
    spec: &'a SensitivitySpec,
    cancel: &'a CancelToken,
    emit: &'a mut dyn FnMut(EventKind),
    done: usize,
    total: usize,
    base: Baseline,
}

impl Probing<'_> {
    /// One more measurement done.
    fn advance(&mut self) {
        self.done += 1;
        (self.emit)(EventKind::Progress {
            done: self.done,
            total: self.total,
        });
    }

    /// Each layer alone under the probe (`None`: cancelled).
    fn probe_layers(&mut self, names: &[String]) -> Result<Option<Vec<Single>>, String> {
        let mut probes = Vec::with_capacity(names.len());
        for name in names {
            let Some(s) = measure(self.model, name, &self.spec.probe, self.cancel)? else {
                return Ok(None);
            };
            probes.push(s);
            self.advance();
        }
        Ok(Some(probes))
    }

    /// Emit each layer's sensitivity (drops against the baseline, share of the error energy).
    fn emit_layers(&mut self, names: &[String], probes: &[Single]) -> Result<(), String> {
        let base = &self.base;
        let energy: f64 = probes.iter().map(|s| s.sum_e2).sum();
        for (index, (name, s)) in names.iter().zip(probes).enumerate() {
            let t = self.model.tensor(name).ok_or("layer vanished")?;
            let layer = LayerSensitivity {
                index,
                tensor: name.clone(),
                n: t.len as u64,
                accuracy: s.accuracy,
                accuracy_drop: base.accuracy.zip(s.accuracy).map(|(b, a)| b - a),
                loss_delta: base.loss.zip(s.loss).map(|(b, l)| l - b),
                fidelity: s.fidelity,
                fidelity_drop: base.fidelity.zip(s.fidelity).map(|(b, f)| b - f),
                sqnr_db: s.sqnr_db,
                error_share: if energy > 0.0 { s.sum_e2 / energy } else { 0.0 },
                tensor_bytes: s.tensor_bytes,
                f32_bytes: 4 * t.len as u64,
            };
            (self.emit)(EventKind::Output(Output::Layer(Arc::new(layer))));
        }
        Ok(())
    }

    /// Cost and bytes of every layer alone under every candidate (`None`: cancelled).
    #[allow(clippy::type_complexity)]
    fn cost_table(
        &mut self,
        names: &[String],
    ) -> Result<Option<(Vec<Vec<f64>>, Vec<Vec<u64>>)>, String> {
        let evaluable = self.base.loss.is_some();
        let mut costs = Vec::with_capacity(names.len());
        let mut bytes = Vec::with_capacity(names.len());
        for name in names {
            let (mut c_row, mut b_row) = (Vec::new(), Vec::new());
            for cand in &self.spec.candidates {
                let Some(s) = measure(self.model, name, cand, self.cancel)? else {
                    return Ok(None);
                };
                c_row.push(
                    match (
                        evaluable,
                        s.loss,
                        self.base.loss,
                        self.base.fidelity,
                        s.fidelity,
                    ) {
                        (true, Some(l), Some(b), _, _) => l - b,
                        (_, _, _, Some(b), Some(f)) => b - f,
                        _ => s.sum_e2,
                    },
                );
                b_row.push(s.tensor_bytes);
                self.advance();
            }
            costs.push(c_row);
            bytes.push(b_row);
        }
        Ok(Some((costs, bytes)))
    }

    /// The assignment under `budget`, compressed and measured as a whole (`None`: cancelled).
    fn mixed(
        &self,
        names: &[String],
        probes: &[Single],
        budget: Budget,
        costs: Vec<Vec<f64>>,
        bytes: Vec<Vec<u64>>,
    ) -> Result<Option<MixedPrecision>, String> {
        let (budget_bytes, fixed) = budget_bytes(self.model, names, probes, budget);
        let limit = budget_bytes.saturating_sub(fixed);
        let (pick, feasible, search) = assign(&costs, &bytes, limit);
        let candidates = &self.spec.candidates;
        let mut config = Config::new("", f32_scheme());
        let mut choices = Vec::with_capacity(names.len());
        for (l, name) in names.iter().enumerate() {
            let c = pick[l];
            config
                .overrides
                .insert(name.clone(), candidates[c].scheme.clone());
            choices.push(LayerChoice {
                tensor: name.clone(),
                candidate: c,
                label: candidates[c].label.clone(),
                tensor_bytes: bytes[l][c],
                cost: costs[l][c],
            });
        }
        config.label = mixed_label(budget_bytes, &choices);
        let Some(point) = evaluate_config_cancellable(self.model, &config, self.cancel)? else {
            return Ok(None);
        };
        let cost = match (self.base.loss.is_some(), self.base.fidelity) {
            (true, _) => "loss",
            (false, Some(_)) => "fidelity_drop",
            (false, None) => "error_energy",
        };
        Ok(Some(MixedPrecision {
            budget_bytes,
            feasible,
            search: search.into(),
            cost: cost.into(),
            choices,
            candidates: candidates.iter().map(|c| c.label.clone()).collect(),
            costs,
            bytes,
            point,
        }))
    }
}

/// The whole-model budget in bytes, and the bytes of the tensors that are not probed layers
/// (kept as stored, so outside the layers' share).
fn budget_bytes(
    model: &LoadedModel,
    names: &[String],
    probes: &[Single],
    budget: Budget,
) -> (u64, u64) {
    let layer_set: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let fixed: u64 = model
        .tensors
        .iter()
        .filter(|t| !layer_set.contains(t.name.as_str()))
        .map(|t| t.stored_bytes)
        .sum();
    let budget_bytes = match budget {
        Budget::Bytes(b) => b,
        Budget::BitsPerWeight(bpw) => (bpw * model.n_params() as f64 / 8.0).floor() as u64,
        Budget::SameAsProbe => fixed + probes.iter().map(|s| s.tensor_bytes).sum::<u64>(),
    };
    (budget_bytes, fixed)
}

fn mixed_label(budget_bytes: u64, choices: &[LayerChoice]) -> String {
    // "mixed ≤ 30000 B: fc1 int4, fc2 int6, fc3 int8"
    let parts: Vec<String> = choices
        .iter()
        .map(|c| {
            let short = c.tensor.trim_end_matches(".weight");
            format!("{short} {}", c.label.split(' ').next().unwrap_or(""))
        })
        .collect();
    format!("mixed ≤ {budget_bytes} B: {}", parts.join(", "))
}

/// Pick one option per layer minimising Σ cost with Σ bytes ≤ `limit`. Returns the picks,
/// whether the budget is met, and the search used.
pub fn assign(
    costs: &[Vec<f64>],
    bytes: &[Vec<u64>],
    limit: u64,
) -> (Vec<usize>, bool, &'static str) {
    let combos = bytes
        .iter()
        .try_fold(1u64, |acc, row| acc.checked_mul(row.len().max(1) as u64))
        .unwrap_or(u64::MAX);
    if combos <= EXHAUSTIVE_LIMIT {
        let (pick, ok) = exhaustive(costs, bytes, limit);
        (pick, ok, "exhaustive")
    } else {
        let (pick, ok) = greedy(costs, bytes, limit);
        (pick, ok, "greedy")
    }
}

fn smallest(bytes: &[Vec<u64>]) -> Vec<usize> {
    bytes
        .iter()
        .map(|row| (0..row.len()).min_by_key(|&c| (row[c], c)).unwrap_or(0))
        .collect()
}

fn exhaustive(costs: &[Vec<f64>], bytes: &[Vec<u64>], limit: u64) -> (Vec<usize>, bool) {
    let n = bytes.len();
    let mut cur = vec![0usize; n];
    let mut best: Option<(f64, u64, Vec<usize>)> = None;
    loop {
        let size: u64 = (0..n).map(|l| bytes[l][cur[l]]).sum();
        if size <= limit {
            let cost: f64 = (0..n).map(|l| costs[l][cur[l]]).sum();
            let better = match &best {
                None => true,
                Some((bc, bs, _)) => cost < *bc || (cost == *bc && size < *bs),
            };
            if better {
                best = Some((cost, size, cur.clone()));
            }
        }
        // Next combination (mixed radix).
        let mut l = 0;
        loop {
            if l == n {
                return match best {
                    Some((_, _, pick)) => (pick, true),
                    None => (smallest(bytes), false),
                };
            }
            cur[l] += 1;
            if cur[l] < bytes[l].len() {
                break;
            }
            cur[l] = 0;
            l += 1;
        }
    }
}

fn greedy(costs: &[Vec<f64>], bytes: &[Vec<u64>], limit: u64) -> (Vec<usize>, bool) {
    // Start from the cheapest-cost option of every layer, then shrink.
    let mut pick: Vec<usize> = costs
        .iter()
        .map(|row| {
            (0..row.len())
                .min_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0)
        })
        .collect();
    let size = |p: &[usize]| -> u64 { p.iter().enumerate().map(|(l, &c)| bytes[l][c]).sum() };
    while size(&pick) > limit {
        let mut best: Option<(f64, usize, usize)> = None;
        for (l, row) in bytes.iter().enumerate() {
            for (c, &b) in row.iter().enumerate() {
                if b >= row[pick[l]] {
                    continue;
                }
                let saved = (row[pick[l]] - b) as f64;
                let rate = (costs[l][c] - costs[l][pick[l]]) / saved;
                if best.is_none_or(|(r, _, _)| rate < r) {
                    best = Some((rate, l, c));
                }
            }
        }
        match best {
            Some((_, l, c)) => pick[l] = c,
            None => return (pick, false),
        }
    }
    (pick, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustive_and_greedy_agree_on_a_small_case() {
        let costs = vec![
            vec![0.0, 0.1, 0.5],
            vec![0.0, 0.01, 0.02],
            vec![0.0, 0.3, 0.9],
        ];
        let bytes = vec![vec![100, 50, 25], vec![100, 50, 25], vec![10, 5, 2]];
        let (p, ok, s) = assign(&costs, &bytes, 140);
        assert_eq!((p.as_slice(), ok, s), (&[0, 2, 0][..], true, "exhaustive"));
        let (g, ok) = greedy(&costs, &bytes, 140);
        assert!(ok);
        assert_eq!(g, vec![0, 2, 0]);
        let (p, ok, _) = assign(&costs, &bytes, 10);
        assert_eq!((p, ok), (vec![2, 2, 2], false));
    }
}
