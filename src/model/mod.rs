//! Model files: recognise the format by content, list every tensor without reading its data,
//! and decode one tensor to `f32` on demand.
//!
//! Layer L1. The only module (with the dataset loader in `eval`) that touches the file system.
//! Every parser treats its input as hostile: counts, lengths, offsets and shapes are checked
//! against the file size with checked arithmetic before anything is allocated, and nothing found
//! in a file is ever executed. A bad file gives a [`ModelError`] naming the file and the problem.
//!
//! Formats: safetensors, NumPy `.npy`/`.npz`, GGUF v2/v3, ONNX (initializers and Constant
//! nodes), PyTorch zip and legacy checkpoints (restricted unpickler), and the built-in MLP.

mod atomic;
pub mod blocks;
mod builtin;
mod dtype;
pub mod gguf;
mod npy;
mod onnx;
mod pickle;
mod pickle_values;
mod protobuf;
mod pytorch;
mod read;
mod safetensors;
mod sharded;
mod source;
mod zip;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use atomic::{write_atomic, write_atomic_with};
pub use dtype::DType;
pub use gguf::write_gguf;
pub use npy::write_npy_f32;
pub use safetensors::{f32_bytes, f32_header, stream_header, write_f32 as write_safetensors_f32};
pub use sharded::INDEX_NAME;
pub use source::{MAX_TENSORS, open_bytes, open_bytes_as};

use crate::tensor::{Tensor, TensorStats};
use source::{Payload, Source};

/// The container format of a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// The MLP compiled into the binary (safetensors bytes from `assets/`).
    Builtin,
    Safetensors,
    Npy,
    Npz,
    Gguf,
    Onnx,
    PytorchZip,
    PytorchLegacy,
}

impl FileFormat {
    /// Human-readable name, stable (used in the CLI's JSON).
    pub fn name(self) -> &'static str {
        match self {
            Self::Builtin => "built-in",
            Self::Safetensors => "safetensors",
            Self::Npy => "npy",
            Self::Npz => "npz",
            Self::Gguf => "gguf",
            Self::Onnx => "onnx",
            Self::PytorchZip => "pytorch-zip",
            Self::PytorchLegacy => "pytorch-legacy",
        }
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One tensor as listed in a file; the data stays in the file until [`Model::load_tensor`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TensorInfo {
    pub name: String,
    /// Logical shape, outermost axis first (PyTorch / NumPy order, also for GGUF).
    pub shape: Vec<usize>,
    /// The stored element type as the file names it (`F32`, `BF16`, `Q4_K`, `INT8`, …).
    pub dtype: String,
    pub n_params: u64,
    /// Bytes the tensor occupies in the file.
    pub size_bytes: u64,
    /// A floating-point tensor that [`Model::load_tensor`] can decode: offered for compression.
    /// Integer and boolean tensors load but are not offered; unsupported ones do not load.
    pub supported: bool,
    /// Why the tensor is not offered or cannot be decoded, if so.
    pub note: Option<String>,
}

/// An opened model: its tensors (metadata only) and the file's key/value metadata.
#[derive(Clone)]
pub struct Model {
    /// `None` for the built-in model and for [`open_bytes`].
    pub path: Option<PathBuf>,
    pub format: FileFormat,
    pub tensors: Vec<TensorInfo>,
    /// File-level metadata in file order (safetensors `__metadata__`, GGUF KVs, ONNX producer, …).
    pub metadata: Vec<(String, String)>,
    /// Every file the tensors were read from (one per shard; empty for in-memory models).
    pub files: Vec<PathBuf>,
    /// For one shard of a set: where the whole set opens from (its index, or its folder).
    pub whole_set: Option<PathBuf>,
    /// Display name used in errors (the path, or `<built-in>`).
    label: String,
    sources: Vec<Source>,
    /// Payload of each entry of `tensors`, same order.
    payloads: Arc<[Payload]>,
    /// Tensor name → index into `tensors` (lookups stay O(1) for 100k-tensor files).
    index: Arc<HashMap<String, usize>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("tensors", &self.tensors.len())
            .field("metadata", &self.metadata.len())
            .finish()
    }
}

/// Why a model file could not be opened or a tensor not decoded. Always names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a model file bitlens can read: {problem}")]
    UnknownFormat { file: String, problem: String },
    #[error("{file}: invalid {format} file: {problem}")]
    Invalid {
        file: String,
        format: FileFormat,
        problem: String,
    },
    #[error("{file}: tensor `{tensor}`: {problem}")]
    Tensor {
        file: String,
        tensor: String,
        problem: String,
    },
    #[error("{file}: no tensor named `{tensor}`")]
    NoSuchTensor { file: String, tensor: String },
}

