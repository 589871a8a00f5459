//! The data constructors the restricted unpickler may apply: the values it builds, the
//! allowlist of globals (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
//! `torch.*Storage`, …) and PyTorch's storage persistent ids. Anything else is refused by name.

use super::dtype::DType;

/// A rebuilt value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// A resolved allowed global (not yet applied).
    Global(Global),
    /// A storage reference from a persistent id.
    Storage(StorageRef),
    Tensor(TensorRef),
}

/// The allowed globals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Global {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    Parameter,
    StorageType(Option<DType>, &'static str),
    TorchSize,
    TorchDevice,
    CodecsEncode,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StorageRef {
    pub key: String,
    /// `None` for storage types bitlens does not decode (complex, quantized).
    pub dtype: Option<DType>,
    pub type_name: &'static str,
    pub numel: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TensorRef {
    pub storage: StorageRef,
    pub offset: u64,
    pub shape: Vec<u64>,
    pub strides: Vec<u64>,
}

pub(crate) fn resolve(module: &str, name: &str) -> Result<Global, String> {
    let storage = |d: Option<DType>, n: &'static str| Ok(Global::StorageType(d, n));
    match (module, name) {
        ("collections", "OrderedDict") => Ok(Global::OrderedDict),
        ("torch._utils", "_rebuild_tensor_v2") => Ok(Global::RebuildTensorV2),
        ("torch._utils", "_rebuild_tensor") => Ok(Global::RebuildTensor),
        ("torch._utils", "_rebuild_parameter") => Ok(Global::RebuildParameter),
        ("torch.nn.parameter", "Parameter") => Ok(Global::Parameter),
        ("torch", "Size") => Ok(Global::TorchSize),
        ("torch", "device") => Ok(Global::TorchDevice),
        ("_codecs", "encode") => Ok(Global::CodecsEncode),
        ("torch", "FloatStorage") => storage(Some(DType::F32), "FloatStorage"),
        ("torch", "HalfStorage") => storage(Some(DType::F16), "HalfStorage"),
        ("torch", "BFloat16Storage") => storage(Some(DType::BF16), "BFloat16Storage"),
        ("torch", "DoubleStorage") => storage(Some(DType::F64), "DoubleStorage"),
        ("torch", "LongStorage") => storage(Some(DType::I64), "LongStorage"),
        ("torch", "IntStorage") => storage(Some(DType::I32), "IntStorage"),
        ("torch", "ShortStorage") => storage(Some(DType::I16), "ShortStorage"),
        ("torch", "CharStorage") => storage(Some(DType::I8), "CharStorage"),
        ("torch", "ByteStorage") => storage(Some(DType::U8), "ByteStorage"),
        ("torch", "BoolStorage") => storage(Some(DType::Bool), "BoolStorage"),
        ("torch", "Float8_e4m3fnStorage") => storage(Some(DType::F8E4M3), "Float8_e4m3fnStorage"),
        ("torch", "Float8_e5m2Storage") => storage(Some(DType::F8E5M2), "Float8_e5m2Storage"),
        ("torch", "ComplexFloatStorage") => storage(None, "ComplexFloatStorage"),
        ("torch", "ComplexDoubleStorage") => storage(None, "ComplexDoubleStorage"),
        _ => Err(format!(
            "pickle refers to `{module}.{name}`, which is not an allowed data constructor; \
             bitlens never executes code from a file"
        )),
    }
}

/// Element size of a storage type in bytes (complex types included, for walking legacy files).
pub(crate) fn storage_elem_size(s: &StorageRef) -> usize {
    match (s.dtype, s.type_name) {
        (Some(d), _) => d.size_bytes(),
        (None, "ComplexDoubleStorage") => 16,
        _ => 8,
    }
}

fn int_of(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        other => Err(format!("expected an integer, found {}", kind(other))),
    }
}

fn u64_of(v: &Value) -> Result<u64, String> {
    u64::try_from(int_of(v)?).map_err(|_| "negative size, stride or offset".into())
}

fn ints(v: &Value) -> Result<Vec<u64>, String> {
    match v {
        Value::Tuple(xs) | Value::List(xs) => xs.iter().map(u64_of).collect(),
        other => Err(format!(
            "expected a tuple of integers, found {}",
            kind(other)
        )),
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::None => "None",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "str",
        Value::Bytes(_) => "bytes",
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Global(_) => "global",
        Value::Storage(_) => "storage",
        Value::Tensor(_) => "tensor",
    }
}

/// Apply an allowed global to its arguments (REDUCE / NEWOBJ).
pub(crate) fn apply(g: Global, args: Value) -> Result<Value, String> {
    let Value::Tuple(args) = args else {
        return Err("REDUCE arguments are not a tuple".into());
    };
    match g {
        Global::OrderedDict => Ok(Value::Dict(Vec::new())),
        Global::RebuildTensorV2 | Global::RebuildTensor => {
            if args.len() < 4 {
                return Err("_rebuild_tensor needs (storage, offset, size, stride)".into());
            }
            let Value::Storage(storage) = &args[0] else {
                return Err(format!("_rebuild_tensor's storage is a {}", kind(&args[0])));
            };
            let offset = u64_of(&args[1])?;
            let shape = ints(&args[2])?;
            let strides = ints(&args[3])?;
            if shape.len() != strides.len() {
                return Err("tensor size and stride differ in length".into());
            }
            Ok(Value::Tensor(TensorRef {
                storage: storage.clone(),
                offset,
                shape,
                strides,
            }))
        }
        Global::RebuildParameter | Global::Parameter => match args.into_iter().next() {
            Some(t @ Value::Tensor(_)) => Ok(t),
            _ => Err("Parameter without a tensor".into()),
        },
        Global::TorchSize => match args.into_iter().next() {
            Some(Value::Tuple(t)) => Ok(Value::Tuple(t)),
            _ => Ok(Value::Tuple(Vec::new())),
        },
        Global::TorchDevice => Ok(args.into_iter().next().unwrap_or(Value::None)),
        Global::CodecsEncode => match args.first() {
            // _codecs.encode(str, 'latin1'): the bytes of the latin-1 code points.
            Some(Value::Str(s)) => Ok(Value::Bytes(s.chars().map(|c| c as u32 as u8).collect())),
            _ => Err("_codecs.encode without a string".into()),
        },
        Global::StorageType(..) => Err("a storage type cannot be called".into()),
    }
}

/// PyTorch persistent id: `('storage', StorageType, key, location, numel)`.
pub(crate) fn persistent(pid: Value) -> Result<Value, String> {
    let Value::Tuple(t) = pid else {
        return Err("persistent id is not a tuple".into());
    };
    match t.as_slice() {
        [
            Value::Str(tag),
            Value::Global(Global::StorageType(dtype, type_name)),
            key,
            _location,
            numel,
            ..,
        ] if tag == "storage" => {
            let key = match key {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                other => return Err(format!("storage key is a {}", kind(other))),
            };
            if key.is_empty() || key.len() > 64 || key.contains(['/', '\\']) || key.contains("..") {
                return Err(format!("storage key `{key}` is not a plain name"));
            }
            Ok(Value::Storage(StorageRef {
                key,
                dtype: *dtype,
                type_name,
                numel: u64_of(numel)?,
            }))
        }
        _ => Err("persistent id is not a ('storage', type, key, location, numel) tuple".into()),
    }
}
