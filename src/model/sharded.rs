//! Checkpoints spread over several files: a Hugging Face sharded safetensors set (its
//! `model.safetensors.index.json` and the shards it names), a model folder (a Hugging Face
//! snapshot: `config.json`, weights, tokenizer files) and split GGUF (`*-00001-of-0000N.gguf`,
//! llama.cpp's `gguf-split`).
//!
//! Every shard is memory-mapped and parsed by its format's parser; the tensors of all shards form
//! one [`Model`] whose payloads point into the shard they live in. Checked: the index names
//! files inside its folder only; every named shard exists and parses; every tensor is where the
//! index says, exactly once; a split set is complete. Errors name the file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::source::{self, Parsed, Payload, Source};
use super::{FileFormat, Model, ModelError, TensorInfo};

/// The index file Hugging Face writes beside safetensors shards.
pub const INDEX_NAME: &str = "model.safetensors.index.json";

/// Largest index file read (real ones are a few hundred kB).
const MAX_INDEX_BYTES: u64 = 256 << 20;

/// `prefix-00002-of-00005.ext` → `(prefix, 2, 5)`.
pub(crate) fn shard_numbers(file_name: &str, ext: &str) -> Option<(String, usize, usize)> {
    let stem = file_name.strip_suffix(ext)?.strip_suffix('.')?;
    let (head, count) = stem.rsplit_once("-of-")?;
    let (prefix, no) = head.rsplit_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(count) || !digits(no) {
        return None;
    }
    let (k, n) = (no.parse().ok()?, count.parse().ok()?);
    (k >= 1 && k <= n && n > 1).then(|| (prefix.to_owned(), k, n))
}

/// The file name of shard `k` of `n` with the numbering width of `like` (`00001`).
fn shard_name(prefix: &str, k: usize, n: usize, width: usize, ext: &str) -> String {
    format!("{prefix}-{k:0width$}-of-{n:0width$}.{ext}")
}

fn invalid(file: &Path, format: FileFormat, problem: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        file: file.display().to_string(),
        format,
        problem: problem.into(),
    }
}

fn io(file: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        file: file.display().to_string(),
        source,
    }
}

/// One parsed shard: its source and entries (payloads still point at source 0).
struct Shard {
    path: PathBuf,
    source: Source,
    parsed: Parsed,
}

fn parse_shard(path: &Path, format: FileFormat) -> Result<Shard, ModelError> {
    let source = Source::map(path).map_err(io(path))?;
    let parsed = source::parse_as(format, source.bytes(), path.parent())
        .map_err(|problem| invalid(path, format, problem))?;
    if !parsed.extra_sources.is_empty() {
        return Err(invalid(path, format, "shards may not use external data"));
    }
    Ok(Shard {
        path: path.to_owned(),
        source,
        parsed,
    })
}

/// Join shards into one model: payloads are re-pointed at each shard's source; a tensor name
/// in two shards is an error naming both.
fn join(
    label: &Path,
    format: FileFormat,
    metadata: Vec<(String, String)>,
    shards: Vec<Shard>,
) -> Result<Model, ModelError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sources = Vec::with_capacity(shards.len());
    let mut entries: Vec<(TensorInfo, Payload)> = Vec::new();
    let mut files: Vec<PathBuf> = Vec::with_capacity(shards.len());
    for (k, shard) in shards.into_iter().enumerate() {
        for (info, payload) in shard.parsed.entries {
            if let Some(&other) = seen.get(&info.name) {
                return Err(invalid(
                    label,
                    format,
                    format!(
                        "tensor `{}` is in both {} and {}",
                        info.name,
                        file_name(&files[other]),
                        file_name(&shard.path)
                    ),
                ));
            }
            seen.insert(info.name.clone(), k);
            entries.push((info, payload.with_source(k)));
        }
        sources.push(shard.source);
        files.push(shard.path);
    }
    let mut model = super::assemble(
        label.display().to_string(),
        Some(label.to_owned()),
        format,
        metadata,
        sources,
        entries,
    );
    model.files = files;
    Ok(model)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

