//! PyTorch checkpoints (zip and legacy; fixtures written by
//! `tests/data/models/make_pytorch_fixtures.py`, which mimics torch.save with CPython's pickler)
//! and ONNX models built here with a tiny protobuf writer.

use std::path::{Path, PathBuf};

use bitlens::model::{self, FileFormat, Model};

use super::model_support::write_temp;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/models")
        .join(name)
}

fn load(m: &Model, name: &str) -> Vec<f32> {
    m.load_tensor(name).unwrap_or_else(|e| panic!("{e}")).data
}

fn check_tiny_checkpoint(m: &Model) {
    let names: Vec<&str> = m.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "model.fc.weight",
            "model.fc.weight_t",
            "model.fc.row1",
            "model.fc.bias",
            "model.steps"
        ]
    );
    assert_eq!(
        load(m, "model.fc.weight"),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    );
    assert_eq!(
        load(m, "model.fc.weight_t"),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0],
        "strided view"
    );
    assert_eq!(
        load(m, "model.fc.row1"),
        vec![3.0, 4.0, 5.0],
        "storage offset"
    );
    assert_eq!(load(m, "model.fc.bias"), vec![0.5, -1.5]);
    assert_eq!(m.tensor_info("model.fc.bias").unwrap().dtype, "F16");
    assert_eq!(load(m, "model.steps"), vec![7.0, 8.0, 9.0]);
    assert!(
        !m.tensor_info("model.steps").unwrap().supported,
        "int64 listed, not offered"
    );
    for (k, v) in [("epoch", "5"), ("lr", "0.01"), ("name", "tiny")] {
        assert!(
            m.metadata.contains(&(k.to_string(), v.to_string())),
            "{k}: {:?}",
            m.metadata
        );
    }
}

#[test]
fn pytorch_zip_checkpoint() {
    let m = model::open(&fixture("tiny_zip.pt")).unwrap();
    assert_eq!(m.format, FileFormat::PytorchZip);
    check_tiny_checkpoint(&m);
}

#[test]
fn pytorch_legacy_checkpoint() {
    let m = model::open(&fixture("tiny_legacy.pth")).unwrap();
    assert_eq!(m.format, FileFormat::PytorchLegacy);
    check_tiny_checkpoint(&m);
}

