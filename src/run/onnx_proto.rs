//! The ONNX graph's protobuf: its declared inputs, which tensors are weights (by consuming op,
//! with their output-channel axis), and writing compressed values into a copy.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb::{GraphProto, TensorProto, tensor_shape_proto::dimension, type_proto};

use super::WeightRole;
use crate::tensor::Tensor as Values;

pub(super) struct GraphInput {
    pub name: String,
    pub elem_type: i32,
    /// `None` for a symbolic dimension.
    pub dims: Vec<Option<usize>>,
}

/// Graph inputs that are not initializers, with their declared types.
pub(super) fn graph_inputs(g: &GraphProto) -> Vec<GraphInput> {
    let init: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    g.input
        .iter()
        .filter(|i| !init.contains(i.name.as_str()))
        .map(|i| {
            let (elem_type, dims) = match i.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(type_proto::Value::TensorType(t)) => (
                    t.elem_type,
                    t.shape
                        .as_ref()
                        .map(|s| {
                            s.dim
                                .iter()
                                .map(|d| match d.value {
                                    Some(dimension::Value::DimValue(v)) if v > 0 => {
                                        Some(v as usize)
                                    }
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => (1, Vec::new()),
            };
            GraphInput {
                name: i.name.clone(),
                elem_type,
                dims,
            }
        })
        .collect()
}

/// Float weights of Conv/ConvTranspose/MatMul/Gemm/LSTM/GRU/RNN, each with its output-channel
/// axis (MatMul B is `[in, out]`; Gemm follows `transB`; recurrent weights are `[dirs, gates·H, in]`).
pub(super) fn weight_roles(g: &GraphProto) -> Vec<WeightRole> {
    let mut ranks = HashMap::new();
    constants(g, &mut ranks);
    let mut roles = HashMap::new();
    consumers(g, &ranks, &mut roles);
    let mut out: Vec<WeightRole> = roles
        .into_iter()
        .map(|(name, out_axis)| WeightRole { name, out_axis })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Float constants (initializers, `Constant` outputs) of `g` and its subgraphs → rank.
fn constants(g: &GraphProto, ranks: &mut HashMap<String, usize>) {
    let float = |t: &TensorProto| matches!(t.data_type, 1 | 10 | 11 | 16);
    for t in g.initializer.iter().filter(|t| float(t)) {
        ranks.insert(t.name.clone(), t.dims.len());
    }
    for n in &g.node {
        for a in &n.attribute {
            if n.op_type == "Constant"
                && a.name == "value"
                && let Some(t) = a.t.as_ref().filter(|t| float(t))
            {
                let name = if t.name.is_empty() {
                    n.output.first().cloned().unwrap_or_default()
                } else {
                    t.name.clone()
                };
                ranks.insert(name, t.dims.len());
            }
            for sub in a.g.iter().chain(&a.graphs) {
                constants(sub, ranks);
            }
        }
    }
}

/// Marks an axis counted from the end in [`consumers`]' slot table.
const FROM_END: usize = 1 << 16;

fn consumers(g: &GraphProto, ranks: &HashMap<String, usize>, roles: &mut HashMap<String, usize>) {
    for n in &g.node {
        let int_attr = |name: &str| {
            n.attribute
                .iter()
                .find(|a| a.name == name)
                .map_or(0, |a| a.i)
        };
        // (input slot, output axis); `FROM_END + k`: the k-th axis from the end.
        let slots: Vec<(usize, usize)> = match n.op_type.as_str() {
            "Conv" => vec![(1, 0)],
            "ConvTranspose" => vec![(1, 1)],
            "MatMul" => vec![(1, FROM_END + 1), (0, FROM_END + 2)],
            "Gemm" => vec![
                (1, usize::from(int_attr("transB") == 0)),
                (0, usize::from(int_attr("transA") != 0)),
            ],
            "LSTM" | "GRU" | "RNN" => vec![(1, 1), (2, 1)],
            _ => vec![],
        };
        for (slot, axis) in slots {
            if let Some(name) = n.input.get(slot)
                && let Some(&rank) = ranks.get(name)
                && rank >= 2
            {
                let axis = axis
                    .checked_sub(FROM_END)
                    .map_or(axis, |k| rank - k.min(rank));
                roles.entry(name.clone()).or_insert(axis);
            }
        }
        for a in &n.attribute {
            for sub in a.g.iter().chain(&a.graphs) {
                consumers(sub, ranks, roles);
            }
        }
    }
}

/// Write `replaced` values into the float tensors of `g` (and its subgraphs) they name.
pub(super) fn patch_graph(
    g: &mut GraphProto,
    map: &HashMap<&str, &Values>,
) -> Result<usize, String> {
    let mut n = 0;
    for t in &mut g.initializer {
        if let Some(v) = map.get(t.name.as_str()) {
            patch_tensor(t, v)?;
            n += 1;
        }
    }
    for node in &mut g.node {
        let fallback = node.output.first().cloned().unwrap_or_default();
        let constant = node.op_type == "Constant";
        for a in &mut node.attribute {
            if constant
                && a.name == "value"
                && let Some(t) = a.t.as_mut()
            {
                let name = if t.name.is_empty() {
                    fallback.as_str()
                } else {
                    t.name.as_str()
                };
                if let Some(v) = map.get(name) {
                    patch_tensor(t, v)?;
                    n += 1;
                }
            }
            if let Some(sub) = a.g.as_mut() {
                n += patch_graph(sub, map)?;
            }
            for sub in &mut a.graphs {
                n += patch_graph(sub, map)?;
            }
        }
    }
    Ok(n)
}

/// Replace one tensor's data, keeping its element type (values rounded to it).
fn patch_tensor(t: &mut TensorProto, v: &Values) -> Result<(), String> {
    let n: i64 = t.dims.iter().product();
    if usize::try_from(n).ok() != Some(v.data.len()) {
        return Err(format!(
            "{}: {} values for a tensor of {n}",
            v.name,
            v.data.len()
        ));
    }
    t.raw_data = match t.data_type {
        1 => v.data.iter().flat_map(|x| x.to_le_bytes()).collect(),
        10 => v
            .data
            .iter()
            .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
            .collect(),
        16 => v
            .data
            .iter()
            .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
            .collect(),
        11 => v
            .data
            .iter()
            .flat_map(|&x| f64::from(x).to_le_bytes())
            .collect(),
        d => return Err(format!("{}: ONNX element type {d} is not a float", v.name)),
    };
    t.float_data.clear();
    t.double_data.clear();
    t.int32_data.clear();
    t.external_data.clear();
    t.data_location = None;
    Ok(())
}
