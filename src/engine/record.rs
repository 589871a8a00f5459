//! One tensor's measured outcome under one config ([`TensorRecord`]), the fold of records into
//! a config's totals ([`Compression`]) and the model facts a point needs ([`ModelFacts`]).
//!
//! The one-pass sweep measures records tensor by tensor; a sharded sweep writes its records
//! (floats as bit patterns, so they read back exactly) and `merge` folds the shards' records in
//! tensor order: the same fold, so the same figures as an unsharded run.

use serde::{Deserialize, Serialize};

use super::config::{Config, ConfigPoint, TensorPoint, compressed_point};
use super::loaded::LoadedModel;
use super::tensor_meta::TensorMeta;
use crate::compress::metrics::ErrorSums;
use crate::compress::{Compressed, Note, SizeReport, TensorNote};
use crate::eval::EvalReport;
use crate::tensor::Tensor;

/// One tensor under one config: its point, error sums and compressor notes.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRecord {
    /// Position in the model's tensor list.
    pub tensor: usize,
    pub point: TensorPoint,
    pub sums: ErrorSums,
    pub notes: Vec<Note>,
}

impl TensorRecord {
    pub(crate) fn compressed(tensor: usize, c: &Compressed) -> Self {
        Self {
            tensor,
            point: compressed_point(c),
            sums: c.sums,
            notes: c.notes.clone(),
        }
    }

    /// A tensor measured unit by unit ([`super::stream`]): what `compressed` gives for the
    /// same sums and size.
    pub(crate) fn streamed(
        tensor: usize,
        t: &TensorMeta,
        size: SizeReport,
        sums: ErrorSums,
    ) -> Self {
        Self {
            tensor,
            point: TensorPoint {
                name: t.name.clone(),
                shape: t.shape.clone(),
                compressed: true,
                metrics: sums.metrics(),
                size,
            },
            sums,
            notes: Vec::new(),
        }
    }

    pub(crate) fn kept(tensor: usize, point: TensorPoint, sums: ErrorSums) -> Self {
        Self {
            tensor,
            point,
            sums,
            notes: Vec::new(),
        }
    }
}

/// A record as written by a sharded run: every float as its bit pattern (exact round trip,
/// also for ±∞), metrics rebuilt from the sums on reading.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordOut {
    pub tensor: usize,
    pub name: String,
    pub shape: Vec<usize>,
    pub compressed: bool,
    pub size: SizeReport,
    /// `n, sum_x2, sum_y2, sum_xy, sum_e2` (f64 bits), `max_abs_err` (f32 bits), `clipped`,
    /// `zeros`.
    pub sums: [u64; 8],
    pub notes: Vec<Note>,
}

impl From<&TensorRecord> for RecordOut {
    fn from(r: &TensorRecord) -> Self {
        let s = &r.sums;
        Self {
            tensor: r.tensor,
            name: r.point.name.clone(),
            shape: r.point.shape.clone(),
            compressed: r.point.compressed,
            size: r.point.size.clone(),
            sums: [
                s.n,
                s.sum_x2.to_bits(),
                s.sum_y2.to_bits(),
                s.sum_xy.to_bits(),
                s.sum_e2.to_bits(),
                u64::from(s.max_abs_err.to_bits()),
                s.clipped,
                s.zeros,
            ],
            notes: r.notes.clone(),
        }
    }
}

impl From<RecordOut> for TensorRecord {
    fn from(r: RecordOut) -> Self {
        let [n, x2, y2, xy, e2, max, clipped, zeros] = r.sums;
        let sums = ErrorSums {
            n,
            sum_x2: f64::from_bits(x2),
            sum_y2: f64::from_bits(y2),
            sum_xy: f64::from_bits(xy),
            sum_e2: f64::from_bits(e2),
            max_abs_err: f32::from_bits(max as u32),
            clipped,
            zeros,
        };
        Self {
            tensor: r.tensor,
            point: TensorPoint {
                name: r.name,
                shape: r.shape,
                compressed: r.compressed,
                metrics: sums.metrics(),
                size: r.size,
            },
            sums,
            notes: r.notes,
        }
    }
}

