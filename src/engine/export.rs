//! Writing a compressed model, one tensor in memory at a time, atomically (temporary file, then
//! rename). Three layouts ([`ExportFormat`]):
//! - **dequantized safetensors**: every tensor the config changes as F32, every other tensor
//!   copied with its stored bytes and dtype (a bf16 norm stays bf16; `position_ids` and masks
//!   byte for byte);
//! - **packed safetensors** (compressed-tensors, see [`super::export_packed`]): integer codes,
//!   scales and zero points as separate tensors, so the file is as small as the setting says;
//! - **GGUF** (see [`super::export_gguf`]): llama.cpp's blocks, metadata kept.
//!
//! Each layout is a plan of output tensors ([`Piece`]) made before any data is read, so the
//! header (which holds every offset) is written first and the data streams after it. Every
//! piece made from a compressed tensor is checked to decode to exactly the values bitlens
//! measured. The CLI's `quantize --out` and the app's export ([`super::Request::ExportModel`]:
//! progress, cancel, a waker) both come here.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::CancelToken;
use super::config::{Config, ConfigPoint, compress_each_with};
use super::loaded::LoadedModel;
use super::{export_gguf, export_packed};
use crate::compress::Compressed;
use crate::model;

/// The layout of an exported model file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// safetensors, compressed tensors dequantized to F32.
    #[default]
    Dequantized,
    /// safetensors with integer codes + scales (compressed-tensors `pack-quantized` /
    /// `int-quantized`).
    Packed,
    /// GGUF v3 (llama.cpp).
    Gguf,
}

impl ExportFormat {
    /// The layout a file name asks for: `.gguf` is GGUF, anything else safetensors (`packed`
    /// chooses codes + scales). A packed GGUF is refused.
    pub fn for_path(path: &Path, packed: bool) -> Result<Self, String> {
        let gguf = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"));
        match (gguf, packed) {
            (true, true) => Err(format!(
                "{}: --packed writes safetensors; a .gguf file is always packed in llama.cpp's blocks",
                path.display()
            )),
            (true, false) => Ok(Self::Gguf),
            (false, true) => Ok(Self::Packed),
            (false, false) => Ok(Self::Dequantized),
        }
    }

    /// The file extension of the layout.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Gguf => "gguf",
            Self::Dequantized | Self::Packed => "safetensors",
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    pub point: ConfigPoint,
    pub format: ExportFormat,
    /// The file's size on disk.
    pub bytes: u64,
    /// What the setting's size report promised for the model (tensor data only).
    pub promised: u64,
    /// What the layout did differently from the setting (named tensors, with the reason).
    pub notes: Vec<ExportNote>,
}

/// A model file an export wrote, as the app reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFile {
    pub path: std::path::PathBuf,
    /// The setting's label.
    pub label: String,
    pub format: ExportFormat,
    /// The file's size on disk.
    pub bytes: u64,
    /// The size the setting's report promised (tensor data).
    pub promised: u64,
    /// What the layout did differently from the setting.
    pub notes: Vec<ExportNote>,
}

/// Something an export layout did differently from the setting, about one named tensor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ExportNote {
    /// Written dequantized (F32): the tensor's setting has no integer codes to pack.
    StoredDequantized { tensor: String },
    /// Left out of a GGUF file: GGUF has no type for the file's `dtype`.
    NoGgufType { tensor: String, dtype: String },
    /// The name is longer than llama.cpp loads (`max` bytes).
    NameTooLong {
        tensor: String,
        bytes: usize,
        max: usize,
    },
}

impl std::fmt::Display for ExportNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StoredDequantized { tensor } => write!(
                f,
                "`{tensor}` is stored dequantized (F32): its setting has no integer codes"
            ),
            Self::NoGgufType { tensor, dtype } => {
                write!(
                    f,
                    "`{tensor}` ({dtype}) is left out: GGUF has no type for it"
                )
            }
            Self::NameTooLong { tensor, bytes, max } => write!(
                f,
                "`{tensor}` is {bytes} bytes long: llama.cpp loads names of at most {max} bytes"
            ),
        }
    }
}

/// How a piece of the output is typed in its container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PieceType {
    Safetensors(&'static str),
    Ggml(u32),
}

/// Where a piece's bytes come from.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PieceSource {
    /// The file's own bytes of file tensor `k`, as stored.
    Stored(usize),
    /// The model tensor's loaded values as little-endian F32.
    LoadedF32,
    /// The compressed result, dequantized, as F32.
    DequantizedF32,
    /// A packed part of the compressed result.
    Packed(export_packed::Part),
    /// The compressed result in ggml blocks of this type.
    Blocks(crate::compress::ggml_blocks::GgmlType),
}

