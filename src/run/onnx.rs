//! ONNX graphs with tract: the proto is read once; each configuration patches its float weights
//! (initializers and `Constant` nodes, subgraphs included) into a copy before tract optimises it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use super::inputs::VAD_RATE;
use super::ocr;
use super::onnx_feeds::{graph_feeds, text_line_feeds, vad_sequence_feeds};
use super::onnx_proto::{graph_inputs, patch_graph, weight_roles};
use super::{
    Fidelity, InputSet, OutputSummary, Reading, RunKind, RunOptions, RunSummary, Runner,
    WeightRole, by_name, frame_fidelity, output_fidelity, summarise,
};
use crate::tensor::Tensor as Values;

/// Silero: 512-sample frames with 64 samples of the previous frame prepended; speech at p ≥ 0.5.
pub(super) const VAD_FRAME: usize = 512;
pub(super) const VAD_CONTEXT: usize = 64;
const VAD_THRESHOLD: f32 = 0.5;
/// Batch given to a symbolic first dimension of a synthetic input.
pub(super) const SYNTHETIC_BATCH: usize = 16;

#[derive(Debug)]
enum Task {
    /// Silero's sequence export: `input [T, 576]`, `h`, `c` → per-frame speech probability.
    VadSequence,
    /// Silero's streaming export: `input [1, 576]`, `state [2, 1, 128]`, `sr`, called per frame.
    VadStreaming,
    /// Any other graph: its first float output compared row by row.
    Graph { classes: usize },
    /// A PP-OCR text-line recogniser (`x [N, 3, 48, W]`, a `character` list in its metadata):
    /// `[N, T, C]` probabilities read by CTC and scored by character error rate.
    TextLines {
        chars: Vec<String>,
        truths: Vec<String>,
        /// fp32's own reading of each line.
        reads: Vec<String>,
        classes: usize,
    },
}

#[derive(Debug)]
struct OnnxRunner {
    proto: ModelProto,
    dir: Option<String>,
    task: Task,
    feeds: Vec<Tensor>,
    reference: Vec<f32>,
    summary: RunSummary,
    roles: Vec<WeightRole>,
}

fn tract_err(path: &Path, what: &str) -> impl Fn(TractError) -> String {
    let p = path.display().to_string();
    let what = what.to_owned();
    move |e| format!("{p}: {what}: {}", first_line(&e))
}

/// One line of a tract error: its outermost context (which node failed), at most 160 chars.
fn first_line(e: &TractError) -> String {
    let outer = e.to_string();
    let line = outer.lines().next().unwrap_or_default();
    let line = line.split(": Infering facts").next().unwrap_or(line);
    match line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

pub(super) fn prepare(path: &Path, options: &RunOptions) -> Result<Box<dyn Runner>, String> {
    let proto = tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(tract_err(path, "not an ONNX graph tract can read"))?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| format!("{}: no graph", path.display()))?;
    let dir = path.parent().and_then(|d| d.to_str()).map(str::to_owned);
    let (task, feeds, source) = task_and_feeds(path, &proto, graph, options)?;
    let start = Instant::now();
    let mut runner = OnnxRunner {
        roles: weight_roles(graph),
        proto: proto.clone(),
        dir,
        task,
        feeds,
        reference: Vec::new(),
        summary: RunSummary {
            kind: RunKind::OnnxGraph,
            model: path.display().to_string(),
            inputs: source,
            outputs: Vec::new(),
            seconds: 0.0,
            weights: 0,
        },
    };
    let (reference, outputs) = runner
        .forward(&proto)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if reference.is_empty() {
        return Err(format!(
            "{}: the graph's first output has no float values",
            path.display()
        ));
    }
    runner.set_reference(reference, outputs);
    runner.summary.seconds = start.elapsed().as_secs_f64();
    Ok(Box::new(runner))
}

