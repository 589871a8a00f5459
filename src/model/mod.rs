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
mod builtin;
mod dtype;
mod gguf;
mod npy;
mod onnx;
mod pickle;
mod pickle_values;
mod protobuf;
mod pytorch;
mod safetensors;
mod source;
mod zip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use atomic::write_atomic;
pub use dtype::DType;
pub use gguf::write_gguf;
pub use npy::write_npy_f32;
pub use safetensors::write_f32 as write_safetensors_f32;
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
    /// Display name used in errors (the path, or `<built-in>`).
    label: String,
    sources: Vec<Source>,
    payloads: Arc<BTreeMap<String, Payload>>,
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
        self.tensors.iter().find(|t| t.name == name)
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
        let info = self
            .tensor_info(name)
            .ok_or_else(|| ModelError::NoSuchTensor {
                file: self.label.clone(),
                tensor: name.to_owned(),
            })?;
        let payload = self
            .payloads
            .get(name)
            .ok_or_else(|| ModelError::NoSuchTensor {
                file: self.label.clone(),
                tensor: name.to_owned(),
            })?;
        let data = source::decode(payload, &self.sources, &info.shape).map_err(|problem| {
            ModelError::Tensor {
                file: self.label.clone(),
                tensor: name.to_owned(),
                problem,
            }
        })?;
        Ok(Tensor::new(name, info.shape.clone(), data))
    }

    /// Load every tensor with `supported == true`, in listing order.
    pub fn load_supported(&self) -> Result<Vec<Tensor>, ModelError> {
        self.tensors
            .iter()
            .filter(|t| t.supported)
            .map(|t| self.load_tensor(&t.name))
            .collect()
    }

    /// Statistics of one tensor (loads it).
    pub fn tensor_stats(&self, name: &str) -> Result<TensorStats, ModelError> {
        Ok(self.load_tensor(name)?.stats())
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
    let mut payloads = BTreeMap::new();
    for (mut info, payload) in entries {
        if payloads.contains_key(&info.name) {
            let base = info.name.clone();
            let mut k = 2usize;
            while payloads.contains_key(&format!("{base}#{k}")) {
                k += 1;
            }
            info.name = format!("{base}#{k}");
        }
        payloads.insert(info.name.clone(), payload);
        tensors.push(info);
    }
    Model {
        path,
        format,
        tensors,
        metadata,
        label,
        sources,
        payloads: Arc::new(payloads),
    }
}
