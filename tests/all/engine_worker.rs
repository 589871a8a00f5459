//! The background engine: latest-wins cancellation per lane, stale events dropped by job id, a
//! panicking job becomes `Failed` and the engine keeps working, and the compression jobs stream
//! their outputs through the threaded worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bitlens::engine::sweeps::{Preset, int_config};
use bitlens::engine::{
    Config, Engine, Event, EventKind, JobId, Lane, LoadedModel, Output, Preview, Probe, Request,
};
use bitlens::tensor::Tensor;

fn builtin() -> Arc<LoadedModel> {
    static M: OnceLock<Arc<LoadedModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| Arc::new(LoadedModel::builtin().unwrap())))
}

/// Poll until `job` of `lane` ends (Finished / Failed / Cancelled); all polled events.
fn wait_end(engine: &mut Engine, job: JobId, timeout: Duration) -> Vec<Event> {
    let start = Instant::now();
    let mut events = Vec::new();
    loop {
        for e in engine.poll() {
            let end = e.job == job
                && matches!(
                    e.kind,
                    EventKind::Finished | EventKind::Failed(_) | EventKind::Cancelled
                );
            events.push(e);
            if end {
                return events;
            }
        }
        assert!(
            start.elapsed() < timeout,
            "job {job} did not end; events so far: {events:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn counting_engine() -> (Engine, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    (
        Engine::new(Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        })),
        wakes,
    )
}

#[test]
fn latest_wins_and_stale_events_are_dropped() {
    let (mut engine, wakes) = counting_engine();
    let old = engine.submit(Request::Probe(Probe::Ticks {
        n: 1000,
        tick_ms: 2,
    }));
    // Let the old job send a few (unpolled) events.
    let start = Instant::now();
    while wakes.load(Ordering::Relaxed) < 5 {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1));
    }
    let new = engine.submit(Request::Probe(Probe::Ticks { n: 3, tick_ms: 1 }));
    assert_eq!(engine.current(Lane::Probe), Some(new));
    let events = wait_end(&mut engine, new, Duration::from_secs(10));
    assert!(
        events.iter().all(|e| e.job == new),
        "stale events leaked: {events:?}"
    );
    assert!(matches!(events.last().unwrap().kind, EventKind::Finished));
    let progress = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Progress { .. }))
        .count();
    assert_eq!(progress, 4);
    // The superseded job noticed its cancellation and stopped long before its 2 s of ticks.
    let start = Instant::now();
    while engine.live_jobs() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the old job kept running"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(engine.poll().iter().all(|e| e.job != old));
}

#[test]
fn lanes_run_side_by_side_and_cancel_works() {
    let (mut engine, _) = counting_engine();
    let sweep = engine.submit(Request::Sweep {
        model: builtin(),
        configs: Preset::Formats.configs(),
    });
    let ticks = engine.submit(Request::Probe(Probe::Ticks {
        n: 10_000,
        tick_ms: 1,
    }));
    engine.cancel(Lane::Probe);
    let events = wait_end(&mut engine, ticks, Duration::from_secs(10));
    assert!(matches!(events.last().unwrap().kind, EventKind::Cancelled));
    // The sweep of the other lane was not touched.
    let mut events = events;
    if !events
        .iter()
        .any(|e| e.job == sweep && matches!(e.kind, EventKind::Finished))
    {
        events.extend(wait_end(&mut engine, sweep, Duration::from_secs(60)));
    }
    let points: Vec<usize> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Output(Output::Point { index, .. }) if e.job == sweep => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(
        points,
        (0..=8).collect::<Vec<_>>(),
        "points stream in sweep order"
    );
    let pareto = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Output(Output::Pareto { .. })));
    let last_point = events
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::Output(Output::Point { .. })));
    assert!(pareto > last_point, "the front comes after every point");
}

#[test]
fn a_cancelled_sweep_stops_between_configs() {
    let (mut engine, _) = counting_engine();
    let job = engine.submit(Request::Sweep {
        model: builtin(),
        configs: Preset::Lecture.configs(),
    });
    // Wait for the first point, then cancel.
    let start = Instant::now();
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|e: &Event| matches!(e.kind, EventKind::Output(Output::Point { .. })))
    {
        seen.extend(engine.poll());
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(1));
    }
    engine.cancel(Lane::Sweep);
    seen.extend(wait_end(&mut engine, job, Duration::from_secs(30)));
    assert!(matches!(seen.last().unwrap().kind, EventKind::Cancelled));
    let points = seen
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Output(Output::Point { .. })))
        .count();
    assert!(points < 42, "cancelled sweep measured all {points} points");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e.kind, EventKind::Output(Output::Pareto { .. })))
    );
}

