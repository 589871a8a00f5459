//! BERT-family sentence encoders (a Hugging Face / sentence-transformers model folder) with candle:
//! `config.json` (BertModel), `model.safetensors`, `tokenizer.json`, `1_Pooling/config.json`
//! (mean / CLS / max pooling) and `modules.json` (a `Normalize` module). The sentence embedding is
//! what sentence-transformers returns; compressed weights replace tensors of the same name.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device, Tensor as CTensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;

use super::inputs::{PROBE_SENTENCES, read_sentences, sentences};
use super::{
    Fidelity, InputSet, InputSource, NotRunnable, Probe, Reading, RunKind, RunOptions, RunSummary,
    Runner, WeightRole, embedding_fidelity, folder_of, summarise,
};
use crate::model::Model;
use crate::tensor::Tensor;

/// Sentences per forward call (sorted by length, so padding stays short).
const BATCH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pooling {
    Mean,
    Cls,
    Max,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
}

#[derive(Deserialize)]
struct Arch {
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    model_type: Option<String>,
}

/// One batch of tokenised sentences (padded to its longest), as candle tensors.
#[derive(Debug)]
struct Batch {
    /// Positions of its sentences in the input list.
    rows: Vec<usize>,
    ids: CTensor,
    types: CTensor,
    mask: CTensor,
}

#[derive(Debug)]
struct BertRunner {
    config: Config,
    weights: HashMap<String, CTensor>,
    batches: Vec<Batch>,
    pooling: Pooling,
    normalize: bool,
    reference: Vec<Vec<f32>>,
    summary: RunSummary,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn prepare(
    model: &Model,
    path: &Path,
    options: &RunOptions,
) -> Result<Box<dyn Runner>, NotRunnable> {
    let dir = folder_of(path);
    let config = bert_config(dir)?;
    let tok_path = dir.join("tokenizer.json");
    if !tok_path.exists() {
        return Err(NotRunnable::MissingFile {
            dir: dir.to_owned(),
            file: "tokenizer.json",
        });
    }
    let mut tokenizer = tokenizers::Tokenizer::from_file(&tok_path)
        .map_err(|e| format!("{}: does not parse: {e}", tok_path.display()))?;
    tokenizer.with_padding(None);
    let [file] = model.files.as_slice() else {
        return Err(NotRunnable::Sharded(dir.to_owned()));
    };
    let weights = candle_core::safetensors::load(file, &Device::Cpu)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let (texts, source) = probe_texts(options)?;
    let batches =
        tokenize(&tokenizer, &texts).map_err(|e| format!("{}: {e}", tok_path.display()))?;
    let pooling = pooling_of(dir)?;
    let normalize = read(&dir.join("modules.json")).is_ok_and(|m| m.contains("Normalize"));
    let mut runner = BertRunner {
        config,
        weights,
        batches,
        pooling,
        normalize,
        reference: Vec::new(),
        summary: RunSummary {
            kind: RunKind::SentenceEncoder,
            model: dir.display().to_string(),
            inputs: InputSet {
                source,
                count: texts.len(),
                synthetic: false,
            },
            outputs: Vec::new(),
            seconds: 0.0,
            weights: 0,
        },
    };
    let start = Instant::now();
    let reference = runner
        .embed(&HashMap::new(), &|| false)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .unwrap_or_default();
    runner.summary.seconds = start.elapsed().as_secs_f64();
    runner.set_reference(reference);
    Ok(Box::new(runner))
}

/// The folder's `config.json`, when it describes a BERT model.
fn bert_config(dir: &Path) -> Result<Config, NotRunnable> {
    let config_path = dir.join("config.json");
    if !config_path.exists() {
        return Err(NotRunnable::MissingFile {
            dir: dir.to_owned(),
            file: "config.json",
        });
    }
    let text = read(&config_path)?;
    let arch: Arch =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let is_bert = arch.architectures.iter().any(|a| a.starts_with("Bert"))
        || arch.model_type.as_deref() == Some("bert");
    if !is_bert {
        let what = arch
            .architectures
            .first()
            .cloned()
            .or(arch.model_type)
            .unwrap_or_else(|| "no architecture".into());
        return Err(NotRunnable::Architecture(what));
    }
    Ok(serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a BERT config: {e}", config_path.display()))?)
}

/// The sentences to embed: the `--inputs` file's, or the bundled probe sentences.
fn probe_texts(options: &RunOptions) -> Result<(Vec<String>, InputSource), String> {
    Ok(match &options.inputs {
        Some(p) => (
            read_sentences(p)?,
            InputSource::File(p.display().to_string()),
        ),
        None => (
            sentences(PROBE_SENTENCES),
            InputSource::Bundled(Probe::Sentences),
        ),
    })
}

impl BertRunner {
    /// Keep fp32's embeddings as the reference, with their summary (mean norm, pooling) and
    /// the count of matrices among the weights.
    fn set_reference(&mut self, reference: Vec<Vec<f32>>) {
        let flat: Vec<f32> = reference.iter().flatten().copied().collect();
        let dim = reference.first().map_or(0, Vec::len);
        let mut s = summarise("sentence_embedding", &[reference.len(), dim], &flat);
        let norm = reference
            .iter()
            .map(|e| e.iter().map(|x| x * x).sum::<f32>().sqrt())
            .sum::<f32>()
            / reference.len().max(1) as f32;
        s.reading = Some(Reading::Embeddings {
            sentences: reference.len(),
            dim,
            pooling: format!("{:?}", self.pooling),
            normalised: self.normalize,
            mean_norm: norm,
        });
        self.summary.outputs = vec![s];
        self.summary.weights = self
            .weights
            .values()
            .filter(|t| t.rank() >= 2 && t.dtype().is_float())
            .count();
        self.reference = reference;
    }
}

fn pooling_of(dir: &Path) -> Result<Pooling, String> {
    let p = dir.join("1_Pooling").join("config.json");
    let Ok(text) = read(&p) else {
        return Ok(Pooling::Mean);
    };
    let c: PoolingConfig =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(if c.pooling_mode_cls_token {
        Pooling::Cls
    } else if c.pooling_mode_max_tokens {
        Pooling::Max
    } else {
        Pooling::Mean
    })
}

fn tokenize(tokenizer: &tokenizers::Tokenizer, texts: &[String]) -> Result<Vec<Batch>, String> {
    let enc = tokenizer
        .encode_batch(texts.to_vec(), true)
        .map_err(|e| e.to_string())?;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| enc[i].get_ids().len());
    let mut batches = Vec::new();
    for rows in order.chunks(BATCH) {
        let len = rows
            .iter()
            .map(|&i| enc[i].get_ids().len())
            .max()
            .unwrap_or(1)
            .max(1);
        let (mut ids, mut types, mut mask) = (Vec::new(), Vec::new(), Vec::new());
        for &i in rows {
            let e = &enc[i];
            let n = e.get_ids().len();
            ids.extend(
                e.get_ids()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, len - n)),
            );
            types.extend(
                e.get_type_ids()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, len - n)),
            );
            mask.extend(std::iter::repeat_n(1u32, n).chain(std::iter::repeat_n(0, len - n)));
        }
        let shape = (rows.len(), len);
        let t = |v: Vec<u32>| CTensor::from_vec(v, shape, &Device::Cpu).map_err(|e| e.to_string());
        batches.push(Batch {
            rows: rows.to_vec(),
            ids: t(ids)?,
            types: t(types)?,
            mask: t(mask)?,
        });
    }
    Ok(batches)
}

