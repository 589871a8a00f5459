//! The background worker: runs [`Request`]s off the UI thread, streams their events back, and
//! wakes the UI. Latest-wins per [`Lane`]: submitting a job cancels the previous job of the
//! same lane, and its late events are dropped by job id. A panicking job becomes a
//! [`EventKind::Failed`] event; the app never freezes or dies with it.
//!
//! Throughput jobs (sweeps, sensitivity runs) run their data-parallel kernels in a background
//! rayon pool one thread smaller than the machine ([`background_threads`]), so a long sweep
//! leaves a core to the UI thread and to latency-bound jobs (previews, single configs), which
//! use the global pool.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use super::{CancelToken, Event, EventKind, JobId, Lane, Request, run_job};

/// How a worker wakes its owner when an event is ready (the GUI passes
/// `ctx.request_repaint()`, the CLI and tests a no-op).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Runs jobs on background threads (or inline, for tests) and collects their events.
pub struct Engine {
    tx: Sender<Event>,
    rx: Receiver<Event>,
    waker: Waker,
    next_id: JobId,
    /// The newest job of each lane and its cancel token.
    running: BTreeMap<Lane, (JobId, CancelToken)>,
    inline: bool,
    /// Jobs started and not yet finished, for "busy" indicators.
    live: Arc<Mutex<usize>>,
}

impl Engine {
    /// An engine that runs every job on its own background thread.
    pub fn new(waker: Waker) -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx,
            waker,
            next_id: 0,
            running: BTreeMap::new(),
            inline: false,
            live: Arc::default(),
        }
    }

    /// An engine that runs each job to completion inside [`Engine::submit`]: deterministic, for
    /// UI tests where a frame must settle.
    pub fn inline() -> Self {
        Self {
            inline: true,
            ..Self::new(Arc::new(|| {}))
        }
    }

    /// Start `request`, cancelling the previous job of its lane. Returns the new job's id.
    pub fn submit(&mut self, request: Request) -> JobId {
        self.next_id += 1;
        let id = self.next_id;
        let lane = request.lane();
        if let Some((_, old)) = self.running.insert(lane, (id, CancelToken::default())) {
            old.cancel();
        }
        let cancel = self.running[&lane].1.clone();
        let tx = self.tx.clone();
        let waker = Arc::clone(&self.waker);
        let live = Arc::clone(&self.live);
        *live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        let job = move || {
            execute(id, lane, &request, &cancel, &tx, &waker);
            *live
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) -= 1;
            waker();
        };
        if self.inline {
            job();
            return id;
        }
        #[allow(clippy::disallowed_methods, reason = "the engine's own job threads")]
        let spawned = std::thread::Builder::new()
            .name(format!("bitlens-job-{id}"))
            .spawn(job);
        if let Err(err) = spawned {
            let _ = self.tx.send(Event {
                job: id,
                lane,
                kind: EventKind::Failed(format!("could not start a worker: {err}")),
            });
        }
        id
    }

    /// Cancel the running job of `lane`, if any.
    pub fn cancel(&mut self, lane: Lane) {
        if let Some((_, token)) = self.running.get(&lane) {
            token.cancel();
        }
    }

    /// The id of the newest job of `lane`.
    pub fn current(&self, lane: Lane) -> Option<JobId> {
        self.running.get(&lane).map(|(id, _)| *id)
    }

    /// Events of current jobs since the last call; events of superseded jobs are dropped.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(event) = self.rx.try_recv() {
            if self.current(event.lane) == Some(event.job) {
                out.push(event);
            }
        }
        out
    }

    /// Number of jobs still running (superseded ones included until they notice the cancel).
    pub fn live_jobs(&self) -> usize {
        *self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Threads of the background pool: one less than the available parallelism (at least 1).
pub fn background_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

fn background_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(background_threads())
            .thread_name(|i| format!("bitlens-bg-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

fn execute(
    id: JobId,
    lane: Lane,
    request: &Request,
    cancel: &CancelToken,
    tx: &Sender<Event>,
    waker: &Waker,
) {
    let mut emit = |kind: EventKind| {
        let _ = tx.send(Event {
            job: id,
            lane,
            kind,
        });
        waker();
    };
    let background = matches!(lane, Lane::Sweep | Lane::Sensitivity);
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        match background_pool().filter(|_| background) {
            Some(pool) => pool.install(|| run_job(request, cancel, &mut emit)),
            None => run_job(request, cancel, &mut emit),
        }
    }));
    match outcome {
        Ok(Ok(())) if cancel.is_cancelled() => emit(EventKind::Cancelled),
        Ok(Ok(())) => {}
        Ok(Err(message)) => emit(EventKind::Failed(message)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            emit(EventKind::Failed(format!(
                "internal error in a background job: {message}"
            )));
        }
    }
}