/// A file named in an index must lie inside the index's folder.
fn inside(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    let ok = !name.is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| dir.join(rel))
}

/// Open a sharded safetensors checkpoint from its index file.
pub(crate) fn open_index(index: &Path) -> Result<Model, ModelError> {
    let f = FileFormat::Safetensors;
    let root = read_index(index)?;
    let dir = index.parent().unwrap_or(Path::new("."));
    let (wanted, placed) = weight_map(index, &root, dir)?;
    let mut shards = Vec::with_capacity(wanted.len());
    for file in wanted.keys() {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(invalid(
                index,
                f,
                format!("shard {file} named by the index is missing"),
            ));
        }
        let shard = parse_shard(&path, f)?;
        holds_only_its_own(&shard, file, &placed)?;
        shards.push(shard);
    }
    for (shard, (file, names)) in shards.iter().zip(&wanted) {
        holds_all_its_own(shard, file, names)?;
    }
    let mut metadata = vec![("shards".to_owned(), shards.len().to_string())];
    if let Some(meta) = root.get("metadata").and_then(Value::as_object) {
        for (k, v) in meta {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            metadata.push((format!("index.{k}"), v));
        }
    }
    if let Some(first) = shards.first() {
        metadata.extend(first.parsed.metadata.iter().cloned());
    }
    metadata.extend(folder_config(dir));
    join(index, f, metadata, shards)
}

/// The index file's JSON (size-checked before it is read).
fn read_index(index: &Path) -> Result<Value, ModelError> {
    let f = FileFormat::Safetensors;
    let len = std::fs::metadata(index).map_err(io(index))?.len();
    if len > MAX_INDEX_BYTES {
        return Err(invalid(
            index,
            f,
            format!("index file of {len} bytes is too large"),
        ));
    }
    let text = std::fs::read_to_string(index).map_err(io(index))?;
    serde_json::from_str(&text)
        .map_err(|e| invalid(index, f, format!("index is not valid JSON: {e}")))
}

/// File name → the tensor names the index puts there.
type Wanted = BTreeMap<String, Vec<String>>;

/// The index's `weight_map`: the tensors each file should hold (files in name order, the shard
/// numbering) and the file each tensor should be in. Every file must lie inside `dir`.
fn weight_map<'a>(
    index: &Path,
    root: &'a Value,
    dir: &Path,
) -> Result<(Wanted, HashMap<&'a str, &'a str>), ModelError> {
    let f = FileFormat::Safetensors;
    let map = root
        .get("weight_map")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(index, f, "index has no `weight_map` object"))?;
    let mut wanted = Wanted::new();
    let mut placed: HashMap<&str, &str> = HashMap::with_capacity(map.len());
    for (tensor, file) in map {
        let file = file.as_str().ok_or_else(|| {
            invalid(
                index,
                f,
                format!("weight_map entry `{tensor}` is not a file name"),
            )
        })?;
        if inside(dir, file).is_none() {
            return Err(invalid(
                index,
                f,
                format!("weight_map names `{file}`, a file outside the index's folder"),
            ));
        }
        wanted
            .entry(file.to_owned())
            .or_default()
            .push(tensor.clone());
        placed.insert(tensor, file);
    }
    if wanted.is_empty() {
        return Err(invalid(index, f, "weight_map lists no tensors"));
    }
    Ok((wanted, placed))
}

/// Every tensor of the shard `file` is one the index puts in that file.
fn holds_only_its_own(
    shard: &Shard,
    file: &str,
    placed: &HashMap<&str, &str>,
) -> Result<(), ModelError> {
    for (info, _) in &shard.parsed.entries {
        let problem = match placed.get(info.name.as_str()) {
            Some(&at) if at == file => continue,
            Some(&at) => format!("holds tensor `{}`, which the index puts in {at}", info.name),
            None => format!(
                "holds tensor `{}`, which the index does not list",
                info.name
            ),
        };
        return Err(invalid(&shard.path, FileFormat::Safetensors, problem));
    }
    Ok(())
}