impl BertRunner {
    /// Sentence embeddings with `replaced` tensors in place of the stored ones.
    fn embed(
        &self,
        replaced: &HashMap<String, CTensor>,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Vec<Vec<f32>>>, String> {
        let e = |e: candle_core::Error| e.to_string();
        let mut map = self.weights.clone();
        for (k, v) in replaced {
            map.insert(k.clone(), v.clone());
        }
        let vb = VarBuilder::from_tensors(map, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &self.config).map_err(e)?;
        let mut out = vec![Vec::new(); self.summary.inputs.count];
        for b in &self.batches {
            if stop() {
                return Ok(None);
            }
            let hidden = model.forward(&b.ids, &b.types, Some(&b.mask)).map_err(e)?;
            let pooled = self.pool(&hidden, &b.mask).map_err(e)?;
            let rows: Vec<Vec<f32>> = pooled.to_vec2::<f32>().map_err(e)?;
            for (&i, r) in b.rows.iter().zip(rows) {
                out[i] = r;
            }
        }
        Ok(Some(out))
    }

    fn pool(&self, hidden: &CTensor, mask: &CTensor) -> candle_core::Result<CTensor> {
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                let count = m.sum(1)?.clamp(1e-9, f64::INFINITY)?;
                sum.broadcast_div(&count)?
            }
            Pooling::Max => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let neg = ((m.ones_like()? - &m)? * -1e9)?;
                hidden.broadcast_add(&neg)?.max(1)?
            }
        };
        if self.normalize {
            let norm = pooled
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12, f64::INFINITY)?;
            pooled.broadcast_div(&norm)
        } else {
            Ok(pooled)
        }
    }
}

impl Runner for BertRunner {
    fn summary(&self) -> &RunSummary {
        &self.summary
    }

    fn weights(&self) -> Option<&[WeightRole]> {
        None
    }

    fn reference(&self) -> Vec<f32> {
        self.reference.iter().flatten().copied().collect()
    }

    fn fidelity(
        &self,
        replaced: &[Tensor],
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Fidelity>, String> {
        if replaced.is_empty() {
            // Nothing replaced: the model is the one whose fp32 run was measured at load.
            return Ok(Some(embedding_fidelity(&self.reference, &self.reference)));
        }
        let mut map = HashMap::new();
        for t in replaced {
            let Some(orig) = self.weights.get(&t.name) else {
                continue;
            };
            let c = CTensor::from_slice(&t.data, orig.shape(), &Device::Cpu)
                .map_err(|e| format!("{}: {e}", t.name))?;
            map.insert(t.name.clone(), c);
        }
        Ok(self
            .embed(&map, stop)?
            .map(|out| embedding_fidelity(&self.reference, &out)))
    }
}
