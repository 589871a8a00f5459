//! The built-in model: the MNIST MLP trained by `bitlens train` (weights in
//! `assets/mnist_mlp.safetensors`, card in `assets/mnist_mlp.json`), compiled into the binary.

use super::{FileFormat, Model};

/// The weights file, embedded so the binary is self-contained.
pub const WEIGHTS: &[u8] = include_bytes!("../../assets/mnist_mlp.safetensors");
/// The model card (architecture, dataset, seed, measured test accuracy).
pub const CARD_JSON: &str = include_str!("../../assets/mnist_mlp.json");

pub(crate) fn model() -> Model {
    match super::source::open_static("<built-in>", WEIGHTS) {
        Ok(mut m) => {
            m.format = FileFormat::Builtin;
            m.metadata
                .push(("card".into(), CARD_JSON.trim().to_owned()));
            m
        }
        // The asset is checked by tests; an empty model keeps the app alive if it ever breaks.
        Err(_) => super::assemble(
            "<built-in>".into(),
            None,
            FileFormat::Builtin,
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ),
    }
}