/// The shard `file` holds every tensor the index puts there (`names`).
fn holds_all_its_own(shard: &Shard, file: &str, names: &[String]) -> Result<(), ModelError> {
    if shard.parsed.entries.len() == names.len() {
        return Ok(());
    }
    let have: std::collections::HashSet<&str> = shard
        .parsed
        .entries
        .iter()
        .map(|(i, _)| i.name.as_str())
        .collect();
    let missing = names.iter().find(|n| !have.contains(n.as_str()));
    Err(invalid(
        &shard.path,
        FileFormat::Safetensors,
        format!(
            "does not hold tensor `{}`, which the index puts in {file}",
            missing.map_or("?", String::as_str)
        ),
    ))
}

/// Shards of a set `prefix-0000k-of-0000n.ext` in `dir`, all of them, or an error naming the
/// first that is missing.
fn complete_set(
    dir: &Path,
    name: &str,
    ext: &str,
    f: FileFormat,
) -> Result<Vec<PathBuf>, ModelError> {
    let (prefix, _, n) =
        shard_numbers(name, ext).ok_or_else(|| invalid(&dir.join(name), f, "not a shard name"))?;
    let width = name
        .strip_suffix(ext)
        .and_then(|s| s.strip_suffix('.'))
        .and_then(|s| s.rsplit_once("-of-"))
        .map_or(5, |(_, c)| c.len());
    (1..=n)
        .map(|k| {
            let p = dir.join(shard_name(&prefix, k, n, width, ext));
            if p.is_file() {
                Ok(p)
            } else {
                Err(invalid(
                    &dir.join(name),
                    f,
                    format!("shard {} of the {n}-file set is missing", file_name(&p)),
                ))
            }
        })
        .collect()
}

/// Open every file of a split GGUF (llama.cpp's convention: any split opens the whole model).
pub(crate) fn open_gguf_split(path: &Path) -> Result<Model, ModelError> {
    open_set(path, FileFormat::Gguf, "gguf")
}

/// Open a sharded safetensors set that has no index (every `*-0000k-of-0000n` file).
fn open_safetensors_set(first: &Path) -> Result<Model, ModelError> {
    open_set(first, FileFormat::Safetensors, "safetensors")
}

