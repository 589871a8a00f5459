//! Where tensor bytes live (a memory map, static bytes, an owned buffer), how a tensor's bytes
//! are located ([`Payload`]) and format detection; reading values out of a payload is in
//! [`super::read`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dtype::DType;
use super::{FileFormat, Model, ModelError, TensorInfo};

/// Most tensors a file may list (bounds the work an absurd header can ask for).
pub const MAX_TENSORS: usize = 1 << 20;

/// Bytes of one file: memory-mapped, compiled in, or owned.
#[derive(Clone)]
pub(crate) enum Source {
    Mapped(Arc<memmap2::Mmap>),
    Static(&'static [u8]),
    Owned(Arc<[u8]>),
}

impl Source {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
            Self::Static(b) => b,
            Self::Owned(b) => b,
        }
    }

    /// Memory-map a file (an empty file becomes an empty buffer: mapping zero bytes fails).
    pub(crate) fn map(path: &Path) -> std::io::Result<Source> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(Self::Owned(Arc::from(Vec::new())));
        }
        #[expect(
            unsafe_code,
            reason = "memmap2 needs unsafe: the file must not be truncated while mapped; \
                      bitlens only reads, and every offset is checked against the mapped length"
        )]
        // SAFETY: read-only map; see the reason above.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(Self::Mapped(Arc::new(map)))
    }
}

/// A run of fixed-width elements inside one source.
#[derive(Clone, Debug)]
pub(crate) struct RawLoc {
    /// Index into the model's sources.
    pub src: usize,
    /// Byte range of the storage inside the source.
    pub offset: usize,
    pub len: usize,
    pub dtype: DType,
    pub big_endian: bool,
    /// First element (in elements, not bytes) inside the storage.
    pub elem_offset: usize,
    /// Element strides per axis; `None` = C-contiguous.
    pub strides: Option<Vec<usize>>,
}

impl RawLoc {
    pub(crate) fn contiguous(src: usize, offset: usize, len: usize, dtype: DType) -> Self {
        Self {
            src,
            offset,
            len,
            dtype,
            big_endian: false,
            elem_offset: 0,
            strides: None,
        }
    }

    /// Check that every element the shape reaches lies inside the storage and inside a source
    /// of `src_len` bytes.
    pub(crate) fn validate(&self, shape: &[usize], src_len: usize) -> Result<(), String> {
        let end = self
            .offset
            .checked_add(self.len)
            .ok_or("data offset overflows")?;
        if end > src_len {
            return Err(format!(
                "data [{}, {end}) lies outside the {src_len}-byte file",
                self.offset
            ));
        }
        let n = numel(shape)?;
        let elem = self.dtype.size_bytes();
        let storage_elems = self.len / elem;
        if n == 0 {
            return Ok(());
        }
        let last = match &self.strides {
            None => n - 1,
            Some(strides) => {
                if strides.len() != shape.len() {
                    return Err("stride count differs from the shape's rank".into());
                }
                let mut last = 0usize;
                for (&d, &s) in shape.iter().zip(strides) {
                    let reach = (d - 1).checked_mul(s).ok_or("stride extent overflows")?;
                    last = last.checked_add(reach).ok_or("stride extent overflows")?;
                }
                last
            }
        };
        let needed = self
            .elem_offset
            .checked_add(last)
            .and_then(|v| v.checked_add(1));
        match needed {
            Some(k) if k <= storage_elems => Ok(()),
            _ => Err(format!(
                "shape {shape:?} needs elements up to {} but the storage holds {storage_elems}",
                self.elem_offset.saturating_add(last).saturating_add(1)
            )),
        }
    }
}

/// How to obtain one tensor's values.
#[derive(Clone, Debug)]
pub(crate) enum Payload {
    Raw(RawLoc),
    /// A deflated zip member: inflate `src[offset..offset + compressed]` (exactly
    /// `uncompressed` bytes), then read `inner` from that buffer (`inner.src` unused).
    Deflated {
        src: usize,
        offset: usize,
        compressed: usize,
        uncompressed: usize,
        inner: RawLoc,
    },
    /// Values decoded while parsing (ONNX typed fields).
    Values(Arc<[f32]>),
    /// GGUF block-quantized data of ggml type `ty`.
    Ggml {
        src: usize,
        offset: usize,
        len: usize,
        ty: u32,
    },
    /// Listed but not decodable; the reason.
    Unsupported(String),
}

