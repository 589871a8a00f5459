//! The Weights view's measured setting: its preview, its whole-model point, setting A of an A/B
//! comparison, and its weight-activation study, as the engine streams them.

use std::sync::Arc;

use crate::engine::{ActivationStudy, Config, ConfigPoint, EventKind, Lane, Output, Preview};

/// Setting A: its config and the whole-model point measured for it when it was pinned.
#[derive(Clone, Debug)]
pub struct Pinned {
    pub config: Config,
    pub point: Option<Arc<ConfigPoint>>,
}

#[derive(Clone, Debug, Default)]
pub struct PreviewState {
    /// The last finished preview (kept on screen until the next one is ready).
    pub latest: Option<Arc<Preview>>,
    /// The whole model measured under the previewed setting (accuracy when evaluable).
    pub point: Option<Arc<ConfigPoint>>,
    /// Setting A of an A/B comparison (also marked in the trade-off plot).
    pub pinned: Option<Pinned>,
    /// `(done, total)` while a preview job runs.
    pub progress: Option<(usize, usize)>,
    pub error: Option<String>,
    /// Weight-activation quantization of the setting (evaluable models), or why it could not
    /// be measured.
    pub activations: Option<Result<Arc<ActivationStudy>, String>>,
}

impl PreviewState {
    /// Fold one event of the preview or activation lane.
    pub(super) fn apply(&mut self, lane: Lane, kind: EventKind) {
        match (lane, kind) {
            (Lane::Preview, EventKind::Output(Output::Preview(preview))) => {
                self.latest = Some(preview);
                self.error = None;
            }
            (Lane::Preview, EventKind::Output(Output::ConfigEvaluated(point))) => {
                // A pinned before its whole-model point arrived gets it now.
                if let Some(a) = self.pinned.as_mut().filter(|a| a.point.is_none())
                    && a.config == point.config
                {
                    a.point = Some(Arc::clone(&point));
                }
                self.point = Some(point);
            }
            (Lane::Preview, EventKind::Progress { done, total }) => {
                self.progress = Some((done, total));
            }
            (Lane::Preview, EventKind::Finished | EventKind::Cancelled) => self.progress = None,
            (Lane::Preview, EventKind::Failed(message)) => {
                self.progress = None;
                self.error = Some(message);
            }
            (Lane::Activations, EventKind::Output(Output::Activations(study))) => {
                self.activations = Some(Ok(study));
            }
            (Lane::Activations, EventKind::Failed(message)) => {
                self.activations = Some(Err(message));
            }
            _ => {}
        }
    }
}
