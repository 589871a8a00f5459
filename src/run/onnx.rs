//! ONNX graphs with tract: the proto is read once; each configuration patches its float weights
//! (initializers and `Constant` nodes, subgraphs included) into a copy before tract optimises it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tract_onnx::pb::{
    GraphProto, ModelProto, TensorProto, tensor_shape_proto::dimension, type_proto,
};
use tract_onnx::prelude::*;

use super::inputs::{
    PROBE_SPEECH, PROBE_SPEECH_NAME, VAD_RATE, parse_wav, read_wav_16k, vad_windows,
};
use super::{
    Fidelity, InputSet, OutputSummary, RunKind, RunOptions, RunSummary, Runner, WeightRole,
    by_name, frame_fidelity, output_fidelity, summarise,
};
use crate::eval::rng::SplitMix64;
use crate::tensor::Tensor as Values;

/// Silero: 512-sample frames with 64 samples of the previous frame prepended; speech at p ≥ 0.5.
const VAD_FRAME: usize = 512;
const VAD_CONTEXT: usize = 64;
const VAD_THRESHOLD: f32 = 0.5;
/// Batch given to a symbolic first dimension of a synthetic input.
const SYNTHETIC_BATCH: usize = 16;

#[derive(Debug)]
enum Task {
    /// Silero's sequence export: `input [T, 576]`, `h`, `c` → per-frame speech probability.
    VadSequence,
    /// Silero's streaming export: `input [1, 576]`, `state [2, 1, 128]`, `sr`, called per frame.
    VadStreaming,
    /// Any other graph: its first float output compared row by row.
    Graph { classes: usize },
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

fn first_line(e: &TractError) -> String {
    let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    chain
        .join(": ")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
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
    let inputs = graph_inputs(graph);
    if inputs.is_empty() {
        return Err(format!(
            "{}: the graph has no inputs to feed",
            path.display()
        ));
    }
    let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    let (task, feeds, source) = match names.as_slice() {
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
    };
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
    runner.summary.kind = match runner.task {
        Task::Graph { .. } => RunKind::OnnxGraph,
        _ => RunKind::VoiceActivity,
    };
    if let (Task::Graph { classes }, Some(first)) = (&mut runner.task, outputs.first()) {
        *classes = first
            .shape
            .last()
            .copied()
            .filter(|_| first.shape.len() >= 2)
            .unwrap_or(1);
    }
    runner.summary.outputs = outputs;
    let reading = runner.reading(&reference);
    if let Some(o) = runner.summary.outputs.first_mut() {
        o.reading = Some(reading);
    }
    runner.summary.inputs.count = runner.count(&reference);
    runner.summary.weights = runner.roles.len();
    runner.summary.seconds = start.elapsed().as_secs_f64();
    runner.reference = reference;
    Ok(Box::new(runner))
}

struct GraphInput {
    name: String,
    elem_type: i32,
    /// `None` for a symbolic dimension.
    dims: Vec<Option<usize>>,
}

/// Graph inputs that are not initializers, with their declared types.
fn graph_inputs(g: &GraphProto) -> Vec<GraphInput> {
    let init: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    g.input
        .iter()
        .filter(|i| !init.contains(i.name.as_str()))
        .map(|i| {
            let (elem_type, dims) = match i.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(type_proto::Value::TensorType(t)) => (
                    t.elem_type,
                    t.shape
                        .as_ref()
                        .map(|s| {
                            s.dim
                                .iter()
                                .map(|d| match d.value {
                                    Some(dimension::Value::DimValue(v)) if v > 0 => {
                                        Some(v as usize)
                                    }
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => (1, Vec::new()),
            };
            GraphInput {
                name: i.name.clone(),
                elem_type,
                dims,
            }
        })
        .collect()
}

/// Audio for Silero: `--inputs` (a 16 kHz WAV) or the bundled speech; the windows tensor and
/// zero states are made per task by [`OnnxRunner::forward`], so the feeds hold only the windows.
fn vad_sequence_feeds(options: &RunOptions) -> Result<(Vec<Tensor>, InputSet), String> {
    let (audio, source) = match &options.inputs {
        Some(p) => (read_wav_16k(p)?, p.display().to_string()),
        None => {
            let (rate, s) =
                parse_wav(PROBE_SPEECH).map_err(|e| format!("{PROBE_SPEECH_NAME}: {e}"))?;
            debug_assert_eq!(rate, VAD_RATE);
            (s, PROBE_SPEECH_NAME.to_owned())
        }
    };
    let (windows, t) = vad_windows(&audio, VAD_FRAME, VAD_CONTEXT);
    let w =
        Tensor::from_shape(&[t, VAD_FRAME + VAD_CONTEXT], &windows).map_err(|e| e.to_string())?;
    Ok((
        vec![w],
        InputSet {
            source,
            count: t,
            synthetic: false,
        },
    ))
}

/// Inputs of a plain graph: `--inputs` (`.npz` named after the graph inputs, or one `.npy` for a
/// one-input graph), else synthetic ones from the declared shapes and types.
fn graph_feeds(
    path: &Path,
    inputs: &[GraphInput],
    options: &RunOptions,
) -> Result<(Vec<Tensor>, InputSet), String> {
    if let Some(file) = &options.inputs {
        return file_feeds(file, inputs).map(|feeds| {
            let count = feeds
                .first()
                .and_then(|t| t.shape().first().copied())
                .unwrap_or(1);
            (
                feeds,
                InputSet {
                    source: file.display().to_string(),
                    count,
                    synthetic: false,
                },
            )
        });
    }
    let mut rng = SplitMix64::new(0x5eed);
    let mut feeds = Vec::new();
    for i in inputs {
        if i.dims.is_empty() && i.elem_type == 0 {
            return Err(format!(
                "{}: input {:?} has no declared type; give --inputs FILE.npz",
                path.display(),
                i.name
            ));
        }
        let shape: Vec<usize> = i
            .dims
            .iter()
            .enumerate()
            .map(|(k, d)| d.unwrap_or(if k == 0 { SYNTHETIC_BATCH } else { 1 }))
            .collect();
        feeds.push(
            synthetic(&i.name, i.elem_type, &shape, &mut rng)
                .map_err(|e| format!("{}: {e}", path.display()))?,
        );
    }
    let count = feeds
        .first()
        .and_then(|t| t.shape().first().copied())
        .unwrap_or(1);
    Ok((
        feeds,
        InputSet {
            source: "synthetic inputs (random, seeded)".into(),
            count,
            synthetic: true,
        },
    ))
}

/// Random values for one input: normal floats, integers in [0, 255], random booleans.
fn synthetic(
    name: &str,
    elem_type: i32,
    shape: &[usize],
    rng: &mut SplitMix64,
) -> Result<Tensor, String> {
    let n: usize = shape.iter().product();
    let normal = |rng: &mut SplitMix64| {
        let (u, v) = (rng.next_f32().max(1e-7), rng.next_f32());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    };
    let t = match elem_type {
        1 => Tensor::from_shape(shape, &(0..n).map(|_| normal(rng)).collect::<Vec<f32>>()),
        6 => Tensor::from_shape(
            shape,
            &(0..n).map(|_| rng.below(256) as i32).collect::<Vec<_>>(),
        ),
        7 => Tensor::from_shape(
            shape,
            &(0..n).map(|_| rng.below(256) as i64).collect::<Vec<_>>(),
        ),
        9 => Tensor::from_shape(
            shape,
            &(0..n).map(|_| rng.below(2) == 1).collect::<Vec<_>>(),
        ),
        t => {
            return Err(format!(
                "input {name:?}: ONNX element type {t} has no synthetic values; give --inputs FILE.npz"
            ));
        }
    };
    t.map_err(|e| e.to_string())
}

/// Arrays of an `.npz`/`.npy` file for the graph inputs, cast to each input's declared type.
fn file_feeds(file: &Path, inputs: &[GraphInput]) -> Result<Vec<Tensor>, String> {
    let model = crate::model::open(file).map_err(|e| e.to_string())?;
    let mut feeds = Vec::new();
    for (k, i) in inputs.iter().enumerate() {
        let name = if model.tensors.len() == 1 && inputs.len() == 1 {
            model.tensors[0].name.clone()
        } else {
            i.name.clone()
        };
        let t = model.load_tensor(&name).map_err(|_| {
            let have: Vec<&str> = model.tensors.iter().map(|t| t.name.as_str()).collect();
            format!(
                "{}: no array named {:?} for graph input {k} (the file has {have:?})",
                file.display(),
                i.name
            )
        })?;
        if i.dims.len() != t.shape.len()
            || i.dims
                .iter()
                .zip(&t.shape)
                .any(|(d, &s)| d.is_some_and(|d| d != s))
        {
            return Err(format!(
                "{}: array {:?} has shape {:?}; the graph input wants {:?}",
                file.display(),
                name,
                t.shape,
                i.dims
            ));
        }
        let tensor = match i.elem_type {
            6 => Tensor::from_shape(
                &t.shape,
                &t.data.iter().map(|&x| x as i32).collect::<Vec<_>>(),
            ),
            7 => Tensor::from_shape(
                &t.shape,
                &t.data.iter().map(|&x| x as i64).collect::<Vec<_>>(),
            ),
            9 => Tensor::from_shape(
                &t.shape,
                &t.data.iter().map(|&x| x != 0.0).collect::<Vec<_>>(),
            ),
            _ => Tensor::from_shape(&t.shape, &t.data),
        };
        feeds.push(tensor.map_err(|e| e.to_string())?);
    }
    Ok(feeds)
}

/// Float weights of Conv/ConvTranspose/MatMul/Gemm/LSTM/GRU/RNN, each with its output-channel
/// axis (MatMul B is `[in, out]`; Gemm follows `transB`; recurrent weights are `[dirs, gates·H, in]`).
fn weight_roles(g: &GraphProto) -> Vec<WeightRole> {
    let mut ranks = HashMap::new();
    constants(g, &mut ranks);
    let mut roles = HashMap::new();
    consumers(g, &ranks, &mut roles);
    let mut out: Vec<WeightRole> = roles
        .into_iter()
        .map(|(name, out_axis)| WeightRole { name, out_axis })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Float constants (initializers, `Constant` outputs) of `g` and its subgraphs → rank.
fn constants(g: &GraphProto, ranks: &mut HashMap<String, usize>) {
    let float = |t: &TensorProto| matches!(t.data_type, 1 | 10 | 11 | 16);
    for t in g.initializer.iter().filter(|t| float(t)) {
        ranks.insert(t.name.clone(), t.dims.len());
    }
    for n in &g.node {
        for a in &n.attribute {
            if n.op_type == "Constant"
                && a.name == "value"
                && let Some(t) = a.t.as_ref().filter(|t| float(t))
            {
                let name = if t.name.is_empty() {
                    n.output.first().cloned().unwrap_or_default()
                } else {
                    t.name.clone()
                };
                ranks.insert(name, t.dims.len());
            }
            for sub in a.g.iter().chain(&a.graphs) {
                constants(sub, ranks);
            }
        }
    }
}

fn consumers(g: &GraphProto, ranks: &HashMap<String, usize>, roles: &mut HashMap<String, usize>) {
    for n in &g.node {
        let int_attr = |name: &str| {
            n.attribute
                .iter()
                .find(|a| a.name == name)
                .map_or(0, |a| a.i)
        };
        let slots: Vec<(usize, Box<dyn Fn(usize) -> usize>)> = match n.op_type.as_str() {
            "Conv" => vec![(1, Box::new(|_| 0))],
            "ConvTranspose" => vec![(1, Box::new(|_| 1))],
            "MatMul" => vec![
                (1, Box::new(|r: usize| r.saturating_sub(1))),
                (0, Box::new(|r: usize| r.saturating_sub(2))),
            ],
            "Gemm" => {
                let tb = int_attr("transB") != 0;
                let ta = int_attr("transA") != 0;
                vec![
                    (1, Box::new(move |_| usize::from(!tb))),
                    (0, Box::new(move |_| usize::from(ta))),
                ]
            }
            "LSTM" | "GRU" | "RNN" => vec![(1, Box::new(|_| 1)), (2, Box::new(|_| 1))],
            _ => vec![],
        };
        for (slot, axis) in slots {
            if let Some(name) = n.input.get(slot)
                && let Some(&rank) = ranks.get(name)
                && rank >= 2
            {
                roles.entry(name.clone()).or_insert_with(|| axis(rank));
            }
        }
        for a in &n.attribute {
            for sub in a.g.iter().chain(&a.graphs) {
                consumers(sub, ranks, roles);
            }
        }
    }
}

/// Write `replaced` values into the float tensors of `g` (and its subgraphs) they name.
fn patch_graph(g: &mut GraphProto, map: &HashMap<&str, &Values>) -> Result<usize, String> {
    let mut n = 0;
    for t in &mut g.initializer {
        if let Some(v) = map.get(t.name.as_str()) {
            patch_tensor(t, v)?;
            n += 1;
        }
    }
    for node in &mut g.node {
        let fallback = node.output.first().cloned().unwrap_or_default();
        let constant = node.op_type == "Constant";
        for a in &mut node.attribute {
            if constant
                && a.name == "value"
                && let Some(t) = a.t.as_mut()
            {
                let name = if t.name.is_empty() {
                    fallback.as_str()
                } else {
                    t.name.as_str()
                };
                if let Some(v) = map.get(name) {
                    patch_tensor(t, v)?;
                    n += 1;
                }
            }
            if let Some(sub) = a.g.as_mut() {
                n += patch_graph(sub, map)?;
            }
            for sub in &mut a.graphs {
                n += patch_graph(sub, map)?;
            }
        }
    }
    Ok(n)
}

/// Replace one tensor's data, keeping its element type (values rounded to it).
fn patch_tensor(t: &mut TensorProto, v: &Values) -> Result<(), String> {
    let n: i64 = t.dims.iter().product();
    if usize::try_from(n).ok() != Some(v.data.len()) {
        return Err(format!(
            "{}: {} values for a tensor of {n}",
            v.name,
            v.data.len()
        ));
    }
    t.raw_data = match t.data_type {
        1 => v.data.iter().flat_map(|x| x.to_le_bytes()).collect(),
        10 => v
            .data
            .iter()
            .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
            .collect(),
        16 => v
            .data
            .iter()
            .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
            .collect(),
        11 => v
            .data
            .iter()
            .flat_map(|&x| f64::from(x).to_le_bytes())
            .collect(),
        d => return Err(format!("{}: ONNX element type {d} is not a float", v.name)),
    };
    t.float_data.clear();
    t.double_data.clear();
    t.int32_data.clear();
    t.external_data.clear();
    t.data_location = None;
    Ok(())
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
    /// Run `proto` on the feeds: the compared values, and a summary of each output.
    fn forward(&self, proto: &ModelProto) -> Result<(Vec<f32>, Vec<OutputSummary>), String> {
        let e = |e: TractError| first_line(&e);
        match self.task {
            Task::VadSequence => {
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
            Task::VadStreaming => {
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
                    let frame = Tensor::from_shape(&[1, width], &all[k * width..(k + 1) * width])
                        .map_err(e)?;
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
            Task::Graph { .. } => {
                let facts: Vec<_> = self
                    .feeds
                    .iter()
                    .map(|f| (f.datum_type(), f.shape().to_vec()))
                    .collect();
                let plan = runnable(proto, self.dir.as_deref(), &facts).map_err(e)?;
                let out = plan
                    .run(self.feeds.iter().map(|f| f.clone().into_tvalue()).collect())
                    .map_err(e)?;
                let names = plan
                    .model()
                    .outputs
                    .iter()
                    .map(|o| plan.model().node(o.node).name.clone());
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
        }
    }

    /// Inputs the figure averages over: frames, or rows of the compared output.
    fn count(&self, reference: &[f32]) -> usize {
        match self.task {
            Task::Graph { classes } => reference.len() / classes.max(1),
            _ => reference.len(),
        }
    }

    /// What the fp32 output says, in task terms.
    fn reading(&self, reference: &[f32]) -> String {
        match self.task {
            Task::Graph { classes } if classes > 1 => {
                format!("{} rows of {classes} classes", reference.len() / classes)
            }
            Task::Graph { .. } => format!("{} values", reference.len()),
            _ => {
                let speech = reference.iter().filter(|&&p| p >= VAD_THRESHOLD).count();
                format!(
                    "speech in {speech} of {} frames of 32 ms (p ≥ {VAD_THRESHOLD})",
                    reference.len()
                )
            }
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

    fn fidelity(&self, replaced: &[Values]) -> Result<Fidelity, String> {
        let mut proto = self.proto.clone();
        if let Some(g) = proto.graph.as_mut() {
            patch_graph(g, &by_name(replaced))?;
        }
        let (out, _) = self.forward(&proto)?;
        Ok(match self.task {
            Task::Graph { classes } => output_fidelity(
                &self.reference,
                &out,
                classes,
                self.summary.inputs.synthetic,
            ),
            _ => frame_fidelity(&self.reference, &out, VAD_THRESHOLD),
        })
    }
}
