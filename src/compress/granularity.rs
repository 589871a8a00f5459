//! Scale groups (per tensor / per channel / per group) and the parallel driver that computes one
//! parameter set per group and runs a fused quantize + error-accumulate kernel over its elements.
//!
//! Two layouts cover every granularity:
//! - **contiguous**: rows of `row_len` elements split into groups of `group` (the last one of a row
//!   may be shorter). Per tensor = one row, one group; per channel on axis 0 = rows of `cols`;
//!   per group = groups along the contiguous input axis.
//! - **strided**: per channel on an inner axis `k` of `[outer, mid = dims[k], inner]`; channel of
//!   element `i` = `(i / inner) % mid`.
//!
//! With many small groups the driver fuses range-finding and quantization per row so each row is
//! read from memory once (it is still in cache for the second sweep).

use rayon::prelude::*;

use super::metrics::ErrorSums;
use super::scheme::{Granularity, SchemeError};

/// The group structure of one tensor under one granularity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupMap {
    Contiguous {
        row_len: usize,
        group: usize,
        rows: usize,
    },
    Strided {
        outer: usize,
        mid: usize,
        inner: usize,
    },
}

impl GroupMap {
    /// Build the map for `shape` (row-major) and a granularity.
    pub fn new(shape: &[usize], n: usize, g: Granularity) -> Result<Self, SchemeError> {
        let n1 = n.max(1);
        Ok(match g {
            Granularity::Tensor => Self::Contiguous {
                row_len: n1,
                group: n1,
                rows: usize::from(n > 0),
            },
            Granularity::Channel { axis } => {
                if shape.is_empty() {
                    return Ok(Self::Contiguous {
                        row_len: n1,
                        group: n1,
                        rows: usize::from(n > 0),
                    });
                }
                if axis >= shape.len() {
                    return Err(SchemeError::Invalid(format!(
                        "channel axis {axis} out of range for a {}-D tensor",
                        shape.len()
                    )));
                }
                let outer: usize = shape[..axis].iter().product();
                let mid = shape[axis];
                let inner: usize = shape[axis + 1..].iter().product();
                if outer == 1 {
                    let rl = inner.max(1);
                    Self::Contiguous {
                        row_len: rl,
                        group: rl,
                        rows: mid,
                    }
                } else {
                    Self::Strided { outer, mid, inner }
                }
            }
            Granularity::Group { size } => {
                let row_len = shape.last().copied().unwrap_or(n1).max(1);
                Self::Contiguous {
                    row_len,
                    group: size.max(1),
                    rows: n / row_len,
                }
            }
        })
    }

    /// Number of scale groups.
    pub fn n_groups(&self) -> usize {
        match *self {
            Self::Contiguous {
                row_len,
                group,
                rows,
            } => rows * row_len.div_ceil(group),
            Self::Strided { mid, .. } => mid,
        }
    }

    /// Group index of element `i`.
    pub fn group_of(&self, i: usize) -> usize {
        match *self {
            Self::Contiguous { row_len, group, .. } => {
                (i / row_len) * row_len.div_ceil(group) + (i % row_len) / group
            }
            Self::Strided { mid, inner, .. } => (i / inner) % mid,
        }
    }

    /// Elements per group (the largest group).
    pub fn group_len(&self) -> usize {
        match *self {
            Self::Contiguous { row_len, group, .. } => group.min(row_len),
            Self::Strided { outer, inner, .. } => outer * inner,
        }
    }

    /// Copy of the elements of group `g` (in index order).
    pub fn gather(&self, x: &[f32], g: usize) -> Vec<f32> {
        match *self {
            Self::Contiguous { row_len, group, .. } => {
                let gpr = row_len.div_ceil(group);
                let (r, k) = (g / gpr, g % gpr);
                let s = r * row_len + k * group;
                let e = (s + group).min((r + 1) * row_len);
                x[s..e].to_vec()
            }
            Self::Strided { outer, mid, inner } => {
                let mut v = Vec::with_capacity(outer * inner);
                for o in 0..outer {
                    let s = (o * mid + g) * inner;
                    v.extend_from_slice(&x[s..s + inner]);
                }
                v
            }
        }
    }
}

