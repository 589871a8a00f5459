//! What an ONNX graph runs on: Silero's speech windows (a 16 kHz WAV or the bundled clip), an
//! `.npz`/`.npy` named after the graph inputs, or synthetic inputs (labelled so everywhere).

use std::path::Path;

use tract_onnx::prelude::*;

use super::RunOptions;
use super::inputs::{
    PROBE_SPEECH, PROBE_SPEECH_NAME, VAD_RATE, parse_wav, read_wav_16k, sentences, vad_windows,
};
use super::ocr;
use super::onnx::{SYNTHETIC_BATCH, VAD_CONTEXT, VAD_FRAME};
use super::onnx_proto::GraphInput;
use super::{InputSet, InputSource, Probe};
use crate::eval::rng::SplitMix64;

/// Audio for Silero: `--inputs` (a 16 kHz WAV) or the bundled speech; the windows tensor and
/// zero states are made per task by [`OnnxRunner::forward`], so the feeds hold only the windows.
pub(super) fn vad_sequence_feeds(options: &RunOptions) -> Result<(Vec<Tensor>, InputSet), String> {
    let (audio, source) = if let Some(p) = &options.inputs {
        (read_wav_16k(p)?, InputSource::File(p.display().to_string()))
    } else {
        let (rate, s) = parse_wav(PROBE_SPEECH).map_err(|e| format!("{PROBE_SPEECH_NAME}: {e}"))?;
        debug_assert_eq!(rate, VAD_RATE);
        (s, InputSource::Bundled(Probe::Speech))
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
pub(super) fn graph_feeds(
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
                    source: InputSource::File(file.display().to_string()),
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
            source: InputSource::Synthetic,
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

/// Text lines for the recogniser: a folder of PNGs with `labels.txt`, or the bundled lines
/// rendered from the bundled font. Returns the batch, where it came from, and the true strings.
pub(super) fn text_line_feeds(
    options: &RunOptions,
) -> Result<(Vec<Tensor>, InputSet, Vec<String>), String> {
    let (lines, truths, source) = match &options.inputs {
        Some(p) if p.is_dir() => {
            let (lines, truths) = ocr::read_folder(p)?;
            (lines, truths, InputSource::File(p.display().to_string()))
        }
        Some(p) => {
            return Err(format!(
                "{}: the text-line recogniser reads a folder of PNGs with labels.txt",
                p.display()
            ));
        }
        None => {
            let truths = sentences(ocr::PROBE_LINES);
            let lines = truths.iter().map(|t| ocr::render(t)).collect();
            (lines, truths, InputSource::Bundled(Probe::TextLines))
        }
    };
    // One line a feed, right-padded to its width class: a few classes, one plan each.
    let widths: Vec<usize> = lines.iter().map(|l| l.width).collect();
    let padded = ocr::width_classes(&widths, ocr::PLANS);
    let mut feeds = Vec::with_capacity(lines.len());
    for (line, width) in lines.iter().zip(padded) {
        let (data, shape) = ocr::batch(&[line], width);
        feeds.push(Tensor::from_shape(&shape, &data).map_err(|e| e.to_string())?);
    }
    let set = InputSet {
        source,
        count: truths.len(),
        synthetic: false,
    };
    Ok((feeds, set, truths))
}