/// What the graph is (by its inputs and metadata) and the feeds it is run on.
fn task_and_feeds(
    path: &Path,
    proto: &ModelProto,
    graph: &tract_onnx::pb::GraphProto,
    options: &RunOptions,
) -> Result<(Task, Vec<Tensor>, InputSet), String> {
    let inputs = graph_inputs(graph);
    if inputs.is_empty() {
        return Err(format!(
            "{}: the graph has no inputs to feed",
            path.display()
        ));
    }
    let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let characters = proto
        .metadata_props
        .iter()
        .find(|p| p.key == "character")
        .map(|p| ocr::characters(&p.value));
    let text_lines = characters.is_some()
        && inputs.len() == 1
        && inputs[0].dims.len() == 4
        && inputs[0].dims[1] == Some(3)
        && inputs[0].dims[2].is_none_or(|h| h == ocr::HEIGHT);
    Ok(match names.as_slice() {
        _ if text_lines => {
            let (feeds, src, truths) = text_line_feeds(options)?;
            let chars = characters.unwrap_or_default();
            let task = Task::TextLines {
                chars,
                truths,
                reads: Vec::new(),
                classes: 0,
            };
            (task, feeds, src)
        }
        ["input", "h", "c"] => {
            let (feeds, src) = vad_sequence_feeds(options)?;
            (Task::VadSequence, feeds, src)
        }
        ["input", "state", "sr"] => {
            let (feeds, src) = vad_sequence_feeds(options)?;
            (Task::VadStreaming, feeds, src)
        }
        _ => {
            let (feeds, src) = graph_feeds(path, &inputs, options)?;
            (Task::Graph { classes: 0 }, feeds, src)
        }
    })
}

/// CTC readings of `[lines, T, classes]` probabilities.
fn read_lines(probs: &[f32], lines: usize, classes: usize, chars: &[String]) -> Vec<String> {
    let per = probs.len() / lines.max(1);
    (0..lines)
        .map(|i| ocr::decode(&probs[i * per..(i + 1) * per], classes.max(1), chars))
        .collect()
}

/// Optimise `proto` for `shapes` and make it runnable.
fn runnable(
    proto: &ModelProto,
    dir: Option<&str>,
    facts: &[(DatumType, Vec<usize>)],
) -> TractResult<Arc<TypedRunnableModel>> {
    let onnx = tract_onnx::onnx()
        .with_ignore_value_info(true)
        .with_ignore_output_shapes(true);
    let parsed = onnx.parse(proto, dir)?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(anyhow::anyhow!(
            "unresolved inputs {:?}",
            parsed.unresolved_inputs
        ));
    }
    let mut model = parsed.model;
    for (i, (dt, shape)) in facts.iter().enumerate() {
        model.set_input_fact(i, InferenceFact::dt_shape(*dt, shape.clone()))?;
    }
    model.into_optimized()?.into_runnable()
}

fn floats(t: &Tensor) -> TractResult<Vec<f32>> {
    let c = t.cast_to::<f32>()?;
    Ok(c.to_plain_array_view::<f32>()?.iter().copied().collect())
}

impl OnnxRunner {
    /// Keep fp32's output as the reference: the run kind, the class count of the first
    /// output, fp32's readings (text lines), the output summaries and the input count.
    fn set_reference(&mut self, reference: Vec<f32>, outputs: Vec<OutputSummary>) {
        self.summary.kind = match self.task {
            Task::Graph { .. } => RunKind::OnnxGraph,
            Task::TextLines { .. } => RunKind::TextRecognition,
            _ => RunKind::VoiceActivity,
        };
        let last_dim = outputs
            .first()
            .and_then(|o| o.shape.last().copied().filter(|_| o.shape.len() >= 2));
        match &mut self.task {
            Task::Graph { classes } => *classes = last_dim.unwrap_or(1),
            Task::TextLines {
                chars,
                truths,
                reads,
                classes,
            } => {
                *classes = last_dim.unwrap_or(1);
                *reads = read_lines(&reference, truths.len(), *classes, chars);
            }
            _ => {}
        }
        self.summary.outputs = outputs;
        let reading = self.reading(&reference);
        if let Some(o) = self.summary.outputs.first_mut() {
            o.reading = Some(reading);
        }
        self.summary.inputs.count = self.count(&reference);
        self.summary.weights = self.roles.len();
        self.reference = reference;
    }