/// Open the complete `*-0000k-of-0000n.ext` set that `member` belongs to; metadata from its
/// first file (and the folder's `config.json`). Named after the first file (GGUF, as llama.cpp
/// names a split model) or the folder (safetensors, as Hugging Face does).
fn open_set(member: &Path, f: FileFormat, ext: &str) -> Result<Model, ModelError> {
    let dir = member.parent().unwrap_or(Path::new("."));
    let files = complete_set(dir, &file_name(member), ext, f)?;
    let shards = files
        .iter()
        .map(|p| parse_shard(p, f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut metadata = vec![("shards".to_owned(), shards.len().to_string())];
    metadata.extend(shards[0].parsed.metadata.iter().cloned());
    let label = if f == FileFormat::Gguf {
        files[0].clone()
    } else {
        metadata.extend(folder_config(dir));
        dir.to_owned()
    };
    join(&label, f, metadata, shards)
}

/// Where the whole set of the shard `path` can be opened from (its index, else its folder),
/// when `path` is one shard of a complete set.
pub(crate) fn whole_set_of(path: &Path) -> Option<PathBuf> {
    let name = file_name(path);
    let dir = path.parent().unwrap_or(Path::new("."));
    shard_numbers(&name, "safetensors")?;
    let index = dir.join(INDEX_NAME);
    if index.is_file() {
        return Some(index);
    }
    complete_set(dir, &name, "safetensors", FileFormat::Safetensors)
        .ok()
        .map(|_| dir.to_owned())
}

/// Model-card facts from a Hugging Face `config.json` beside the weights, as metadata.
fn folder_config(dir: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join("config.json")) else {
        return Vec::new();
    };
    let Ok(Value::Object(cfg)) = serde_json::from_str::<Value>(&text) else {
        return vec![("config.json".into(), "present but not valid JSON".into())];
    };
    let keys = [
        "architectures",
        "model_type",
        "torch_dtype",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "vocab_size",
    ];
    keys.iter()
        .filter_map(|k| cfg.get(*k).map(|v| (format!("config.{k}"), compact(v))))
        .collect()
}

fn compact(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Weight files bitlens reads, by extension, in the order a folder is searched.
const WEIGHT_EXTS: [&str; 7] = ["safetensors", "gguf", "onnx", "bin", "pt", "pth", "npz"];

/// Open a model folder: its safetensors index, single `model.safetensors`, a complete shard
/// set, or its one weight file of another format.
pub(crate) fn open_dir(dir: &Path) -> Result<Model, ModelError> {
    let index = dir.join(INDEX_NAME);
    if index.is_file() {
        return open_index(&index);
    }
    let mut files: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let name = file_name(&p);
            if name.ends_with(".safetensors.index.json") {
                return Some((0, p));
            }
            let ext = p.extension()?.to_str()?.to_ascii_lowercase();
            let rank = WEIGHT_EXTS.iter().position(|e| *e == ext)?;
            Some((rank + 1, p))
        })
        .collect();
    files.sort();
    let Some(best) = files.first().map(|(r, _)| *r) else {
        return Err(ModelError::UnknownFormat {
            file: dir.display().to_string(),
            problem: format!(
                "the folder holds no model weights (looked for {INDEX_NAME}, {})",
                WEIGHT_EXTS.map(|e| format!("*.{e}")).join(", ")
            ),
        });
    };
    let same: Vec<&PathBuf> = files
        .iter()
        .filter(|(r, _)| *r == best)
        .map(|(_, p)| p)
        .collect();
    if best == 0 {
        return open_index(same[0]);
    }
    let ext = WEIGHT_EXTS[best - 1];
    let mut model = if same.len() == 1 {
        source::open_file(same[0])?
    } else if let Some(first) = same
        .iter()
        .find(|p| shard_numbers(&file_name(p), ext).is_some_and(|(_, k, _)| k == 1))
    {
        match ext {
            "gguf" => open_gguf_split(first)?,
            "safetensors" => open_safetensors_set(first)?,
            _ => return Err(several(dir, &same)),
        }
    } else {
        return Err(several(dir, &same));
    };
    model.metadata.extend(folder_config(dir));
    Ok(model)
}

fn several(dir: &Path, files: &[&PathBuf]) -> ModelError {
    let names: Vec<String> = files.iter().take(4).map(|p| file_name(p)).collect();
    ModelError::UnknownFormat {
        file: dir.display().to_string(),
        problem: format!(
            "the folder holds {} weight files ({}{}) and no index; open one of them",
            files.len(),
            names.join(", "),
            if files.len() > 4 { ", …" } else { "" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_parse() {
        assert_eq!(
            shard_numbers("model-00002-of-00005.safetensors", "safetensors"),
            Some(("model".into(), 2, 5))
        );
        assert_eq!(
            shard_numbers("llama-3-8b-q4-00001-of-00003.gguf", "gguf"),
            Some(("llama-3-8b-q4".into(), 1, 3))
        );
        assert_eq!(shard_numbers("model.safetensors", "safetensors"), None);
        assert_eq!(shard_numbers("m-00001-of-00001.gguf", "gguf"), None);
        assert_eq!(shard_numbers("m-00004-of-00003.gguf", "gguf"), None);
        assert_eq!(shard_name("m", 2, 3, 5, "gguf"), "m-00002-of-00003.gguf");
    }

    #[test]
    fn index_paths_stay_inside() {
        let d = Path::new("/m");
        assert!(inside(d, "model-00001-of-00002.safetensors").is_some());
        assert!(inside(d, "../x.safetensors").is_none());
        assert!(inside(d, "/etc/passwd").is_none());
        assert!(inside(d, "").is_none());
    }
}