/// A per-group quantizer: parameters from a group's values, then a fused kernel.
pub trait GroupKernel: Sync {
    type Params: Copy + Send + Sync + Default;
    /// Parameters of one group from its values.
    fn params(&self, group: &[f32]) -> Self::Params;
    /// Same for one large group (a whole tensor); kernels may parallelise it.
    fn params_large(&self, group: &[f32]) -> Self::Params {
        self.params(group)
    }
    /// Parameters that do not depend on the values (an unscaled cast), if any.
    fn fixed_params(&self) -> Option<Self::Params> {
        None
    }
    /// Parameters of a group from its exact range `(lo, hi)` alone, when the calibration needs
    /// nothing more (min-max); `None` otherwise.
    fn range_params(&self, _lo: f32, _hi: f32) -> Option<Self::Params> {
        None
    }
    /// Parameters (into `params`, one per group) and quantization of one row cut into groups of
    /// `group` values (the last may be shorter). Kernels may override it to amortise per-group
    /// work; the default calls [`GroupKernel::params`] and [`GroupKernel::run`] per group.
    #[allow(clippy::too_many_arguments, reason = "one row of the fused driver")]
    fn run_row(
        &self,
        x: &[f32],
        y: &mut [f32],
        group: usize,
        params: &mut [Self::Params],
        base: usize,
        codes: Option<&mut [i32]>,
        acc: &mut ErrorSums,
    ) where
        Self: Sized,
    {
        run_row_per_group(self, x, y, group, params, base, codes, acc);
    }
    /// Quantize `x` into `y` with `p`; `base` is the global index of `x[0]` (for seeded rounding);
    /// `codes` (same length as `x`) receives integer codes when the caller asked for them.
    fn run(
        &self,
        p: &Self::Params,
        x: &[f32],
        y: &mut [f32],
        base: usize,
        codes: Option<&mut [i32]>,
        acc: &mut ErrorSums,
    );
}

/// [`GroupKernel::run_row`]'s default: [`GroupKernel::params`] then [`GroupKernel::run`] for each
/// group of the row.
#[allow(clippy::too_many_arguments, reason = "one row of the fused driver")]
pub fn run_row_per_group<K: GroupKernel>(
    k: &K,
    x: &[f32],
    y: &mut [f32],
    group: usize,
    params: &mut [K::Params],
    base: usize,
    mut codes: Option<&mut [i32]>,
    acc: &mut ErrorSums,
) {
    let groups = x.chunks(group).zip(y.chunks_mut(group));
    for (j, ((xg, yg), slot)) in groups.zip(params.iter_mut()).enumerate() {
        let p = k.params(xg);
        *slot = p;
        let off = j * group;
        let c = codes.as_deref_mut().map(|c| &mut c[off..off + xg.len()]);
        k.run(&p, xg, yg, base + off, c, acc);
    }
}

/// Values per measurement unit (about this many; whole rows where rows exist).
pub const UNIT: usize = 16384;

/// The measurement unit of a tensor: whole rows of its last axis, about [`UNIT`] values (1-D
/// tensors and scalars: chunks of [`UNIT`]). Error sums are accumulated unit by unit and the
/// units folded in order, so every path that measures the same units gets the same bits.
pub fn natural_unit(shape: &[usize], n: usize) -> usize {
    let row = match shape {
        [.., _, last] => (*last).max(1),
        _ => n.clamp(1, UNIT),
    };
    (UNIT / row).max(1) * row
}

impl GroupMap {
    /// Whether parameters are found unit by unit (groups never leave a row, rows are whole).
    pub fn fused(&self, n: usize) -> bool {
        matches!(*self, Self::Contiguous { row_len, group, rows }
            if rows * row_len == n
                && (rows >= 16 || row_len <= 1 << 16)
                && (rows >= 2 || group < row_len))
    }

    /// Elements per measurement unit of a tensor of `shape` (`n` values) under this map: whole
    /// rows for fused maps, else the tensor's [`natural_unit`].
    pub fn unit(&self, shape: &[usize], n: usize) -> usize {
        match *self {
            Self::Contiguous { row_len, .. } if self.fused(n) => (UNIT / row_len).max(1) * row_len,
            _ => natural_unit(shape, n),
        }
    }

    /// Length of the run of elements from `i` that stays in one group and one row.
    fn run_from(&self, i: usize) -> usize {
        match *self {
            Self::Contiguous { row_len, group, .. } => {
                let col = i % row_len;
                (group - col % group).min(row_len - col)
            }
            Self::Strided { inner, .. } => inner - i % inner,
        }
    }
}

/// One unit of a fused map: parameters of each group of each row (into `params`), then the
/// kernel while the row is in cache. `start` is the global index of `x[0]`.
#[allow(clippy::too_many_arguments, reason = "one unit of the fused driver")]
pub fn run_unit_fused<K: GroupKernel>(
    k: &K,
    row_len: usize,
    group: usize,
    x: &[f32],
    y: &mut [f32],
    params: &mut [K::Params],
    start: usize,
    mut codes: Option<&mut [i32]>,
) -> ErrorSums {
    let gpr = row_len.div_ceil(group);
    let mut acc = ErrorSums::default();
    let rows = x.chunks(row_len).zip(y.chunks_mut(row_len));
    for (r, ((xr, yr), pr)) in rows.zip(params.chunks_mut(gpr)).enumerate() {
        let off = r * row_len;
        let c = codes.as_deref_mut().map(|c| &mut c[off..off + xr.len()]);
        k.run_row(xr, yr, group, pr, start + off, c, &mut acc);
    }
    acc
}