/// Per-config totals, filled tensor by tensor (in tensor order) and turned into a point.
pub(crate) struct Compression {
    pub tensors: Vec<TensorPoint>,
    pub sums: ErrorSums,
    pub size: SizeReport,
    pub notes: Vec<TensorNote>,
    /// Dequantized copies of the compressed tensors (when asked to keep them).
    pub replaced: Vec<Tensor>,
    sizes: Vec<SizeReport>,
}

impl Compression {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            tensors: Vec::with_capacity(n),
            sums: ErrorSums::default(),
            size: SizeReport::default(),
            notes: Vec::new(),
            replaced: Vec::new(),
            sizes: Vec::with_capacity(n),
        }
    }

    /// Add a measured record (in tensor order).
    pub(crate) fn add_record(&mut self, r: TensorRecord) {
        self.sums = self.sums.merge(r.sums);
        let name = &r.point.name;
        self.notes.extend(r.notes.iter().map(|note| TensorNote {
            tensor: name.clone(),
            note: note.clone(),
        }));
        self.sizes.push(r.point.size.clone());
        self.tensors.push(r.point);
    }

    /// Add a compressed tensor (`keep`: hold its dequantized values for evaluation).
    pub(crate) fn add_compressed(&mut self, c: Compressed, keep: bool) {
        self.sums = self.sums.merge(c.sums);
        self.notes.extend(c.notes.iter().map(|note| TensorNote {
            tensor: c.name.clone(),
            note: note.clone(),
        }));
        self.tensors.push(compressed_point(&c));
        self.sizes.push(c.size);
        if keep {
            self.replaced.push(Tensor {
                name: c.name,
                shape: c.shape,
                data: c.dequantized,
            });
        }
    }

    /// Add a tensor kept as stored.
    pub(crate) fn add_kept(&mut self, point: TensorPoint, sums: ErrorSums) {
        self.sums = self.sums.merge(sums);
        self.sizes.push(point.size.clone());
        self.tensors.push(point);
    }

    pub(crate) fn finish(mut self) -> Self {
        self.size = SizeReport::sum(&self.sizes);
        self
    }
}

/// What a point needs to know of its model (a merge has only these, from the shards).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    pub label: String,
    pub n_params: u64,
    pub stored_bytes: u64,
    pub f32_bytes: u64,
    pub dtype: String,
    /// Every tensor's name and element count (shards of one run must agree on them).
    pub tensors: Vec<(String, usize)>,
    /// Why the model is neither evaluated nor run (`None`: it is one or the other).
    #[serde(default)]
    pub not_evaluable: Option<String>,
}

impl ModelFacts {
    pub fn of(model: &LoadedModel) -> Self {
        Self {
            label: model.label.clone(),
            n_params: model.n_params(),
            stored_bytes: model.stored_bytes(),
            f32_bytes: model.f32_bytes(),
            dtype: model.dtype_label(),
            tensors: model
                .tensors
                .iter()
                .map(|t| (t.name.clone(), t.len))
                .collect(),
            not_evaluable: model.not_evaluable_reason().map(ToString::to_string),
        }
    }

    /// The point of `config` from its folded totals (and its evaluation, if any).
    pub(crate) fn point(
        &self,
        config: &Config,
        c: Compression,
        report: Option<&EvalReport>,
    ) -> ConfigPoint {
        let metrics = c.sums.metrics();
        ConfigPoint {
            label: config.label.clone(),
            family: config.family(),
            config: config.clone(),
            size_bytes: c.size.bytes,
            bits_per_weight: c.size.bits_per_weight,
            original_bytes: self.stored_bytes,
            original_bits_per_weight: 8.0 * self.stored_bytes as f64 / self.n_params.max(1) as f64,
            f32_bytes: self.f32_bytes,
            original_dtype: self.dtype.clone(),
            accuracy: report.map(|r| r.accuracy),
            loss: report.map(|r| r.loss),
            fidelity: None,
            sqnr_db: metrics.sqnr_db,
            metrics,
            size: c.size,
            tensors: c.tensors,
            notes: c.notes,
            estimate: None,
        }
    }
}