/// Open a model file, recognising its format by content (the extension only breaks ties).
///
/// Lists the tensors without reading their data: files are memory-mapped and each tensor keeps
/// an offset, so a multi-GB file opens in milliseconds.
pub fn open(path: &Path) -> Result<Model, ModelError> {
    source::open_path(path)
}

impl Model {
    /// The built-in MNIST MLP (784-128-64-10), embedded in the binary.
    pub fn builtin() -> Model {
        builtin::model()
    }

    /// The name used in error messages: the path, or `<built-in>` / the in-memory name.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn tensor_info(&self, name: &str) -> Option<&TensorInfo> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    fn index_or_err(&self, name: &str) -> Result<usize, ModelError> {
        self.tensor_index(name)
            .ok_or_else(|| ModelError::NoSuchTensor {
                file: self.label.clone(),
                tensor: name.to_owned(),
            })
    }

    /// Position of tensor `name` in [`Model::tensors`].
    pub fn tensor_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Total parameters over all listed tensors.
    pub fn n_params(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_params).sum()
    }

    /// Total bytes of tensor data in the file.
    pub fn size_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.size_bytes).sum()
    }

    /// Decode one tensor to `f32` (integers are converted exactly where f32 allows, booleans to
    /// 0/1; quantized GGUF blocks are dequantized). Reads only that tensor's bytes.
    pub fn load_tensor(&self, name: &str) -> Result<Tensor, ModelError> {
        let i = self.index_or_err(name)?;
        let (info, payload) = (&self.tensors[i], &self.payloads[i]);
        let data = read::decode(payload, &self.sources, &info.shape)
            .map_err(|problem| self.tensor_error(info, problem))?;
        Ok(Tensor::new(name, info.shape.clone(), data))
    }

    /// Tensor `i`'s stored bytes (little-endian) and safetensors dtype, when it is an integer or
    /// boolean tensor stored contiguously (`position_ids`, masks): exports copy it as is.
    pub fn raw_integer_tensor(&self, i: usize) -> Option<(&'static str, Vec<u8>)> {
        let info = self.tensors.get(i)?;
        read::raw_integer_bytes(self.payloads.get(i)?, &self.sources, info.n_params as usize)
    }

    /// Tensor `i`'s stored bytes (little-endian) and safetensors dtype, for any plain dtype
    /// (floats too); `None` for strided or block-quantized storage.
    pub fn raw_tensor(&self, i: usize) -> Option<(&'static str, Vec<u8>)> {
        let info = self.tensors.get(i)?;
        read::raw_bytes(self.payloads.get(i)?, &self.sources, info.n_params as usize)
    }

    /// The dtype and byte length [`Model::raw_tensor`] would give, without reading.
    pub fn raw_layout(&self, i: usize) -> Option<(&'static str, usize)> {
        let info = self.tensors.get(i)?;
        read::raw_layout(self.payloads.get(i)?, info.n_params as usize)
    }

    /// Tensor `i` as GGUF stores it: ggml type id and bytes (blocks of a GGUF file as they
    /// are; plain dtypes GGUF has, little-endian); `None` otherwise.
    pub fn raw_ggml(&self, i: usize) -> Option<(u32, Vec<u8>)> {
        let info = self.tensors.get(i)?;
        read::raw_ggml_bytes(self.payloads.get(i)?, &self.sources, info.n_params as usize)
    }

    /// The ggml type id and byte length [`Model::raw_ggml`] would give, without reading.
    pub fn raw_ggml_layout(&self, i: usize) -> Option<(u32, usize)> {
        let info = self.tensors.get(i)?;
        read::ggml_layout(self.payloads.get(i)?, info.n_params as usize)
    }

    /// A GGUF file's metadata entries as stored (key, raw entry bytes); `None` for other
    /// formats.
    pub fn gguf_kv_entries(&self) -> Option<Result<Vec<gguf::RawEntry>, ModelError>> {
        if self.format != FileFormat::Gguf {
            return None;
        }
        let bytes = self.sources.first()?.bytes();
        Some(
            gguf::raw_kv_entries(bytes).map_err(|problem| ModelError::Invalid {
                file: self.label.clone(),
                format: FileFormat::Gguf,
                problem,
            }),
        )
    }

    /// Whether tensor `i` can be read range by range ([`Model::decode_range`]) without decoding
    /// it whole: contiguous raw storage (safetensors, npy, GGUF F32/F16/BF16, …).
    pub fn streams(&self, i: usize) -> bool {
        self.payloads.get(i).is_some_and(read::streams)
    }

    /// Tensor `i`'s listing and payload.
    fn entry(&self, i: usize) -> Result<(&TensorInfo, &Payload), ModelError> {
        self.tensors
            .get(i)
            .zip(self.payloads.get(i))
            .ok_or_else(|| ModelError::NoSuchTensor {
                file: self.label.clone(),
                tensor: format!("#{i}"),
            })
    }

    /// A problem reading tensor `info` of this file.
    fn tensor_error(&self, info: &TensorInfo, problem: String) -> ModelError {
        ModelError::Tensor {
            file: self.label.clone(),
            tensor: info.name.clone(),
            problem,
        }
    }

    /// Decode elements `start .. start + out.len()` (C order) of tensor `i` into `out`; only
    /// those bytes of the file are read. Fails for tensors that do not [stream](Model::streams).
    pub fn decode_range(&self, i: usize, start: usize, out: &mut [f32]) -> Result<(), ModelError> {
        let (info, payload) = self.entry(i)?;
        read::decode_range(payload, &self.sources, &info.shape, start, out)
            .map_err(|problem| self.tensor_error(info, problem))
    }

    /// Load every tensor with `supported == true`, in listing order.
    pub fn load_supported(&self) -> Result<Vec<Tensor>, ModelError> {
        self.tensors
            .iter()
            .filter(|t| t.supported)
            .map(|t| self.load_tensor(&t.name))
            .collect()
    }

    /// For tensor `i` stored as contiguous 16-bit floats (bf16, f16): each of the 65,536
    /// values with how often it occurs, from one counting pass over the file's bytes; `None`
    /// for other storage.
    pub fn value_counts(&self, i: usize) -> Result<Option<Vec<(f32, u64)>>, ModelError> {
        let (info, payload) = self.entry(i)?;
        let counted = read::pattern_counts(payload, &self.sources, &info.shape)
            .map_err(|problem| self.tensor_error(info, problem))?;
        Ok(counted.map(|(dtype, counts)| {
            counts
                .iter()
                .enumerate()
                .map(|(bits, &c)| (dtype.decode_bits(bits as u16), c))
                .collect()
        }))
    }

    /// Statistics of one tensor: streamed from the file in chunks (no copy of the tensor) when
    /// it [streams](Model::streams), else decoded whole first.
    pub fn tensor_stats(&self, name: &str) -> Result<TensorStats, ModelError> {
        let i = self.index_or_err(name)?;
        if let Some(pairs) = self.value_counts(i)? {
            // 16-bit floats: one counting pass, the figures from the 65,536 exact values.
            return Ok(TensorStats::of_value_counts(&pairs));
        }
        if !self.streams(i) {
            return Ok(self.load_tensor(name)?.stats());
        }
        let n = self.tensors[i].n_params as usize;
        TensorStats::of_chunks(n, &|start, buf| self.decode_range(i, start, buf))
    }
}

/// Build a [`Model`] from parser output; de-duplicates names (`name#2`, …) so lookups are exact.
pub(crate) fn assemble(
    label: String,
    path: Option<PathBuf>,
    format: FileFormat,
    metadata: Vec<(String, String)>,
    sources: Vec<Source>,
    entries: Vec<(TensorInfo, Payload)>,
) -> Model {
    let mut tensors = Vec::with_capacity(entries.len());
    let mut payloads = Vec::with_capacity(entries.len());
    let mut index = HashMap::with_capacity(entries.len());
    for (mut info, payload) in entries {
        if index.contains_key(&info.name) {
            let base = info.name.clone();
            let mut k = 2usize;
            while index.contains_key(&format!("{base}#{k}")) {
                k += 1;
            }
            info.name = format!("{base}#{k}");
        }
        index.insert(info.name.clone(), tensors.len());
        payloads.push(payload);
        tensors.push(info);
    }
    Model {
        path,
        format,
        tensors,
        metadata,
        files: Vec::new(),
        whole_set: None,
        label,
        sources,
        payloads: payloads.into(),
        index: Arc::new(index),
    }
}
