//! ONNX: every initializer and every `Constant` node's tensor, in the main graph and in all
//! subgraphs (`If`/`Loop`/`Scan` attributes), with raw or typed data, and external data files
//! beside the model. Read with the schema-less reader in [`super::protobuf`] using the field
//! numbers of onnx.proto:
//!
//! - ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7
//! - GraphProto: node 1, name 2, initializer 5, sparse_initializer 15
//! - NodeProto: output 2, name 3, op_type 4, attribute 5
//! - AttributeProto: name 1, t 5, g 6, tensors 10, graphs 11
//! - TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8,
//!   raw_data 9, double_data 10, uint64_data 11, external_data 13, data_location 14

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::TensorInfo;
use super::dtype::{DType, decode_contiguous};
use super::protobuf::{Field, fields, push_fixed, push_varints, string};
use super::source::{
    Ctx, MAX_TENSORS, Parsed, Payload, RawLoc, Source, numel, raw_info, unsupported_info,
};

const MAX_GRAPH_DEPTH: usize = 16;

/// onnx.proto `TensorProto.DataType` → element type; `Err(name)` for types not decoded.
fn onnx_dtype(t: u64) -> Result<DType, &'static str> {
    Ok(match t {
        1 => DType::F32,
        2 => DType::U8,
        3 => DType::I8,
        4 => DType::U16,
        5 => DType::I16,
        6 => DType::I32,
        7 => DType::I64,
        9 => DType::Bool,
        10 => DType::F16,
        11 => DType::F64,
        12 => DType::U32,
        13 => DType::U64,
        16 => DType::BF16,
        17 => DType::F8E4M3,
        18 => DType::F8E4M3Fnuz,
        19 => DType::F8E5M2,
        20 => DType::F8E5M2Fnuz,
        8 => return Err("STRING"),
        14 => return Err("COMPLEX64"),
        15 => return Err("COMPLEX128"),
        21 => return Err("UINT4"),
        22 => return Err("INT4"),
        23 => return Err("FLOAT4E2M1"),
        24 => return Err("FLOAT8E8M0"),
        25 => return Err("UINT2"),
        26 => return Err("INT2"),
        _ => return Err("UNDEFINED"),
    })
}

fn onnx_dtype_name(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "FLOAT",
        DType::U8 => "UINT8",
        DType::I8 => "INT8",
        DType::U16 => "UINT16",
        DType::I16 => "INT16",
        DType::I32 => "INT32",
        DType::I64 => "INT64",
        DType::Bool => "BOOL",
        DType::F16 => "FLOAT16",
        DType::F64 => "DOUBLE",
        DType::U32 => "UINT32",
        DType::U64 => "UINT64",
        DType::BF16 => "BFLOAT16",
        DType::F8E4M3 => "FLOAT8E4M3FN",
        DType::F8E4M3Fnuz => "FLOAT8E4M3FNUZ",
        DType::F8E5M2 => "FLOAT8E5M2",
        DType::F8E5M2Fnuz => "FLOAT8E5M2FNUZ",
    }
}

/// ONNX dims (int64) as a shape; a negative or oversized dimension is an error naming `name`.
fn shape_of(name: &str, dims: &[u64]) -> Result<Vec<usize>, String> {
    dims.iter()
        .map(|&d| {
            if (d as i64) < 0 {
                None
            } else {
                usize::try_from(d).ok()
            }
        })
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| format!("tensor `{name}`: negative or huge dimension in {dims:?}"))
}

struct Walker<'c> {
    dir: Option<&'c Path>,
    externals: Vec<(PathBuf, Source)>,
    out: Parsed,
    unnamed: usize,
}

#[derive(Default)]
struct RawTensor<'a> {
    dims: Vec<u64>,
    data_type: u64,
    name: String,
    raw: Option<Field<'a>>,
    floats: Vec<u64>,
    int32s: Vec<u64>,
    int64s: Vec<u64>,
    doubles: Vec<u64>,
    uint64s: Vec<u64>,
    external: Vec<(String, String)>,
    location: u64,
}

fn read_tensor(b: &[u8], base: usize) -> Result<RawTensor<'_>, String> {
    let mut t = RawTensor::default();
    for f in fields(b, base) {
        let f = f?;
        match f.tag {
            1 => push_varints(&f, &mut t.dims)?,
            2 => t.data_type = f.num,
            4 => push_fixed(&f, 4, &mut t.floats)?,
            5 => push_varints(&f, &mut t.int32s)?,
            7 => push_varints(&f, &mut t.int64s)?,
            8 => t.name = string(&f)?,
            9 => t.raw = Some(f),
            10 => push_fixed(&f, 8, &mut t.doubles)?,
            11 => push_varints(&f, &mut t.uint64s)?,
            13 => {
                let (mut k, mut v) = (String::new(), String::new());
                for e in fields(f.bytes, f.offset) {
                    let e = e?;
                    match e.tag {
                        1 => k = string(&e)?,
                        2 => v = string(&e)?,
                        _ => {}
                    }
                }
                t.external.push((k, v));
            }
            14 => t.location = f.num,
            _ => {}
        }
    }
    Ok(t)
}

