//! Hostile input: every malformed file gives a `ModelError` naming the file and the problem,
//! never a panic. Includes the committed corpus in `tests/data/models/bad/`, every truncation of
//! valid fixtures and single-byte corruptions.

use std::path::Path;

use bitlens::model::{self, ModelError};

use super::model_support::{raw_safetensors, t, zip_stored};

fn err(name: &str, bytes: Vec<u8>) -> String {
    match model::open_bytes(name, bytes) {
        Ok(m) => panic!("{name}: opened as {:?} but should fail", m.format),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with(name), "error must name the file: {msg}");
            msg
        }
    }
}

fn valid_fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let st = model::write_safetensors_f32(
        &[
            t("a", &[2, 2], &[1.0, 2.0, 3.0, 4.0]),
            t("b", &[3], &[5.0, 6.0, 7.0]),
        ],
        &[],
    );
    let npy = model::write_npy_f32(&[2, 3], &[1.0; 6]);
    let npz = zip_stored(&[
        ("w.npy", &npy),
        ("v.npy", &model::write_npy_f32(&[2], &[1.0, 2.0])),
    ]);
    let vals: Vec<u8> = (0..32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let gguf = model::write_gguf(
        &[("general.name", "x")],
        &[("w", &[32], 0, &vals), ("v", &[1, 32], 0, &vals)],
    );
    vec![
        ("f.safetensors", st),
        ("f.npy", npy),
        ("f.npz", npz),
        ("f.gguf", gguf),
    ]
}

#[test]
fn empty_and_unknown_files() {
    assert!(err("empty.bin", vec![]).contains("empty"));
    assert!(err("noise.bin", b"hello world, not a model".to_vec()).contains("not a model file"));
}

#[test]
fn safetensors_bad_headers() {
    let mut long = 1000u64.to_le_bytes().to_vec();
    long.extend_from_slice(b"{}");
    assert!(err("a.safetensors", long).contains("longer than"));
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.push(b'{');
    assert!(err("b.safetensors", huge).contains("limit"));
    assert!(err("c.safetensors", raw_safetensors("{not json", &[])).contains("JSON"));
    let mut non_utf8 = raw_safetensors("{\"\u{e9}\":{}}", &[]);
    let pos = non_utf8.iter().position(|&b| b == 0xc3).unwrap();
    non_utf8[pos] = 0xff;
    assert!(err("d.safetensors", non_utf8).contains("UTF-8"));
    let out_of_range = r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    assert!(err("e.safetensors", raw_safetensors(out_of_range, &[0; 4])).contains("outside"));
    let overlap = r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
    assert!(err("f.safetensors", raw_safetensors(overlap, &[0; 12])).contains("overlap"));
    let overflow =
        r#"{"x":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}"#;
    assert!(err("g.safetensors", raw_safetensors(overflow, &[])).contains("more elements"));
    let unknown = r#"{"x":{"dtype":"F12","shape":[1],"data_offsets":[0,2]}}"#;
    assert!(err("h.safetensors", raw_safetensors(unknown, &[0; 2])).contains("unknown dtype"));
    let mismatch = r#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
    assert!(err("i.safetensors", raw_safetensors(mismatch, &[0; 8])).contains("needs 12 bytes"));
    let negative = r#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#;
    assert!(err("j.safetensors", raw_safetensors(negative, &[0; 4])).contains("non-negative"));
}

#[test]
fn npy_bad_headers() {
    let mut short = model::write_npy_f32(&[4], &[1.0; 4]);
    short.truncate(short.len() - 3);
    assert!(err("a.npy", short).contains("needs 16 data bytes"));
    let mut obj = b"\x93NUMPY\x01\x00".to_vec();
    let h = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n";
    obj.extend_from_slice(&(h.len() as u16).to_le_bytes());
    obj.extend_from_slice(h.as_bytes());
    assert!(err("b.npy", obj).contains("pickle"));
    let mut long = b"\x93NUMPY\x01\x00\xff\xff{".to_vec();
    long.extend_from_slice(b"'descr'");
    assert!(err("c.npy", long).contains("longer than the file"));
    let mut overflow = b"\x93NUMPY\x01\x00".to_vec();
    let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551615, 2), }\n";
    overflow.extend_from_slice(&(h.len() as u16).to_le_bytes());
    overflow.extend_from_slice(h.as_bytes());
    assert!(err("d.npy", overflow).contains("more elements"));
}

