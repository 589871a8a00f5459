//! Fuzz content detection plus whichever parser it picks.
#![no_main]

use bitlens::model::open_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = open_bytes("fuzz", data.to_vec()) {
        for t in &m.tensors {
            if t.n_params <= 1 << 24 {
                let _ = m.load_tensor(&t.name);
            }
        }
    }
});
