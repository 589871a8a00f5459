//! One scheme measured on a tensor unit by unit ([`super::granularity::natural_unit`]): the
//! streaming form of [`super::apply_reusing`] for schemes whose parameters come from each
//! unit's own rows (per channel, per group) or from the tensor's exact range alone (per-tensor
//! min-max, plain casts). A caller reads each unit once, measures every plan on it while it is
//! in cache and folds the units' sums in order: the same bits as `apply_reusing` on the whole
//! tensor, which measures the same units through the same functions.

use super::apply::{float_kernel, float_size, int_kernel, int_size, stochastic_falls_back};
use super::float_quant::{self, FloatKernel};
use super::granularity::{GroupKernel, GroupMap, natural_unit, run_unit_fused, run_unit_given};
use super::int_quant::{IntKernel, IntParams};
use super::metrics::ErrorSums;
use super::prune::MagnitudeCut;
use super::scheme::{Granularity, PruneMethod, Scheme, Target};
use super::size::{SizeReport, SparseKind};

enum Kernel {
    /// The values as stored (pruning only).
    Keep,
    Int(IntKernel),
    Float(FloatKernel),
}

/// Magnitude pruning before the kernel, as a cut known before the units are measured.
struct UnitPrune {
    /// `None` until [`UnitPlan::set_cut`].
    cut: Option<MagnitudeCut>,
    /// Per unit and one past the last: values equal to the cut's key in earlier units (when
    /// the cut splits ties; empty otherwise).
    ties_before: Vec<u64>,
    /// Bits per kept code in the sparse size.
    code_width: u64,
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
    prune: Option<UnitPrune>,
    /// The tensor's size under the scheme before pruning ([`UnitPlan::size`] gives the final).
    dense: SizeReport,
}

/// What one unit measured: error sums against the original and values kept by pruning.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnitSums {
    pub sums: ErrorSums,
    pub kept: u64,
}

impl UnitSums {
    /// Merge, in unit order.
    pub fn merge(self, o: Self) -> Self {
        Self {
            sums: self.sums.merge(o.sums),
            kept: self.kept + o.kept,
        }
    }
}

/// Per-thread buffers of [`UnitPlan::measure`].
#[derive(Default)]
pub struct UnitScratch {
    y: Vec<f32>,
    pruned: Vec<f32>,
    mask: Vec<bool>,
    int: Vec<IntParams>,
    float: Vec<f32>,
}

impl UnitPlan {
    /// The plan of `scheme` on a tensor of `shape` (`n` values); `None` when the scheme needs
    /// more of the tensor than its range before any unit (pruning, a calibrated whole-tensor
    /// range, strided channels, block formats) or measures other units.
    /// `stored_bits`: the tensor's size in the file (what pruning alone keeps per value).
    pub fn new(scheme: &Scheme, shape: &[usize], n: usize, stored_bits: u64) -> Option<Self> {
        if n == 0 {
            return None;
        }
        let nn = n as u64;
        let (kernel, map, dense, code_width) = match &scheme.target {
            Target::None => {
                let map = GroupMap::new(shape, n, Granularity::Tensor).ok()?;
                let size = SizeReport::dense(nn, stored_bits, 0, 0, 0);
                (Kernel::Keep, map, size, stored_bits.div_ceil(nn))
            }
            Target::Int(spec) => {
                let map = GroupMap::new(shape, n, scheme.granularity).ok()?;
                let k = int_kernel(scheme, spec);
                let size = int_size(spec, scheme.scale_format, nn, map.n_groups() as u64);
                (Kernel::Int(k), map, size, u64::from(spec.bits))
            }
            Target::Float { format, scaled } => {
                let spec = float_quant::float_spec(format).ok()?;
                let (k, gran) = float_kernel(scheme, &spec, *scaled);
                let map = GroupMap::new(shape, n, gran).ok()?;
                if stochastic_falls_back(scheme, &k) {
                    return None; // apply_reusing notes the fallback; keep that path
                }
                let scales = if *scaled { map.n_groups() as u64 } else { 0 };
                let size = float_size(&spec, scheme.scale_format, nn, scales);
                (Kernel::Float(k), map, size, u64::from(spec.width()))
            }
            _ => return None,
        };
        let prune = match scheme.prune {
            None => None,
            Some(p) if p.method == PruneMethod::Magnitude => Some(UnitPrune {
                cut: None,
                ties_before: Vec::new(),
                code_width,
            }),
            Some(_) => return None,
        };
        if map.unit(shape, n) != natural_unit(shape, n) {
            return None;
        }
        let params = match &kernel {
            Kernel::Keep => Params::PerUnit,
            _ if map.fused(n) => Params::PerUnit,
            // A whole-tensor range is the pruned tensor's: not known before the units.
            _ if map.n_groups() != 1 || prune.is_some() => return None,
            Kernel::Int(k) => global(k, Params::Int)?,
            Kernel::Float(k) => global(k, Params::Float)?,
        };
        Some(Self {
            kernel,
            map,
            params,
            prune,
            dense,
        })
    }