/// One tensor of the output file.
#[derive(Clone, Debug)]
pub(super) struct Piece {
    /// The model tensor it is made from (written while that tensor is in memory); `None`: a
    /// tensor of the file that is not loaded (copied at the end).
    pub tensor: Option<usize>,
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: PieceType,
    pub len: usize,
    pub source: PieceSource,
}

/// Every tensor of the output in file order, with the file's metadata.
#[derive(Default)]
pub(super) struct Plan {
    pub pieces: Vec<Piece>,
    /// safetensors `__metadata__` (string pairs); GGUF metadata entries are built by its layout.
    pub metadata: Vec<(String, String)>,
    pub notes: Vec<ExportNote>,
}

impl Plan {
    /// Tensors the config leaves alone (and the file's integer tensors) for a safetensors
    /// layout: copied with their stored bytes and dtype where they are plain, else as F32.
    pub(super) fn kept_safetensors(model: &LoadedModel, config: &Config, i: usize) -> Piece {
        let t = &model.tensors[i];
        let stored = stored_index(model, i)
            .and_then(|k| Some((k, model.source()?.raw_layout(k)?)))
            .filter(|_| !super::config::touches(model, config, i));
        let (dtype, len, source) = match stored {
            Some((k, (dtype, len))) => (dtype, len, PieceSource::Stored(k)),
            None => ("F32", 4 * t.len, PieceSource::LoadedF32),
        };
        Piece {
            tensor: Some(i),
            name: t.name.clone(),
            shape: t.shape.clone(),
            dtype: PieceType::Safetensors(dtype),
            len,
            source,
        }
    }

    /// A compressed tensor written as its dequantized values, F32.
    pub(super) fn dequantized_safetensors(model: &LoadedModel, i: usize) -> Piece {
        let t = &model.tensors[i];
        Piece {
            tensor: Some(i),
            name: t.name.clone(),
            shape: t.shape.clone(),
            dtype: PieceType::Safetensors("F32"),
            len: 4 * t.len,
            source: PieceSource::DequantizedF32,
        }
    }

    /// The file's integer and boolean tensors (not loaded for compression), copied as stored.
    pub(super) fn file_integers(model: &LoadedModel) -> Vec<Piece> {
        let Some(f) = model.source() else {
            return Vec::new();
        };
        (0..f.tensors.len())
            .filter(|&k| !f.tensors[k].supported)
            .filter_map(|k| {
                let (dtype, len) = f.raw_layout(k)?;
                // Integers and booleans (the float ones not loaded are not copied).
                if dtype.starts_with('F') || dtype == "BF16" {
                    return None;
                }
                Some(Piece {
                    tensor: None,
                    name: f.tensors[k].name.clone(),
                    shape: f.tensors[k].shape.clone(),
                    dtype: PieceType::Safetensors(dtype),
                    len,
                    source: PieceSource::Stored(k),
                })
            })
            .collect()
    }
}

/// The index in the file of model tensor `i`.
pub(super) fn stored_index(model: &LoadedModel, i: usize) -> Option<usize> {
    model.source()?.tensor_index(&model.tensors[i].name)
}

/// The dequantized safetensors layout.
fn plan_dequantized(model: &LoadedModel, config: &Config) -> Plan {
    let mut pieces: Vec<Piece> = (0..model.tensors.len())
        .map(|i| {
            if super::config::touches(model, config, i) {
                Plan::dequantized_safetensors(model, i)
            } else {
                Plan::kept_safetensors(model, config, i)
            }
        })
        .collect();
    pieces.extend(Plan::file_integers(model));
    Plan {
        pieces,
        ..Plan::default()
    }
}