#[test]
fn gguf_bad_headers() {
    let valid = &valid_fixtures()[3].1;
    let mut v1 = valid.clone();
    v1[4..8].copy_from_slice(&1u32.to_le_bytes());
    assert!(err("a.gguf", v1).contains("v1"));
    let mut be = valid.clone();
    be[4..8].copy_from_slice(&3u32.to_be_bytes());
    assert!(err("b.gguf", be).contains("big-endian"));
    let mut many = valid.clone();
    many[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(err("c.gguf", many).contains("limit"));
    // A string length far past the end of the file.
    let mut long_key = valid.clone();
    long_key[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(err("d.gguf", long_key).contains("exceeds the file"));
    // Offset of the second tensor pushed out of range.
    let bytes = model::write_gguf(&[], &[("w", &[8], 0, &[0u8; 32])]);
    let mut far = bytes.clone();
    let off_pos = 24 + 8 + 1 + 4 + 8 + 4;
    far[off_pos..off_pos + 8].copy_from_slice(&(1u64 << 20).to_le_bytes());
    assert!(err("e.gguf", far).contains("outside"));
    let mut unaligned = bytes;
    unaligned[off_pos..off_pos + 8].copy_from_slice(&4u64.to_le_bytes());
    assert!(err("f.gguf", unaligned).contains("alignment"));
}

#[test]
fn every_truncation_fails_cleanly() {
    for (name, bytes) in valid_fixtures() {
        for len in 0..bytes.len() {
            let r = std::panic::catch_unwind(|| model::open_bytes(name, bytes[..len].to_vec()));
            let r = r.unwrap_or_else(|_| panic!("{name} truncated to {len} bytes panicked"));
            if let Ok(m) = r {
                // A prefix may itself be valid (e.g. GGUF padding cut); its tensors must decode or error.
                for t in &m.tensors {
                    let _ = m.load_tensor(&t.name);
                }
            }
        }
    }
}

#[test]
fn single_byte_corruptions_never_panic() {
    for (name, bytes) in valid_fixtures() {
        for pos in 0..bytes.len() {
            for v in [0x00u8, 0xff, 0x7f, 0x80] {
                let mut b = bytes.clone();
                b[pos] = v;
                let r = std::panic::catch_unwind(|| {
                    if let Ok(m) = model::open_bytes(name, b) {
                        for t in &m.tensors {
                            let _ = m.load_tensor(&t.name);
                        }
                    }
                });
                assert!(r.is_ok(), "{name}: byte {pos} = {v:#x} panicked");
            }
        }
    }
}

#[test]
fn committed_bad_corpus_gives_errors_naming_the_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/models/bad");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        n += 1;
        match model::open(&path) {
            Ok(m) => panic!("{} opened as {:?}", path.display(), m.format),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(&*path.file_name().unwrap().to_string_lossy()),
                    "{msg}"
                );
                assert!(!matches!(e, ModelError::Io { .. }), "{msg}");
            }
        }
    }
    assert!(n >= 8, "corpus has {n} files");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let e = model::open(Path::new("/nonexistent/model.safetensors")).unwrap_err();
    assert!(matches!(e, ModelError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/model.safetensors"));
}

/// Seed corpora for `fuzz/` (run: `cargo test --test all write_fuzz_seeds -- --ignored`).
#[test]
#[ignore = "writes fuzz/corpus/*; run by hand before fuzzing"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    for (name, bytes) in valid_fixtures() {
        let target = match name.rsplit('.').next().unwrap() {
            "safetensors" => "safetensors",
            "npy" => "npy",
            "npz" => "npz",
            _ => "gguf",
        };
        put(target, name, &bytes);
        put("detect", name, &bytes);
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/models");
    for (file, target) in [
        ("tiny_zip.pt", "pytorch_zip"),
        ("tiny_legacy.pth", "pytorch_legacy"),
    ] {
        let bytes = std::fs::read(data.join(file)).unwrap();
        put(target, file, &bytes);
        put("detect", file, &bytes);
    }
    let builtin = include_bytes!("../../assets/mnist_mlp.safetensors");
    put("safetensors", "builtin.safetensors", &builtin[..2048]);
}
