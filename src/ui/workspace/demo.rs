//! The running or last finished training demo, as its epochs stream in.

use std::sync::Arc;

use crate::engine::{DemoKind, EventKind, Output};

#[derive(Clone, Debug, Default)]
pub struct DemoState {
    pub kind: Option<DemoKind>,
    pub running: bool,
    /// Series name → (epoch, test accuracy in %) as the epochs stream in, in arrival order.
    pub curves: Vec<(crate::demos::Label, Vec<[f64; 2]>)>,
    /// The finished report (what `bitlens demo --json` prints).
    pub report: Option<Arc<crate::demos::DemoReport>>,
    pub error: Option<String>,
}

impl DemoState {
    /// Fold one event of the demo lane.
    pub(super) fn apply(&mut self, kind: EventKind) {
        match kind {
            EventKind::Output(Output::DemoEpoch(e)) => {
                let point = [e.epoch as f64, e.test_accuracy * 100.0];
                match self.curves.iter_mut().find(|(name, _)| *name == e.series) {
                    Some((_, points)) => points.push(point),
                    None => self.curves.push((e.series, vec![point])),
                }
            }
            EventKind::Output(Output::Demo { report, .. }) => self.report = Some(report),
            EventKind::Finished | EventKind::Cancelled => self.running = false,
            EventKind::Failed(message) => {
                self.running = false;
                self.error = Some(message);
            }
            EventKind::Output(_) | EventKind::Progress { .. } => {}
        }
    }
}