/// One unit with parameters known beforehand (`params`: one per group, or one for all), run by
/// run of elements within one group and one row. `start` is the global index of `x[0]`.
pub fn run_unit_given<K: GroupKernel>(
    k: &K,
    map: GroupMap,
    params: &[K::Params],
    x: &[f32],
    y: &mut [f32],
    start: usize,
    mut codes: Option<&mut [i32]>,
) -> ErrorSums {
    let mut acc = ErrorSums::default();
    let mut off = 0;
    while off < x.len() {
        let i = start + off;
        let len = map.run_from(i).min(x.len() - off);
        let p = if params.len() == 1 {
            &params[0]
        } else {
            &params[map.group_of(i)]
        };
        let c = codes.as_deref_mut().map(|c| &mut c[off..off + len]);
        k.run(
            p,
            &x[off..off + len],
            &mut y[off..off + len],
            i,
            c,
            &mut acc,
        );
        off += len;
    }
    acc
}

/// Parameters of a whole-tensor group: from its range when the kernel can say so (the range is
/// exact whatever the order), else from the values.
pub fn large_params<K: GroupKernel>(k: &K, x: &[f32]) -> K::Params {
    if let Some(p) = k.fixed_params() {
        return p;
    }
    let (lo, hi) = super::range::min_max_par(x);
    k.range_params(lo, hi).unwrap_or_else(|| k.params_large(x))
}

/// Run `k` over `x` (a tensor of `shape`) with groups `map`: fills `y` (and `codes` when
/// given) and returns the per-group parameters and the error sums, measured unit by unit
/// ([`GroupMap::unit`]) and folded in order.
pub fn drive<K: GroupKernel>(
    k: &K,
    map: GroupMap,
    shape: &[usize],
    x: &[f32],
    y: &mut [f32],
    mut codes: Option<&mut [i32]>,
) -> (Vec<K::Params>, ErrorSums) {
    assert_eq!(x.len(), y.len(), "drive: output length");
    if x.is_empty() {
        return (Vec::new(), ErrorSums::default());
    }
    let unit = map.unit(shape, x.len());
    let codes_chunks: Vec<Option<&mut [i32]>> = match codes.take() {
        Some(c) => c.chunks_mut(unit).map(Some).collect(),
        None => (0..x.len().div_ceil(unit)).map(|_| None).collect(),
    };
    let units = x.par_chunks(unit).zip(y.par_chunks_mut(unit));
    match map {
        Self_::Contiguous {
            row_len,
            group,
            rows,
        } if map.fused(x.len()) => {
            let gpr = row_len.div_ceil(group);
            let mut params = vec![K::Params::default(); rows * gpr];
            let per_unit = unit / row_len * gpr;
            let parts: Vec<ErrorSums> = units
                .zip(params.par_chunks_mut(per_unit))
                .zip(codes_chunks.into_par_iter())
                .enumerate()
                .map(|(u, (((xu, yu), pu), cu))| {
                    run_unit_fused(k, row_len, group, xu, yu, pu, u * unit, cu)
                })
                .collect();
            (params, ErrorSums::fold_in_order(parts))
        }
        _ => {
            let ng = map.n_groups();
            let params: Vec<K::Params> = if ng == 1 {
                vec![large_params(k, x)]
            } else {
                (0..ng)
                    .into_par_iter()
                    .map(|g| k.params(&map.gather(x, g)))
                    .collect()
            };
            let parts: Vec<ErrorSums> = units
                .zip(codes_chunks.into_par_iter())
                .enumerate()
                .map(|(u, ((xu, yu), cu))| run_unit_given(k, map, &params, xu, yu, u * unit, cu))
                .collect();
            (params, ErrorSums::fold_in_order(parts))
        }
    }
}

use GroupMap as Self_;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let m = GroupMap::new(&[4, 6], 24, Granularity::Group { size: 4 }).unwrap();
        assert_eq!(m.n_groups(), 8);
        assert_eq!(m.group_of(5), 1);
        assert_eq!(m.group_of(6), 2);
        assert_eq!(
            m.gather(&(0..24).map(|v| v as f32).collect::<Vec<_>>(), 3),
            vec![10.0, 11.0]
        );
        let s = GroupMap::new(&[2, 3, 2], 12, Granularity::Channel { axis: 1 }).unwrap();
        assert_eq!(
            s,
            GroupMap::Strided {
                outer: 2,
                mid: 3,
                inner: 2
            }
        );
        assert_eq!(s.group_of(7), 0);
        assert_eq!(
            s.gather(&(0..12).map(|v| v as f32).collect::<Vec<_>>(), 1),
            vec![2.0, 3.0, 8.0, 9.0]
        );
        assert!(GroupMap::new(&[2, 3], 6, Granularity::Channel { axis: 2 }).is_err());
    }
}