/// Decode typed-field values to f32.
fn typed_values(t: &RawTensor<'_>, dtype: DType) -> Vec<f32> {
    let bits16 = |v: &u64, d: DType| decode_contiguous(d, false, &(*v as u16).to_le_bytes())[0];
    match dtype {
        DType::F32 => t.floats.iter().map(|&v| f32::from_bits(v as u32)).collect(),
        DType::F64 => t
            .doubles
            .iter()
            .map(|&v| f64::from_bits(v) as f32)
            .collect(),
        DType::F16 | DType::BF16 => t.int32s.iter().map(|v| bits16(v, dtype)).collect(),
        DType::F8E4M3 | DType::F8E4M3Fnuz | DType::F8E5M2 | DType::F8E5M2Fnuz => t
            .int32s
            .iter()
            .map(|&v| decode_contiguous(dtype, false, &[v as u8])[0])
            .collect(),
        DType::I32 | DType::I16 | DType::I8 => {
            t.int32s.iter().map(|&v| v as i64 as i32 as f32).collect()
        }
        DType::U16 | DType::U8 | DType::Bool => t.int32s.iter().map(|&v| v as u32 as f32).collect(),
        DType::I64 => t.int64s.iter().map(|&v| v as i64 as f32).collect(),
        DType::U32 | DType::U64 => t.uint64s.iter().map(|&v| v as f32).collect(),
    }
}

/// A relative path without `..`, root or prefix components.
fn safe_relative(location: &str) -> Result<PathBuf, String> {
    let p = Path::new(location);
    if location.is_empty()
        || !p
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "external data location `{location}` must be a plain path inside the model's directory"
        ));
    }
    Ok(p.to_owned())
}

