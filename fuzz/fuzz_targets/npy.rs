//! Fuzz the npy parser: it must return an error or a model whose every tensor decodes or errors,
//! never panic or read out of bounds.
#![no_main]

use bitlens::model::{FileFormat, open_bytes_as};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = open_bytes_as(FileFormat::Npy, "fuzz", data.to_vec()) {
        for t in &m.tensors {
            if t.n_params <= 1 << 24 {
                let _ = m.load_tensor(&t.name);
            }
        }
    }
});
