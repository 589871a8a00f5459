//! A plain named tensor of `f32` values and its summary statistics.

/// A dense tensor in row-major order. Row = first axis (the output channel of a
/// `[out, in]` weight matrix), as in PyTorch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { name: name.into(), shape, data }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(rows, cols)` when viewed as a matrix: the first axis against all others.
    pub fn rows_cols(&self) -> (usize, usize) {
        match self.shape.first() {
            Some(&r) if r > 0 => (r, self.data.len() / r),
            _ => (1, self.data.len()),
        }
    }
}