impl Walker<'_> {
    fn push(&mut self, entry: (TensorInfo, Payload)) -> Result<(), String> {
        if self.out.entries.len() >= MAX_TENSORS {
            return Err(format!("more than {MAX_TENSORS} tensors"));
        }
        self.out.entries.push(entry);
        Ok(())
    }

    fn external_source(&mut self, location: &str) -> Result<(usize, usize), String> {
        let rel = safe_relative(location)?;
        let dir = self.dir.ok_or_else(|| {
            format!(
                "external data `{location}` needs the model's directory (open the file from disk)"
            )
        })?;
        let path = dir.join(rel);
        if let Some(i) = self.externals.iter().position(|(p, _)| *p == path) {
            return Ok((i + 1, self.externals[i].1.bytes().len()));
        }
        let src =
            Source::map(&path).map_err(|e| format!("external data `{}`: {e}", path.display()))?;
        let len = src.bytes().len();
        self.externals.push((path, src));
        Ok((self.externals.len(), len))
    }

    fn tensor(&mut self, b: &[u8], base: usize, fallback_name: Option<&str>) -> Result<(), String> {
        let t = read_tensor(b, base)?;
        let name = self.tensor_name(&t, fallback_name);
        let shape = shape_of(&name, &t.dims)?;
        let n = numel(&shape).map_err(|e| format!("tensor `{name}`: {e}"))?;
        let dtype = match onnx_dtype(t.data_type) {
            Ok(d) => d,
            Err(type_name) => {
                let size = t.raw.map_or(0, |r| r.bytes.len() as u64);
                return self.push(unsupported_info(
                    name,
                    shape,
                    type_name.to_owned(),
                    size,
                    format!("ONNX type {type_name} is not decoded by bitlens"),
                ));
            }
        };
        let want = n
            .checked_mul(dtype.size_bytes())
            .ok_or_else(|| format!("tensor `{name}`: size overflows"))?;
        let mut info = raw_info(name.clone(), shape, dtype, want as u64);
        info.dtype = onnx_dtype_name(dtype).to_owned();
        if t.location == 1 || !t.external.is_empty() {
            let loc = self.external_loc(&t, &info, dtype, want)?;
            return self.push((info, Payload::Raw(loc)));
        }
        if let Some(raw) = t.raw {
            if raw.bytes.len() != want {
                return Err(format!(
                    "tensor `{name}`: raw_data has {} bytes, {want} expected",
                    raw.bytes.len()
                ));
            }
            return self.push((
                info,
                Payload::Raw(RawLoc::contiguous(0, raw.offset, want, dtype)),
            ));
        }
        let values = typed_values(&t, dtype);
        if values.len() != n {
            return Err(format!(
                "tensor `{name}`: {} typed values for {n} elements",
                values.len()
            ));
        }
        self.push((info, Payload::Values(Arc::from(values))))
    }

    /// The tensor's own name, else the name it is known by (a Constant node's output), else
    /// `unnamed#k`.
    fn tensor_name(&mut self, t: &RawTensor<'_>, fallback_name: Option<&str>) -> String {
        if !t.name.is_empty() {
            t.name.clone()
        } else if let Some(n) = fallback_name.filter(|n| !n.is_empty()) {
            n.to_owned()
        } else {
            self.unnamed += 1;
            format!("unnamed#{}", self.unnamed)
        }
    }

    /// Where an external-data tensor (`info`, `want` bytes of `dtype`) lies: its file beside the
    /// model, offset and length checked against that file.
    fn external_loc(
        &mut self,
        t: &RawTensor<'_>,
        info: &TensorInfo,
        dtype: DType,
        want: usize,
    ) -> Result<RawLoc, String> {
        let name = &info.name;
        let get = |k: &str| {
            t.external
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let location = get("location")
            .ok_or_else(|| format!("tensor `{name}`: external data without a location"))?;
        let (src, file_len) = self
            .external_source(location)
            .map_err(|e| format!("tensor `{name}`: {e}"))?;
        let num = |k: &str| -> Result<Option<usize>, String> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("tensor `{name}`: bad external {k} `{v}`"))
                })
                .transpose()
        };
        let offset = num("offset")?.unwrap_or(0);
        let length = num("length")?.unwrap_or(file_len.saturating_sub(offset));
        if length != want {
            return Err(format!(
                "tensor `{name}`: external length {length} but {want} bytes expected"
            ));
        }
        let loc = RawLoc::contiguous(src, offset, length, dtype);
        loc.validate(&info.shape, file_len)
            .map_err(|e| format!("tensor `{name}` in `{location}`: {e}"))?;
        Ok(loc)
    }

    fn node(&mut self, b: &[u8], base: usize, depth: usize) -> Result<(), String> {
        let (mut op, mut outputs, mut attrs) = (String::new(), Vec::new(), Vec::new());
        for f in fields(b, base) {
            let f = f?;
            match f.tag {
                2 => outputs.push(string(&f)?),
                4 => op = string(&f)?,
                5 => attrs.push(f),
                _ => {}
            }
        }
        for a in attrs {
            let mut attr_name = String::new();
            let (mut tensors, mut graphs) = (Vec::new(), Vec::new());
            for f in fields(a.bytes, a.offset) {
                let f = f?;
                match f.tag {
                    1 => attr_name = string(&f)?,
                    5 | 10 => tensors.push(f),
                    6 | 11 => graphs.push(f),
                    _ => {}
                }
            }
            if op == "Constant" && attr_name == "value" {
                for t in tensors {
                    self.tensor(t.bytes, t.offset, outputs.first().map(String::as_str))?;
                }
            }
            for g in graphs {
                self.graph(g.bytes, g.offset, depth + 1)?;
            }
        }
        Ok(())
    }

    fn graph(&mut self, b: &[u8], base: usize, depth: usize) -> Result<(), String> {
        if depth > MAX_GRAPH_DEPTH {
            return Err("subgraphs nested too deeply".into());
        }
        for f in fields(b, base) {
            let f = f?;
            match (f.tag, f.wire) {
                (1, 2) => self.node(f.bytes, f.offset, depth)?,
                (5, 2) => self.tensor(f.bytes, f.offset, None)?,
                (15, 2) => {
                    // SparseTensorProto: values 1 (TensorProto), dims 3. Listed, not decoded.
                    let mut name = String::new();
                    let mut dims = Vec::new();
                    for g in fields(f.bytes, f.offset) {
                        let g = g?;
                        match g.tag {
                            1 => name = read_tensor(g.bytes, g.offset)?.name,
                            3 => push_varints(&g, &mut dims)?,
                            _ => {}
                        }
                    }
                    let shape = dims
                        .iter()
                        .map(|&d| usize::try_from(d).unwrap_or(0))
                        .collect();
                    self.push(unsupported_info(
                        name,
                        shape,
                        "SPARSE".into(),
                        f.bytes.len() as u64,
                        "sparse initializers are listed, not decoded".into(),
                    ))?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

pub(crate) fn parse(b: &[u8], ctx: &Ctx<'_>) -> Result<Parsed, String> {
    let mut w = Walker {
        dir: ctx.dir,
        externals: Vec::new(),
        out: Parsed::default(),
        unnamed: 0,
    };
    let mut graph = None;
    for f in fields(b, 0) {
        let f = f.map_err(|e| format!("not a valid ONNX protobuf: {e}"))?;
        match (f.tag, f.wire) {
            (1, 0) => w
                .out
                .metadata
                .push(("ir_version".into(), f.num.to_string())),
            (2, 2) => w.out.metadata.push(("producer_name".into(), string(&f)?)),
            (3, 2) => w
                .out
                .metadata
                .push(("producer_version".into(), string(&f)?)),
            (7, 2) => graph = Some(f),
            _ => {}
        }
    }
    let g = graph.ok_or("no graph (field 7): not an ONNX model")?;
    w.graph(g.bytes, g.offset, 0)?;
    let mut parsed = w.out;
    parsed.extra_sources = w.externals.into_iter().map(|(_, s)| s).collect();
    Ok(parsed)
}
