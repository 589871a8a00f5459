//! Diagnostic jobs for tests and responsiveness checks: a job that ticks (progress only, with a
//! pause per tick, cancellable between ticks) and a job that panics. They exercise the worker's
//! lanes, cancellation, stale-event dropping and panic-to-failure with no model at all.

use std::time::Duration;

use super::{CancelToken, EventKind};

/// A diagnostic job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Report `n` progress ticks, sleeping `tick_ms` before each; stops early when cancelled.
    Ticks { n: usize, tick_ms: u64 },
    /// Panic with this message (the worker must turn it into a failed job).
    Panic(String),
}

pub(crate) fn run(probe: &Probe, cancel: &CancelToken, emit: &mut dyn FnMut(EventKind)) {
    match probe {
        Probe::Ticks { n, tick_ms } => {
            emit(EventKind::Progress { done: 0, total: *n });
            for done in 1..=*n {
                std::thread::sleep(Duration::from_millis(*tick_ms));
                if cancel.is_cancelled() {
                    return;
                }
                emit(EventKind::Progress { done, total: *n });
            }
        }
        Probe::Panic(message) => panic!("{message}"),
    }
}