#[test]
fn a_panicking_job_fails_and_the_engine_keeps_working() {
    let (mut engine, _) = counting_engine();
    let job = engine.submit(Request::Probe(Probe::Panic("deliberate test panic".into())));
    let events = wait_end(&mut engine, job, Duration::from_secs(10));
    match &events.last().unwrap().kind {
        EventKind::Failed(m) => assert!(m.contains("deliberate test panic"), "{m}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    // Same lane, then another lane: both still work.
    let job = engine.submit(Request::Probe(Probe::Ticks { n: 2, tick_ms: 0 }));
    assert!(matches!(
        wait_end(&mut engine, job, Duration::from_secs(10))
            .last()
            .unwrap()
            .kind,
        EventKind::Finished
    ));
    let job = engine.submit(Request::EvaluateConfig {
        model: builtin(),
        config: int_config(
            8,
            true,
            bitlens::compress::scheme::Granularity::Channel { axis: 0 },
            0.0,
        ),
    });
    let events = wait_end(&mut engine, job, Duration::from_secs(30));
    let acc = events.iter().find_map(|e| match &e.kind {
        EventKind::Output(Output::ConfigEvaluated(p)) => p.accuracy,
        _ => None,
    });
    assert!(acc.unwrap() > 0.9);
    assert_eq!(engine.live_jobs(), 0);
}

#[test]
fn an_inconsistent_input_fails_instead_of_crashing() {
    // A tensor whose shape does not match its data (built by hand, bypassing Tensor::new).
    let bad = Tensor {
        name: "w".into(),
        shape: vec![4, 4],
        data: vec![1.0; 10],
    };
    let model = Arc::new(LoadedModel::from_tensors("inconsistent", vec![bad]));
    let (mut engine, _) = counting_engine();
    for tensor in [Some("w".to_owned()), None] {
        let job = engine.submit(Request::Preview {
            model: Arc::clone(&model),
            tensor,
            config: int_config(
                4,
                true,
                bitlens::compress::scheme::Granularity::Channel { axis: 0 },
                0.5,
            ),
            bins: 16,
            evaluate: true,
            compare: None,
        });
        let events = wait_end(&mut engine, job, Duration::from_secs(10));
        assert!(
            matches!(events.last().unwrap().kind, EventKind::Failed(_)),
            "{events:?}"
        );
    }
    let job = engine.submit(Request::Sweep {
        model,
        configs: vec![Config::baseline()],
    });
    let events = wait_end(&mut engine, job, Duration::from_secs(10));
    assert!(
        matches!(events.last().unwrap().kind, EventKind::Failed(_)),
        "{events:?}"
    );
}

#[test]
fn load_then_preview_through_the_worker() {
    let (mut engine, _) = counting_engine();
    let job = engine.submit(Request::Load {
        model: Arc::new(bitlens::model::Model::builtin()),
        run: Default::default(),
    });
    let events = wait_end(&mut engine, job, Duration::from_secs(30));
    let loaded = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Output(Output::Loaded(m)) => Some(Arc::clone(m)),
            _ => None,
        })
        .unwrap();
    assert!(loaded.is_evaluable());
    let job = engine.submit(Request::Preview {
        model: loaded,
        tensor: Some("fc2.weight".into()),
        config: int_config(
            4,
            true,
            bitlens::compress::scheme::Granularity::Channel { axis: 0 },
            0.0,
        ),
        bins: 64,
        evaluate: true,
        compare: None,
    });
    let events = wait_end(&mut engine, job, Duration::from_secs(30));
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Output(Output::Preview(_)) => Some("preview"),
            EventKind::Output(Output::ConfigEvaluated(_)) => Some("point"),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        ["preview", "point"],
        "the histogram comes before the accuracy"
    );
    let p: &Preview = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Output(Output::Preview(p)) => Some(&**p),
            _ => None,
        })
        .unwrap();
    assert_eq!(p.histograms.before.counts.len(), 64);
}

#[test]
fn lecture_sweep_through_the_worker_streams_quickly() {
    let (mut engine, _) = counting_engine();
    let model = builtin();
    let start = Instant::now();
    let job = engine.submit(Request::Sweep {
        model,
        configs: Preset::Lecture.configs(),
    });
    let mut first = None;
    let mut points = 0;
    loop {
        let events = engine.poll();
        let mut done = false;
        for e in events {
            match e.kind {
                EventKind::Output(Output::Point { .. }) => {
                    first.get_or_insert(start.elapsed().as_secs_f64() * 1e3);
                    points += 1;
                }
                EventKind::Finished | EventKind::Failed(_) | EventKind::Cancelled => {
                    assert!(matches!(e.kind, EventKind::Finished), "{:?}", e.kind);
                    done = e.job == job;
                }
                _ => {}
            }
        }
        if done {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(1));
    }
    let total = start.elapsed().as_secs_f64() * 1e3;
    let first = first.unwrap();
    eprintln!(
        "lecture sweep in the worker ({} background threads): first point {first:.1} ms, total {total:.1} ms",
        bitlens::engine::background_threads()
    );
    assert_eq!(points, Preset::Lecture.configs().len() + 1);
    if !cfg!(debug_assertions) {
        assert!(first < 1_000.0 && total < 8_000.0, "{first} / {total} ms");
    }
}
