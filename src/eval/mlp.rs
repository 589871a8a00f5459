//! A dense ReLU classifier: `x → ReLU(W₁x + b₁) → … → W_L x + b_L` (logits), with weights in
//! PyTorch layout `[out, in]`. Built from any tensors whose layer shapes chain.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::EvalError;
use crate::tensor::Tensor;

/// One fully connected layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Name of the weight tensor (e.g. `fc1.weight`).
    pub weight_name: String,
    /// Name of the bias tensor, if the layer has one.
    pub bias_name: Option<String>,
    /// `[out, in]`.
    pub weight: Array2<f32>,
    /// `[out]` (zeros when the file has no bias).
    pub bias: Array1<f32>,
    /// The file stored the weight as `[in, out]` (NumPy/Keras `x @ W`), transposed on load.
    pub transposed: bool,
}

impl Dense {
    pub fn n_in(&self) -> usize {
        self.weight.ncols()
    }
    pub fn n_out(&self) -> usize {
        self.weight.nrows()
    }
}

/// A multi-layer perceptron with ReLU between layers and raw logits at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

/// Inputs/outputs of the bundled datasets that an MLP may match.
pub const DATASET_SHAPES: &[(usize, usize, &str)] = &[(784, 10, "mnist5k")];

impl Mlp {
    pub fn n_inputs(&self) -> usize {
        self.layers.first().map_or(0, Dense::n_in)
    }

    pub fn n_outputs(&self) -> usize {
        self.layers.last().map_or(0, Dense::n_out)
    }