#[test]
fn malicious_pickles_are_refused_naming_the_global() {
    for (file, global) in [
        ("bad/malicious_os_system.pt", "system"),
        ("bad/malicious_eval_legacy.pth", "eval"),
        ("bad/malicious_stack_global.pt", "exec"),
    ] {
        let e = model::open(&fixture(file)).unwrap_err().to_string();
        assert!(
            e.contains(global) && e.contains("not an allowed"),
            "{file}: {e}"
        );
    }
    let e = model::open(&fixture("bad/storage_too_short.pt"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("storage"), "{e}");
}

#[test]
fn truncated_pytorch_files_fail_cleanly() {
    for name in ["tiny_zip.pt", "tiny_legacy.pth"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for len in 0..bytes.len() {
            let r = std::panic::catch_unwind(|| {
                model::open_bytes(name, bytes[..len].to_vec()).map(|m| m.tensors.len())
            });
            assert!(r.is_ok(), "{name} truncated to {len} panicked");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        if name.ends_with(".pth") {
            assert!(
                model::open_bytes(name, extra)
                    .unwrap_err()
                    .to_string()
                    .contains("trailing")
            );
        }
    }
}

// --- a tiny protobuf writer for ONNX fixtures -------------------------------------------------

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
fn field_uint(out: &mut Vec<u8>, tag: u64, v: u64) {
    varint(out, tag << 3);
    varint(out, v);
}
fn field_bytes(out: &mut Vec<u8>, tag: u64, b: &[u8]) {
    varint(out, (tag << 3) | 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

enum Data<'a> {
    Raw(&'a [u8]),
    Floats(&'a [f32]),
    Int32(&'a [i32]),
    Int64(&'a [i64]),
    External(&'a [(&'a str, &'a str)]),
}

fn tensor(name: &str, dims: &[i64], data_type: u64, data: Data<'_>) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        field_uint(&mut t, 1, d as u64);
    }
    field_uint(&mut t, 2, data_type);
    match data {
        Data::Raw(r) => field_bytes(&mut t, 9, r),
        Data::Floats(f) => field_bytes(
            &mut t,
            4,
            &f.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
        ),
        Data::Int32(v) => {
            let mut packed = Vec::new();
            v.iter()
                .for_each(|&x| varint(&mut packed, i64::from(x) as u64));
            field_bytes(&mut t, 5, &packed);
        }
        Data::Int64(v) => v.iter().for_each(|&x| field_uint(&mut t, 7, x as u64)), // unpacked
        Data::External(kv) => {
            for (k, v) in kv {
                let mut e = Vec::new();
                field_bytes(&mut e, 1, k.as_bytes());
                field_bytes(&mut e, 2, v.as_bytes());
                field_bytes(&mut t, 13, &e);
            }
            field_uint(&mut t, 14, 1);
        }
    }
    if !name.is_empty() {
        field_bytes(&mut t, 8, name.as_bytes());
    }
    t
}

fn attribute(name: &str, tensor: Option<&[u8]>, graph: Option<&[u8]>) -> Vec<u8> {
    let mut a = Vec::new();
    field_bytes(&mut a, 1, name.as_bytes());
    if let Some(t) = tensor {
        field_bytes(&mut a, 5, t);
    }
    if let Some(g) = graph {
        field_bytes(&mut a, 6, g);
    }
    a
}

fn node(op: &str, outputs: &[&str], attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut n = Vec::new();
    for o in outputs {
        field_bytes(&mut n, 2, o.as_bytes());
    }
    field_bytes(&mut n, 4, op.as_bytes());
    for a in attrs {
        field_bytes(&mut n, 5, a);
    }
    n
}

fn graph(nodes: &[Vec<u8>], initializers: &[Vec<u8>]) -> Vec<u8> {
    let mut g = Vec::new();
    for n in nodes {
        field_bytes(&mut g, 1, n);
    }
    field_bytes(&mut g, 2, b"g");
    for i in initializers {
        field_bytes(&mut g, 5, i);
    }
    g
}

fn onnx_model(g: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    field_uint(&mut m, 1, 8);
    field_bytes(&mut m, 2, b"bitlens-test");
    field_bytes(&mut m, 7, g);
    m
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn onnx_initializers_constants_and_subgraphs() {
    let w = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let f16: Vec<i32> = [1.5f32, -2.0]
        .iter()
        .map(|v| i32::from(half::f16::from_f32(*v).to_bits()))
        .collect();
    let inits = [
        tensor("fc.weight", &[2, 3], 1, Data::Raw(&w)),
        tensor("fc.bias", &[2], 1, Data::Floats(&[0.25, -0.25])),
        tensor("half", &[2], 10, Data::Int32(&f16)),
        tensor("shape", &[2], 7, Data::Int64(&[-1, 6])),
        tensor("q", &[3], 3, Data::Raw(&[0x80, 0x00, 0x7f])),
        tensor("text", &[1], 8, Data::Raw(b"")),
    ];
    let then_branch = graph(
        &[node(
            "Constant",
            &["then_c"],
            &[attribute(
                "value",
                Some(&tensor("", &[1], 1, Data::Floats(&[9.0]))),
                None,
            )],
        )],
        &[],
    );
    let else_branch = graph(
        &[],
        &[tensor("else_init", &[2], 1, Data::Floats(&[7.0, 8.0]))],
    );
    let nodes = [
        node(
            "Constant",
            &["const_out"],
            &[attribute(
                "value",
                Some(&tensor("", &[2, 2], 1, Data::Floats(&[1.0, 0.0, 0.0, 1.0]))),
                None,
            )],
        ),
        node(
            "If",
            &["y"],
            &[
                attribute("then_branch", None, Some(&then_branch)),
                attribute("else_branch", None, Some(&else_branch)),
            ],
        ),
        node("Relu", &["z"], &[]),
    ];
    let bytes = onnx_model(&graph(&nodes, &inits));
    let m = model::open_bytes("tiny.onnx", bytes.clone()).unwrap();
    assert_eq!(m.format, FileFormat::Onnx);
    assert!(
        m.metadata
            .contains(&("producer_name".into(), "bitlens-test".into()))
    );
    assert_eq!(load(&m, "fc.weight"), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(m.tensor_info("fc.weight").unwrap().shape, vec![2, 3]);
    assert_eq!(m.tensor_info("fc.weight").unwrap().dtype, "FLOAT");
    assert_eq!(load(&m, "fc.bias"), vec![0.25, -0.25]);
    assert_eq!(load(&m, "half"), vec![1.5, -2.0]);
    assert_eq!(load(&m, "shape"), vec![-1.0, 6.0]);
    assert_eq!(load(&m, "q"), vec![-128.0, 0.0, 127.0]);
    assert!(!m.tensor_info("q").unwrap().supported);
    assert!(!m.tensor_info("text").unwrap().supported);
    assert_eq!(load(&m, "const_out"), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        load(&m, "then_c"),
        vec![9.0],
        "Constant inside an If subgraph"
    );
    assert_eq!(
        load(&m, "else_init"),
        vec![7.0, 8.0],
        "initializer inside a subgraph"
    );
    // Recognised by content even without the extension.
    assert_eq!(
        model::open_bytes("model.bin", bytes).unwrap().format,
        FileFormat::Onnx
    );
}

#[test]
fn onnx_external_data_beside_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut blob = vec![0u8; 16];
    blob.extend_from_slice(&f32_bytes(&[1.0, -1.0, 0.5]));
    std::fs::write(dir.path().join("weights.bin"), &blob).unwrap();
    let kv = [
        ("location", "weights.bin"),
        ("offset", "16"),
        ("length", "12"),
    ];
    let g = graph(&[], &[tensor("ext", &[3], 1, Data::External(&kv))]);
    let path = dir.path().join("m.onnx");
    std::fs::write(&path, onnx_model(&g)).unwrap();
    let m = model::open(&path).unwrap();
    assert_eq!(load(&m, "ext"), vec![1.0, -1.0, 0.5]);

    for (location, want) in [
        ("../weights.bin", "plain path"),
        ("/etc/passwd", "plain path"),
        ("missing.bin", "missing.bin"),
    ] {
        let kv = [("location", location)];
        let g = graph(&[], &[tensor("ext", &[3], 1, Data::External(&kv))]);
        let p = dir.path().join("bad.onnx");
        std::fs::write(&p, onnx_model(&g)).unwrap();
        let e = model::open(&p).unwrap_err().to_string();
        assert!(
            e.contains("bad.onnx") && e.contains(want),
            "{location}: {e}"
        );
    }
    let kv = [
        ("location", "weights.bin"),
        ("offset", "16"),
        ("length", "400"),
    ];
    let g = graph(&[], &[tensor("ext", &[100], 1, Data::External(&kv))]);
    let (_d, p) = write_temp("short.onnx", &onnx_model(&g));
    std::fs::copy(
        dir.path().join("weights.bin"),
        p.with_file_name("weights.bin"),
    )
    .unwrap();
    assert!(model::open(&p).unwrap_err().to_string().contains("outside"));
}

#[test]
fn onnx_bad_input_fails_cleanly() {
    let w = f32_bytes(&[1.0, 2.0]);
    let wrong_len = onnx_model(&graph(&[], &[tensor("w", &[3], 1, Data::Raw(&w))]));
    assert!(
        model::open_bytes("a.onnx", wrong_len)
            .unwrap_err()
            .to_string()
            .contains("raw_data")
    );
    let negative = onnx_model(&graph(&[], &[tensor("w", &[-2], 1, Data::Raw(&w))]));
    assert!(
        model::open_bytes("b.onnx", negative)
            .unwrap_err()
            .to_string()
            .contains("negative")
    );
    let no_graph = {
        let mut m = Vec::new();
        field_uint(&mut m, 1, 8);
        m
    };
    assert!(
        model::open_bytes("c.onnx", no_graph)
            .unwrap_err()
            .to_string()
            .contains("no graph")
    );
    let valid = onnx_model(&graph(
        &[node(
            "Constant",
            &["c"],
            &[attribute(
                "value",
                Some(&tensor("", &[2], 1, Data::Raw(&w))),
                None,
            )],
        )],
        &[tensor("w", &[2], 1, Data::Raw(&w))],
    ));
    for len in 0..valid.len() {
        let r = std::panic::catch_unwind(|| {
            model::open_bytes("t.onnx", valid[..len].to_vec()).map(|m| m.tensors.len())
        });
        assert!(r.is_ok(), "truncated to {len} panicked");
    }
    for pos in 0..valid.len() {
        for v in [0u8, 0xff, 0x80, 0x02] {
            let mut b = valid.clone();
            b[pos] = v;
            let r = std::panic::catch_unwind(|| {
                if let Ok(m) = model::open_bytes("c.onnx", b) {
                    m.tensors.iter().for_each(|t| drop(m.load_tensor(&t.name)));
                }
            });
            assert!(r.is_ok(), "byte {pos} = {v:#x} panicked");
        }
    }
}

/// ONNX seed corpus for `fuzz/` (run: `cargo test --test all write_onnx_fuzz_seeds -- --ignored`).
#[test]
#[ignore = "writes fuzz/corpus/onnx; run by hand before fuzzing"]
fn write_onnx_fuzz_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/onnx");
    std::fs::create_dir_all(&dir).unwrap();
    let w = f32_bytes(&[1.0, 2.0]);
    let sub = graph(
        &[node(
            "Constant",
            &["s"],
            &[attribute(
                "value",
                Some(&tensor("", &[1], 1, Data::Floats(&[9.0]))),
                None,
            )],
        )],
        &[],
    );
    let m = onnx_model(&graph(
        &[node(
            "If",
            &["y"],
            &[attribute("then_branch", None, Some(&sub))],
        )],
        &[
            tensor("w", &[2], 1, Data::Raw(&w)),
            tensor("i", &[2], 7, Data::Int64(&[1, -1])),
            tensor("h", &[1], 10, Data::Int32(&[15360])),
        ],
    ));
    std::fs::write(dir.join("seed.onnx"), m).unwrap();
}
