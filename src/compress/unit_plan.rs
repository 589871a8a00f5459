//! One scheme measured on a tensor unit by unit ([`super::granularity::natural_unit`]): the
//! streaming form of [`super::apply_reusing`] for schemes whose parameters come from each
//! unit's own rows (per channel, per group) or from the tensor's exact range alone (per-tensor
//! min-max, plain casts). A caller reads each unit once, measures every plan on it while it is
//! in cache and folds the units' sums in order: the same bits as `apply_reusing` on the whole
//! tensor, which measures the same units through the same functions.

use super::apply::{float_size, int_size};
use super::float_quant::{self, FloatKernel};
use super::granularity::{GroupKernel, GroupMap, natural_unit, run_unit_fused, run_unit_given};
use super::int_quant::{IntKernel, IntParams};
use super::metrics::ErrorSums;
use super::scheme::{Granularity, Rounding, Scheme, Target};
use super::size::SizeReport;

enum Kernel {
    Int(IntKernel),
    Float(FloatKernel),
}

/// Where a plan's parameters come from.
#[derive(Clone, Copy)]
enum Params {
    /// Each unit's own groups (fused maps).
    PerUnit,
    /// One set for the tensor, from its range (not known yet).
    AwaitingRange,
    Int(IntParams),
    Float(f32),
}

/// A scheme ready to measure unit by unit on one tensor.
pub struct UnitPlan {
    kernel: Kernel,
    map: GroupMap,
    params: Params,
    /// The tensor's exact size under the scheme.
    pub size: SizeReport,
}

/// Per-thread buffers of [`UnitPlan::measure`].
#[derive(Default)]
pub struct UnitScratch {
    y: Vec<f32>,
    int: Vec<IntParams>,
    float: Vec<f32>,
}

impl UnitPlan {
    /// The plan of `scheme` on a tensor of `shape` (`n` values); `None` when the scheme needs
    /// more of the tensor than its range before any unit (pruning, a calibrated whole-tensor
    /// range, strided channels, block formats) or measures other units.
    pub fn new(scheme: &Scheme, shape: &[usize], n: usize) -> Option<Self> {
        if scheme.prune.is_some() || n == 0 {
            return None;
        }
        let nn = n as u64;
        let (kernel, map, size) = match &scheme.target {
            Target::Int(spec) => {
                let map = GroupMap::new(shape, n, scheme.granularity).ok()?;
                let k = IntKernel {
                    spec: *spec,
                    calibration: scheme.calibration,
                    rounding: scheme.rounding,
                    scale_format: scheme.scale_format,
                };
                let size = int_size(spec, scheme.scale_format, nn, map.n_groups() as u64);
                (Kernel::Int(k), map, size)
            }
            Target::Float { format, scaled } => {
                let spec = float_quant::float_spec(format).ok()?;
                let gran = if *scaled {
                    scheme.granularity
                } else {
                    Granularity::Tensor
                };
                let map = GroupMap::new(shape, n, gran).ok()?;
                let k = FloatKernel::new(&spec, *scaled, scheme.calibration)
                    .with_rounding(scheme.rounding);
                if matches!(scheme.rounding, Rounding::Stochastic { .. }) && !k.stochastic_applies()
                {
                    return None; // apply_reusing notes the fallback; keep that path
                }
                let scales = if *scaled { map.n_groups() as u64 } else { 0 };
                let size = float_size(&spec, scheme.scale_format, nn, scales);
                (Kernel::Float(k), map, size)
            }
            _ => return None,
        };
        if map.unit(shape, n) != natural_unit(shape, n) {
            return None;
        }
        let params = if map.fused(n) {
            Params::PerUnit
        } else if map.n_groups() != 1 {
            return None;
        } else {
            match &kernel {
                Kernel::Int(k) => global(k, Params::Int)?,
                Kernel::Float(k) => global(k, Params::Float)?,
            }
        };
        Some(Self {
            kernel,
            map,
            params,
            size,
        })
    }

    /// Whether [`UnitPlan::set_range`] must be called before measuring.
    pub fn needs_range(&self) -> bool {
        matches!(self.params, Params::AwaitingRange)
    }

    /// Give the tensor's range (as [`super::range::min_max_par`] finds it).
    pub fn set_range(&mut self, lo: f32, hi: f32) {
        if !self.needs_range() {
            return;
        }
        self.params = match &self.kernel {
            Kernel::Int(k) => k.range_params(lo, hi).map_or(Params::AwaitingRange, Params::Int),
            Kernel::Float(k) => k
                .range_params(lo, hi)
                .map_or(Params::AwaitingRange, Params::Float),
        };
    }

    /// Error sums of the unit `x` whose first value has index `start` in the tensor.
    pub fn measure(&self, x: &[f32], start: usize, s: &mut UnitScratch) -> ErrorSums {
        s.y.resize(x.len(), 0.0);
        let y = &mut s.y[..x.len()];
        match (&self.kernel, self.params) {
            (Kernel::Int(k), Params::Int(p)) => run_unit_given(k, self.map, &[p], x, y, start, None),
            (Kernel::Float(k), Params::Float(p)) => {
                run_unit_given(k, self.map, &[p], x, y, start, None)
            }
            (Kernel::Int(k), _) => fused(k, self.map, x, y, &mut s.int, start),
            (Kernel::Float(k), _) => fused(k, self.map, x, y, &mut s.float, start),
        }
    }
}

/// Whole-tensor parameters: fixed, or awaiting the range when min-max gives them.
fn global<K: GroupKernel>(k: &K, wrap: fn(K::Params) -> Params) -> Option<Params> {
    if let Some(p) = k.fixed_params() {
        return Some(wrap(p));
    }
    k.range_params(0.0, 0.0).map(|_| Params::AwaitingRange)
}

fn fused<K: GroupKernel>(
    k: &K,
    map: GroupMap,
    x: &[f32],
    y: &mut [f32],
    params: &mut Vec<K::Params>,
    start: usize,
) -> ErrorSums {
    let GroupMap::Contiguous { row_len, group, .. } = map else {
        unreachable!("a per-unit plan has a fused (contiguous) map")
    };
    params.resize(x.len().div_ceil(row_len) * row_len.div_ceil(group), K::Params::default());
    run_unit_fused(k, row_len, group, x, y, params, start, None)
}
