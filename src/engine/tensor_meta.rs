//! What the compression jobs know of each tensor without its values: name, shape, stored
//! type and size, and whether sweeps compress it ([`WeightUse`]).

use crate::model::TensorInfo;
use crate::tensor::Tensor;

/// One tensor the compression jobs see: what the file says, not its values.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorMeta {
    pub name: String,
    pub shape: Vec<usize>,
    /// Elements.
    pub len: usize,
    /// The stored element type as the file names it (`BF16`, `F32`, `Q4_K`, …).
    pub dtype: String,
    /// Bytes the tensor takes in the file (its stored precision, not f32).
    pub stored_bytes: u64,
    /// Whether sweeps compress it: the default rule, or what the model's runner says.
    pub role: WeightUse,
}

/// Which tensors a sweep compresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightUse {
    /// Float tensors of ≥ 2 dimensions (1-D ones with `include_1d`).
    #[default]
    Default,
    /// A weight of a Conv/MatMul/Gemm/recurrent op (the runner says so), per channel on `out_axis`.
    Weight { out_axis: usize },
    /// Not a weight of such an op (LayerNorm parameters reshaped to 2-D, shape constants):
    /// kept unless `include_1d` asks for 1-D tensors or an override names it.
    Other,
}

impl TensorMeta {
    pub(super) fn of_info(t: &TensorInfo) -> Self {
        Self {
            name: t.name.clone(),
            shape: t.shape.clone(),
            len: t.n_params as usize,
            dtype: t.dtype.clone(),
            stored_bytes: t.size_bytes,
            role: WeightUse::Default,
        }
    }

    pub(super) fn of_tensor(t: &Tensor) -> Self {
        Self {
            name: t.name.clone(),
            shape: t.shape.clone(),
            len: t.data.len(),
            dtype: "F32".into(),
            stored_bytes: 4 * t.data.len() as u64,
            role: WeightUse::Default,
        }
    }
}