/// Compress `model` under `config` into `path` in `format` with `meta` as extra metadata;
/// `on_tensor` sees each tensor as it is written. `Ok(None)`: cancelled (nothing is left at
/// `path`).
pub fn write_compressed(
    model: &LoadedModel,
    config: &Config,
    format: ExportFormat,
    path: &Path,
    meta: &[(String, String)],
    cancel: &CancelToken,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<Exported>, String> {
    super::config::check(model, config)?;
    let (plan, header) = plan_and_header(model, config, format, meta)?;
    let pad = format == ExportFormat::Gguf;
    let mut point = None;
    model::write_atomic_with(path, &mut |w| {
        w.write_all(&header).map_err(|e| e.to_string())?;
        let mut written = 0;
        let mut failed: Option<String> = None;
        let mut each = |i: usize, c: Option<&Compressed>| {
            on_tensor(i, c);
            while failed.is_none() && written < plan.pieces.len() {
                let piece = &plan.pieces[written];
                if piece.tensor != Some(i) {
                    break;
                }
                failed = write_piece(model, piece, c, pad, w).err();
                written += 1;
            }
        };
        let codes = format == ExportFormat::Packed;
        let p = compress_each_with(model, config, cancel, codes, &mut each)?;
        if let Some(e) = failed {
            return Err(e);
        }
        for piece in &plan.pieces[written..] {
            if piece.tensor.is_some() {
                return Err(format!("tensor `{}` was not written in order", piece.name));
            }
            write_piece(model, piece, None, pad, w)?;
        }
        // Cancelled: fail the write so the temporary file is removed and nothing is renamed.
        point = Some(p.ok_or("cancelled")?);
        Ok(())
    })
    .or_else(|e| {
        if cancel.is_cancelled() {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    let Some(point) = point else {
        return Ok(None);
    };
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(Exported {
        promised: point.size_bytes,
        point,
        format,
        bytes,
        notes: plan.notes,
    }))
}

/// What goes into the file in which order, and the file's header (with `meta`).
fn plan_and_header(
    model: &LoadedModel,
    config: &Config,
    format: ExportFormat,
    meta: &[(String, String)],
) -> Result<(Plan, Vec<u8>), String> {
    Ok(match format {
        ExportFormat::Dequantized => {
            let mut plan = plan_dequantized(model, config);
            plan.metadata.extend_from_slice(meta);
            let header = safetensors_header(&plan);
            (plan, header)
        }
        ExportFormat::Packed => {
            let mut plan = export_packed::plan(model, config)?;
            plan.metadata.extend_from_slice(meta);
            let header = safetensors_header(&plan);
            (plan, header)
        }
        ExportFormat::Gguf => {
            let plan = export_gguf::plan(model, config)?;
            let header = export_gguf::header(model, &plan, meta)?;
            (plan, header)
        }
    })
}

fn safetensors_header(plan: &Plan) -> Vec<u8> {
    let entries: Vec<(&str, &str, &[usize], usize)> = plan
        .pieces
        .iter()
        .map(|p| {
            let dtype = match p.dtype {
                PieceType::Safetensors(d) => d,
                PieceType::Ggml(_) => "F32",
            };
            (p.name.as_str(), dtype, &p.shape[..], p.len)
        })
        .collect();
    model::stream_header(&entries, &plan.metadata)
}

/// Write one piece (its bytes must be exactly the planned length), padded for GGUF.
fn write_piece(
    model: &LoadedModel,
    piece: &Piece,
    c: Option<&Compressed>,
    pad: bool,
    w: &mut dyn std::io::Write,
) -> Result<(), String> {
    let compressed =
        || c.ok_or_else(|| format!("tensor `{}`: no compressed result to write", piece.name));
    let bytes = match &piece.source {
        PieceSource::Stored(k) => {
            let f = model.source();
            let raw = match piece.dtype {
                PieceType::Ggml(_) => f.and_then(|f| f.raw_ggml(*k)).map(|(_, b)| b),
                PieceType::Safetensors(_) => f.and_then(|f| f.raw_tensor(*k)).map(|(_, b)| b),
            };
            raw.ok_or_else(|| {
                format!(
                    "{}: tensor `{}` cannot be read as stored",
                    model.label, piece.name
                )
            })?
        }
        PieceSource::LoadedF32 => {
            let i = piece.tensor.ok_or("a loaded piece names no tensor")?;
            model::f32_bytes(&model.data(i)?.data)
        }
        PieceSource::DequantizedF32 => model::f32_bytes(&compressed()?.dequantized),
        PieceSource::Packed(part) => export_packed::bytes(part, compressed()?)?,
        PieceSource::Blocks(ty) => export_gguf::blocks(*ty, compressed()?)?,
    };
    if bytes.len() != piece.len {
        return Err(format!(
            "tensor `{}`: {} bytes made, {} planned",
            piece.name,
            bytes.len(),
            piece.len
        ));
    }
    w.write_all(&bytes).map_err(|e| e.to_string())?;
    if pad {
        let zeros = [0u8; model::gguf::ALIGNMENT];
        w.write_all(&zeros[..model::gguf::padding(bytes.len())])
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