impl Payload {
    /// The same payload with its data in source `src` (shards are parsed alone, as source 0).
    pub(crate) fn with_source(self, src: usize) -> Self {
        match self {
            Self::Raw(mut loc) => {
                loc.src = src;
                Self::Raw(loc)
            }
            Self::Deflated {
                offset,
                compressed,
                uncompressed,
                inner,
                ..
            } => Self::Deflated {
                src,
                offset,
                compressed,
                uncompressed,
                inner,
            },
            Self::Ggml {
                offset, len, ty, ..
            } => Self::Ggml {
                src,
                offset,
                len,
                ty,
            },
            other @ (Self::Values(_) | Self::Unsupported(_)) => other,
        }
    }
}

/// Product of the dimensions, or an error on overflow.
pub(crate) fn numel(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| format!("shape {shape:?} has more elements than fit in memory"))
}

/// A listing for a float/int tensor stored as raw elements.
pub(crate) fn raw_info(
    name: String,
    shape: Vec<usize>,
    dtype: DType,
    size_bytes: u64,
) -> TensorInfo {
    let n = shape.iter().map(|&d| d as u64).product();
    let supported = dtype.is_float();
    TensorInfo {
        name,
        shape,
        dtype: dtype.name().to_owned(),
        n_params: n,
        size_bytes,
        supported,
        note: (!supported)
            .then(|| "integer/boolean tensor: listed, not offered for compression".into()),
    }
}

/// A listing for a tensor that cannot be decoded.
pub(crate) fn unsupported_info(
    name: String,
    shape: Vec<usize>,
    dtype: String,
    size_bytes: u64,
    why: String,
) -> (TensorInfo, Payload) {
    let n = shape.iter().map(|&d| d as u64).product();
    let info = TensorInfo {
        name,
        shape,
        dtype,
        n_params: n,
        size_bytes,
        supported: false,
        note: Some(why.clone()),
    };
    (info, Payload::Unsupported(why))
}

/// What a parser hands back.
#[derive(Default)]
pub(crate) struct Parsed {
    pub metadata: Vec<(String, String)>,
    pub entries: Vec<(TensorInfo, Payload)>,
    /// Sources beyond the main file (ONNX external data), indices 1, 2, ….
    pub extra_sources: Vec<Source>,
}

/// Parse context: the directory for external data (None for in-memory files).
pub(crate) struct Ctx<'a> {
    pub dir: Option<&'a Path>,
}

fn detect(bytes: &[u8], ext: &str) -> Result<FileFormat, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.starts_with(b"GGUF") || bytes.starts_with(b"FUGG") {
        return Ok(FileFormat::Gguf);
    }
    if bytes.starts_with(b"\x93NUMPY") {
        return Ok(FileFormat::Npy);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return super::zip::classify(bytes);
    }
    // safetensors before the pickle check: a header length such as 0x0280 starts with 80 02.
    if bytes.len() >= 9 && bytes[8] == b'{' {
        return Ok(FileFormat::Safetensors);
    }
    if bytes.len() >= 2 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1]) {
        return Ok(FileFormat::PytorchLegacy);
    }
    if ext.eq_ignore_ascii_case("safetensors") {
        return Ok(FileFormat::Safetensors);
    }
    if ext.eq_ignore_ascii_case("onnx") || bytes[0] == 0x08 {
        return Ok(FileFormat::Onnx);
    }
    let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Err(format!(
        "unrecognised content (first bytes {}); expected safetensors, .npy/.npz, GGUF, ONNX or a \
         PyTorch checkpoint",
        head.join(" ")
    ))
}