    /// Whether [`UnitPlan::set_cut`] must be called before measuring.
    pub fn needs_cut(&self) -> bool {
        self.prune.as_ref().is_some_and(|p| p.cut.is_none())
    }

    /// The pruning cut, and per unit (and one past the last) the values equal to its key in
    /// earlier units (needed only when [`MagnitudeCut::splits_ties`]).
    pub fn set_cut(&mut self, cut: MagnitudeCut, ties_before: Vec<u64>) {
        if let Some(p) = &mut self.prune {
            p.cut = Some(cut);
            p.ties_before = ties_before;
        }
    }

    /// The tensor's exact size, given the values kept by pruning (all of them without).
    pub fn size(&self, kept: u64) -> SizeReport {
        match &self.prune {
            None => self.dense.clone(),
            Some(p) => self
                .dense
                .clone()
                .with_sparsity(SparseKind::Bitmask, p.code_width, kept),
        }
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
            Kernel::Keep => Params::PerUnit,
            Kernel::Int(k) => k
                .range_params(lo, hi)
                .map_or(Params::AwaitingRange, Params::Int),
            Kernel::Float(k) => k
                .range_params(lo, hi)
                .map_or(Params::AwaitingRange, Params::Float),
        };
    }

    /// Measure unit number `u`, the values `x` whose first has index `start` in the tensor.
    pub fn measure(&self, x: &[f32], u: usize, start: usize, s: &mut UnitScratch) -> UnitSums {
        let Some(p) = &self.prune else {
            let sums = self.quantize(x, start, s);
            return UnitSums {
                sums,
                kept: x.len() as u64,
            };
        };
        // As apply_reusing: prune, quantize the pruned values, force pruned positions back to
        // 0, then measure against the original (the kernel's clipped count is kept).
        let cut = p.cut.expect("set_cut before measure");
        let at = |u: usize| p.ties_before.get(u).copied().unwrap_or(0);
        let ties = (at(u), at(u + 1).saturating_sub(at(u)));
        let (mut mask, mut pruned) = (std::mem::take(&mut s.mask), std::mem::take(&mut s.pruned));
        let kept = cut.mask_unit(x, ties, &mut mask, &mut pruned);
        let mut sums = ErrorSums::default();
        if let Kernel::Keep = self.kernel {
            sums.add_slices(x, &pruned);
        } else {
            let clipped = self.quantize(&pruned, start, s).clipped;
            let y = &mut s.y[..x.len()];
            for (v, &k) in y.iter_mut().zip(&mask) {
                *v = f32::from_bits(v.to_bits() & 0u32.wrapping_sub(u32::from(k)));
            }
            sums.add_slices(x, y);
            sums.clipped = clipped;
        }
        (s.mask, s.pruned) = (mask, pruned);
        UnitSums { sums, kept }
    }

    /// The kernel on one unit into `s.y`.
    fn quantize(&self, x: &[f32], start: usize, s: &mut UnitScratch) -> ErrorSums {
        s.y.resize(x.len(), 0.0);
        let y = &mut s.y[..x.len()];
        match (&self.kernel, self.params) {
            (Kernel::Keep, _) => {
                y.copy_from_slice(x);
                ErrorSums::default()
            }
            (Kernel::Int(k), Params::Int(p)) => {
                run_unit_given(k, self.map, &[p], x, y, start, None)
            }
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
    params.resize(
        x.len().div_ceil(row_len) * row_len.div_ceil(group),
        K::Params::default(),
    );
    run_unit_fused(k, row_len, group, x, y, params, start, None)
}