    /// Run `proto` on the feeds: the compared values, and a summary of each output.
    fn forward(&self, proto: &ModelProto) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        match self.task {
            Task::VadSequence => self.forward_vad_sequence(proto),
            Task::VadStreaming => self.forward_vad_streaming(proto),
            Task::TextLines { ref truths, .. } => self.forward_batches(proto, truths.len()),
            Task::Graph { .. } => self.forward_graph(proto),
        }
    }

    /// Silero's sequence export: all frames in one call, from a zero state.
    fn forward_vad_sequence(
        &self,
        proto: &ModelProto,
    ) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        let e = |e: TractError| first_line(&e);
        let w = &self.feeds[0];
        let state = Tensor::zero::<f32>(&[1, 1, 128]).map_err(e)?;
        let facts = vec![
            (f32::datum_type(), w.shape().to_vec()),
            (f32::datum_type(), vec![1, 1, 128]),
            (f32::datum_type(), vec![1, 1, 128]),
        ];
        let plan = runnable(proto, self.dir.as_deref(), &facts).map_err(e)?;
        let out = plan
            .run(tvec![
                w.clone().into_tvalue(),
                state.clone().into_tvalue(),
                state.into_tvalue()
            ])
            .map_err(e)?;
        let p = floats(&out[0]).map_err(e)?;
        Ok((
            p.clone(),
            vec![summarise("speech_probs", out[0].shape(), &p)],
        ))
    }

    /// Silero's streaming export: one call per frame, the state carried from call to call.
    fn forward_vad_streaming(
        &self,
        proto: &ModelProto,
    ) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        let e = |e: TractError| first_line(&e);
        let w = &self.feeds[0];
        let (t, width) = (w.shape()[0], w.shape()[1]);
        let facts = vec![
            (f32::datum_type(), vec![1, width]),
            (f32::datum_type(), vec![2, 1, 128]),
            (i64::datum_type(), vec![]),
        ];
        let plan = runnable(proto, self.dir.as_deref(), &facts).map_err(e)?;
        let all = floats(w).map_err(e)?;
        let mut state = Tensor::zero::<f32>(&[2, 1, 128]).map_err(e)?;
        let mut p = Vec::with_capacity(t);
        for k in 0..t {
            let frame =
                Tensor::from_shape(&[1, width], &all[k * width..(k + 1) * width]).map_err(e)?;
            let sr = Tensor::from(i64::from(VAD_RATE));
            let out = plan
                .run(tvec![
                    frame.into_tvalue(),
                    state.into_tvalue(),
                    sr.into_tvalue()
                ])
                .map_err(e)?;
            p.push(floats(&out[0]).map_err(e)?.first().copied().unwrap_or(0.0));
            state = out[1].clone().into_tensor();
        }
        Ok((p.clone(), vec![summarise("output", &[t], &p)]))
    }

    /// Any other graph: every float output summarised, the first one compared.
    fn forward_graph(&self, proto: &ModelProto) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        let e = |e: TractError| first_line(&e);
        let facts: Vec<_> = self
            .feeds
            .iter()
            .map(|f| (f.datum_type(), f.shape().to_vec()))
            .collect();
        let plan = runnable(proto, self.dir.as_deref(), &facts).map_err(e)?;
        let out = plan
            .run(self.feeds.iter().map(|f| f.clone().into_tvalue()).collect())
            .map_err(e)?;
        let m = plan.model();
        let names = m.outputs.iter().map(|o| {
            m.outlet_label(*o)
                .map_or_else(|| m.node(o.node).name.clone(), str::to_owned)
        });
        let mut summaries = Vec::new();
        let mut first = None;
        for (t, name) in out.iter().zip(names) {
            if !t.datum_type().is_float() {
                continue;
            }
            let v = floats(t).map_err(e)?;
            summaries.push(summarise(&name, t.shape(), &v));
            first.get_or_insert(v);
        }
        Ok((first.unwrap_or_default(), summaries))
    }

    /// Run one-line feeds of a few widths (one plan per width, built once; the lines of a
    /// width in parallel) and join their `[1, T, C]` outputs in line order, each padded to the
    /// longest `T` with blank steps (class 0, which CTC drops), keeping the first `rows` lines.
    fn forward_batches(
        &self,
        proto: &ModelProto,
        rows: usize,
    ) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        use rayon::prelude::*;
        let e = |e: TractError| first_line(&e);
        let mut by_shape: std::collections::BTreeMap<Vec<usize>, Vec<usize>> =
            std::collections::BTreeMap::new();
        for (i, f) in self.feeds.iter().enumerate() {
            by_shape.entry(f.shape().to_vec()).or_default().push(i);
        }
        let dt = self.feeds.first().ok_or("no inputs")?.datum_type();
        let mut outs: Vec<Option<(Vec<f32>, Vec<usize>)>> = vec![None; self.feeds.len()];
        let mut name = String::from("output");
        for (shape, lines) in &by_shape {
            let plan = runnable(proto, self.dir.as_deref(), &[(dt, shape.clone())]).map_err(e)?;
            let got: Vec<(Vec<f32>, Vec<usize>)> = lines
                .par_iter()
                .map(|&i| {
                    let out = plan
                        .run(tvec![self.feeds[i].clone().into_tvalue()])
                        .map_err(e)?;
                    let t = out.first().ok_or("the graph has no output")?;
                    Ok((floats(t).map_err(e)?, t.shape().to_vec()))
                })
                .collect::<Result<_, String>>()?;
            for (&i, o) in lines.iter().zip(got) {
                outs[i] = Some(o);
            }
            if let Some(label) = plan
                .model()
                .outputs
                .first()
                .and_then(|o| plan.model().outlet_label(*o))
            {
                name = label.to_owned();
            }
        }
        let outs: Vec<(Vec<f32>, Vec<usize>)> = outs.into_iter().flatten().collect();
        let steps = outs.iter().map(|o| o.1.get(1).copied().unwrap_or(1)).max();
        let classes = outs.first().and_then(|o| o.1.last().copied()).unwrap_or(1);
        let steps = steps.unwrap_or(1);
        let mut all = Vec::with_capacity(rows * steps * classes);
        for (values, _) in outs.iter().take(rows) {
            all.extend_from_slice(values);
            for _ in values.len() / classes.max(1)..steps {
                all.push(1.0);
                all.extend(std::iter::repeat_n(0.0, classes.saturating_sub(1)));
            }
        }
        let shape = vec![rows, steps, classes];
        let summary = summarise(&name, &shape, &all);
        Ok((all, vec![summary]))
    }

    /// Inputs the figure averages over: frames, or rows of the compared output.
    fn count(&self, reference: &[f32]) -> usize {
        match &self.task {
            Task::Graph { classes } => reference.len() / (*classes).max(1),
            Task::TextLines { truths, .. } => truths.len(),
            _ => reference.len(),
        }
    }

    /// What the fp32 output says, in task terms.
    fn reading(&self, reference: &[f32]) -> Reading {
        match &self.task {
            Task::Graph { classes } if *classes > 1 => Reading::Classes {
                rows: reference.len() / classes,
                classes: *classes,
            },
            Task::Graph { .. } => Reading::Values { n: reference.len() },
            Task::TextLines { truths, reads, .. } => Reading::TextLines {
                lines: truths.len(),
                one_minus_cer: ocr::text_fidelity(truths, reads, reads).value,
                first: reads.first().cloned().unwrap_or_default(),
            },
            _ => Reading::Speech {
                speech: reference.iter().filter(|&&p| p >= VAD_THRESHOLD).count(),
                frames: reference.len(),
                threshold: VAD_THRESHOLD,
            },
        }
    }
}