    /// Build from tensors: every 2-D tensor is a layer weight; its bias is the 1-D tensor named
    /// like it with `weight` → `bias` (or, failing that, the next 1-D tensor of matching length).
    /// Layers are chained starting from the one whose input matches a bundled dataset; a weight
    /// stored `[in, out]` is transposed. The result must match a bundled dataset (784 → 10).
    /// The first check of [`Mlp::from_tensors`], on shapes alone (no values needed): every
    /// tensor is at most 2-D.
    pub fn check_dense<'a>(
        shapes: impl IntoIterator<Item = (&'a str, &'a [usize])>,
    ) -> Result<(), EvalError> {
        match shapes.into_iter().find(|(_, s)| s.len() > 2) {
            Some((name, shape)) => Err(EvalError::NotAnMlp(format!(
                "`{name}` has shape {shape:?}: only dense layers are supported"
            ))),
            None => Ok(()),
        }
    }

    pub fn from_tensors(tensors: &[Tensor]) -> Result<Mlp, EvalError> {
        let bad = |m: String| EvalError::NotAnMlp(m);
        Self::check_dense(tensors.iter().map(|t| (t.name.as_str(), &t.shape[..])))?;
        let weights: Vec<usize> = (0..tensors.len())
            .filter(|&i| tensors[i].shape.len() == 2)
            .collect();
        if weights.is_empty() {
            return Err(bad("no 2-D weight tensor".into()));
        }
        let mut used_bias = vec![false; tensors.len()];
        let mut remaining = weights.clone();
        let (dataset_in, dataset_out) = (DATASET_SHAPES[0].0, DATASET_SHAPES[0].1);
        let mut layers = Vec::new();
        let mut want_in = dataset_in;
        while !remaining.is_empty() {
            // Prefer [out, in] orientation, in listing order.
            let pick = remaining
                .iter()
                .position(|&i| tensors[i].shape[1] == want_in)
                .map(|p| (p, false))
                .or_else(|| {
                    remaining
                        .iter()
                        .position(|&i| tensors[i].shape[0] == want_in)
                        .map(|p| (p, true))
                });
            let Some((p, transposed)) = pick else {
                let names: Vec<&str> = remaining
                    .iter()
                    .map(|&i| tensors[i].name.as_str())
                    .collect();
                return Err(bad(format!(
                    "layer shapes do not chain: no weight takes {want_in} inputs (left: {})",
                    names.join(", ")
                )));
            };
            let wi = remaining.remove(p);
            let w = &tensors[wi];
            let (r, c) = (w.shape[0], w.shape[1]);
            let mut weight =
                Array2::from_shape_vec((r, c), w.data.clone()).map_err(|e| bad(e.to_string()))?;
            if transposed {
                weight = weight.t().to_owned();
            }
            let n_out = weight.nrows();
            let bias_idx = find_bias(tensors, wi, n_out, &used_bias);
            let (bias, bias_name) = match bias_idx {
                Some(bi) => {
                    used_bias[bi] = true;
                    (
                        Array1::from(tensors[bi].data.clone()),
                        Some(tensors[bi].name.clone()),
                    )
                }
                None => (Array1::zeros(n_out), None),
            };
            layers.push(Dense {
                weight_name: w.name.clone(),
                bias_name,
                weight,
                bias,
                transposed,
            });
            want_in = n_out;
        }
        let mlp = Mlp { layers };
        if mlp.n_inputs() != dataset_in || mlp.n_outputs() != dataset_out {
            return Err(EvalError::NoMatchingDataset {
                inputs: mlp.n_inputs(),
                outputs: mlp.n_outputs(),
            });
        }
        Ok(mlp)
    }

    /// The weights as tensors in PyTorch layout (`<w>` `[out, in]`, `<b>` `[out]`), with the
    /// names they were loaded under (`fc{k}.weight` / `fc{k}.bias` for a fresh model).
    pub fn to_tensors(&self) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (k, l) in self.layers.iter().enumerate() {
            let w: Vec<f32> = l.weight.iter().copied().collect();
            out.push(Tensor::new(
                l.weight_name.clone(),
                vec![l.n_out(), l.n_in()],
                w,
            ));
            let bias_name = l
                .bias_name
                .clone()
                .unwrap_or_else(|| format!("fc{}.bias", k + 1));
            out.push(Tensor::new(bias_name, vec![l.n_out()], l.bias.to_vec()));
        }
        out
    }

    /// Replace weights/biases by name (a compressed copy of some tensors); other layers keep
    /// theirs. Shapes must match (`[out, in]`, or the file's `[in, out]` for transposed layers).
    pub fn with_tensors(&self, replacements: &[Tensor]) -> Result<Mlp, EvalError> {
        let mut mlp = self.clone();
        for t in replacements {
            let mut hit = false;
            for l in &mut mlp.layers {
                if t.name == l.weight_name {
                    let (r, c) = if l.transposed {
                        (l.n_in(), l.n_out())
                    } else {
                        (l.n_out(), l.n_in())
                    };
                    if t.data.len() != r * c {
                        return Err(EvalError::NotAnMlp(format!(
                            "`{}` has {} values, {r}×{c} expected",
                            t.name,
                            t.data.len()
                        )));
                    }
                    let w = Array2::from_shape_vec((r, c), t.data.clone())
                        .map_err(|e| EvalError::NotAnMlp(e.to_string()))?;
                    l.weight = if l.transposed { w.t().to_owned() } else { w };
                    hit = true;
                } else if Some(&t.name) == l.bias_name.as_ref() {
                    if t.data.len() != l.n_out() {
                        return Err(EvalError::NotAnMlp(format!(
                            "`{}` has {} values, {} expected",
                            t.name,
                            t.data.len(),
                            l.n_out()
                        )));
                    }
                    l.bias = Array1::from(t.data.clone());
                    hit = true;
                }
            }
            if !hit {
                return Err(EvalError::NotAnMlp(format!(
                    "`{}` is not a tensor of this MLP",
                    t.name
                )));
            }
        }
        Ok(mlp)
    }

    /// Logits for a batch `x` (`n × inputs`). `act` sees each layer's input (layer index, values)
    /// before the matmul and may modify it in place (activation quantization).
    pub fn forward_with(
        &self,
        x: ArrayView2<'_, f32>,
        act: &dyn Fn(usize, &mut [f32]),
    ) -> Array2<f32> {
        let mut h = x.to_owned();
        for (k, l) in self.layers.iter().enumerate() {
            if let Some(s) = h.as_slice_mut() {
                act(k, s);
            }
            let mut z = h.dot(&l.weight.t());
            z += &l.bias.view().insert_axis(Axis(0));
            if k + 1 < self.layers.len() {
                z.mapv_inplace(|v| v.max(0.0));
            }
            h = z;
        }
        h
    }

    /// Logits for a batch (no activation hook).
    pub fn forward(&self, x: ArrayView2<'_, f32>) -> Array2<f32> {
        self.forward_with(x, &|_, _| {})
    }
}

fn find_bias(tensors: &[Tensor], wi: usize, n_out: usize, used: &[bool]) -> Option<usize> {
    let w = &tensors[wi].name;
    let ok = |i: usize| !used[i] && tensors[i].shape.len() == 1 && tensors[i].shape[0] == n_out;
    let by_name = [
        w.replace("weight", "bias"),
        w.replace('W', "b"),
        w.replace('w', "b"),
        w.replace("kernel", "bias"),
    ];
    for cand in by_name.iter().filter(|c| *c != w) {
        if let Some(i) = (0..tensors.len()).find(|&i| ok(i) && &tensors[i].name == cand) {
            return Some(i);
        }
    }
    (wi + 1..tensors.len())
        .take_while(|&i| tensors[i].shape.len() == 1)
        .find(|&i| ok(i))
}