fn parse(format: FileFormat, bytes: &[u8], ctx: &Ctx<'_>) -> Result<Parsed, String> {
    match format {
        FileFormat::Safetensors | FileFormat::Builtin => super::safetensors::parse(bytes),
        FileFormat::Npy => super::npy::parse_npy_file(bytes),
        FileFormat::Npz => super::npy::parse_npz(bytes),
        FileFormat::Gguf => super::gguf::parse(bytes),
        FileFormat::Onnx => super::onnx::parse(bytes, ctx),
        FileFormat::PytorchZip => super::pytorch::parse_zip(bytes),
        FileFormat::PytorchLegacy => super::pytorch::parse_legacy(bytes),
    }
}

fn finish(
    label: String,
    path: Option<PathBuf>,
    main: Source,
    ext: &str,
    dir: Option<&Path>,
) -> Result<Model, ModelError> {
    let bytes = main.bytes();
    let format = detect(bytes, ext).map_err(|problem| ModelError::UnknownFormat {
        file: label.clone(),
        problem,
    })?;
    let parsed = parse(format, bytes, &Ctx { dir }).map_err(|problem| ModelError::Invalid {
        file: label.clone(),
        format,
        problem,
    })?;
    let mut sources = vec![main];
    sources.extend(parsed.extra_sources);
    Ok(super::assemble(
        label,
        path,
        format,
        parsed.metadata,
        sources,
        parsed.entries,
    ))
}

/// Parse the bytes of one file of a known format (a shard of a set).
pub(crate) fn parse_as(
    format: FileFormat,
    bytes: &[u8],
    dir: Option<&Path>,
) -> Result<Parsed, String> {
    parse(format, bytes, &Ctx { dir })
}

/// Open what `path` names: a model file, a safetensors index, a model folder, or one file of a
/// split GGUF (which opens the whole set).
pub(crate) fn open_path(path: &Path) -> Result<Model, ModelError> {
    use super::sharded;
    if path.is_dir() {
        return sharded::open_dir(path);
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".index.json") {
        return sharded::open_index(path);
    }
    if sharded::shard_numbers(name, "gguf").is_some() {
        return sharded::open_gguf_split(path);
    }
    let mut model = open_file(path)?;
    if model.format == FileFormat::Safetensors {
        model.whole_set = sharded::whole_set_of(path);
    }
    Ok(model)
}

/// Open one model file by content.
pub(crate) fn open_file(path: &Path) -> Result<Model, ModelError> {
    let label = path.display().to_string();
    let io = |source| ModelError::Io {
        file: label.clone(),
        source,
    };
    let main = Source::map(path).map_err(io)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let dir = path.parent();
    let mut model = finish(label.clone(), Some(path.to_owned()), main, ext, dir)?;
    model.files = vec![path.to_owned()];
    Ok(model)
}

/// Open a model held in memory (tests, fuzzing, drag-and-drop of bytes). `name` is used in
/// errors and its extension breaks format ties; ONNX external data is refused (no directory).
pub fn open_bytes(name: &str, bytes: Vec<u8>) -> Result<Model, ModelError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    finish(
        name.to_owned(),
        None,
        Source::Owned(Arc::from(bytes)),
        ext,
        None,
    )
}

/// Parse `bytes` as `format`, skipping content detection (one fuzz target per parser).
pub fn open_bytes_as(format: FileFormat, name: &str, bytes: Vec<u8>) -> Result<Model, ModelError> {
    let main = Source::Owned(Arc::from(bytes));
    let parsed =
        parse(format, main.bytes(), &Ctx { dir: None }).map_err(|problem| ModelError::Invalid {
            file: name.to_owned(),
            format,
            problem,
        })?;
    let mut sources = vec![main];
    sources.extend(parsed.extra_sources);
    Ok(super::assemble(
        name.to_owned(),
        None,
        format,
        parsed.metadata,
        sources,
        parsed.entries,
    ))
}

/// Open static bytes (the built-in model).
pub(crate) fn open_static(name: &str, bytes: &'static [u8]) -> Result<Model, ModelError> {
    finish(
        name.to_owned(),
        None,
        Source::Static(bytes),
        "safetensors",
        None,
    )
}