impl Runner for OnnxRunner {
    fn summary(&self) -> &RunSummary {
        &self.summary
    }

    fn weights(&self) -> Option<&[WeightRole]> {
        Some(&self.roles)
    }

    fn reference(&self) -> Vec<f32> {
        self.reference.clone()
    }

    fn fidelity(
        &self,
        replaced: &[Values],
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Fidelity>, String> {
        let out = if replaced.is_empty() {
            // Nothing replaced: the model is the one whose fp32 run was measured at load.
            self.reference.clone()
        } else {
            let mut proto = self.proto.clone();
            if let Some(g) = proto.graph.as_mut() {
                patch_graph(g, &by_name(replaced))?;
            }
            // Building the plan is the slow part of a small graph: check before it.
            if stop() {
                return Ok(None);
            }
            self.forward(&proto)?.0
        };
        Ok(Some(match &self.task {
            Task::TextLines {
                chars,
                truths,
                reads,
                classes,
            } => ocr::text_fidelity(
                truths,
                reads,
                &read_lines(&out, truths.len(), *classes, chars),
            ),
            Task::Graph { classes } => output_fidelity(
                &self.reference,
                &out,
                *classes,
                self.summary.inputs.synthetic,
            ),
            _ => frame_fidelity(&self.reference, &out, VAD_THRESHOLD),
        }))
    }
}
