//! Compression core (layer L1): quantizers, pruners, exact metrics, sizes and histograms.
//!
//! No egui, no file I/O, no printing; data-parallel kernels use rayon.

pub mod ggml_blocks;
