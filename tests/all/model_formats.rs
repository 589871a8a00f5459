//! Loaders on small valid files: safetensors (all decoded dtypes), .npy (LE/BE, C/Fortran),
//! .npz (stored and deflated), GGUF (float, integer and block-quantized tensors).

use bitlens::model::{self, FileFormat, Model};

use super::model_support::{raw_safetensors, t, write_temp, zip_deflated, zip_stored};

fn load(m: &Model, name: &str) -> Vec<f32> {
    m.load_tensor(name).unwrap_or_else(|e| panic!("{e}")).data
}

#[test]
fn safetensors_round_trip_from_disk_with_metadata() {
    let tensors = [
        t(
            "a.weight",
            &[2, 3],
            &[1.0, -2.0, 3.5, 0.0, f32::NAN, f32::INFINITY],
        ),
        t("a.bias", &[2], &[0.5, -0.5]),
    ];
    let bytes = model::write_safetensors_f32(&tensors, &[("format".into(), "pt".into())]);
    let (_d, path) = write_temp("m.safetensors", &bytes);
    let m = model::open(&path).unwrap();
    assert_eq!(m.format, FileFormat::Safetensors);
    assert_eq!(m.metadata, vec![("format".to_string(), "pt".to_string())]);
    assert_eq!(m.tensors.len(), 2);
    assert_eq!(m.tensors[0].name, "a.weight", "listed in file order");
    assert_eq!(m.tensors[0].shape, vec![2, 3]);
    assert_eq!(m.tensors[0].size_bytes, 24);
    assert!(m.tensors[0].supported);
    let w = load(&m, "a.weight");
    assert_eq!(&w[..4], &[1.0, -2.0, 3.5, 0.0]);
    assert!(w[4].is_nan() && w[5] == f32::INFINITY);
    let s = m.tensor_stats("a.weight").unwrap();
    assert_eq!((s.nan_count, s.inf_count, s.max), (1, 1, 3.5));
    assert_eq!(m.path.as_deref(), Some(path.as_path()));
}

#[test]
fn safetensors_every_decoded_dtype() {
    let f16 = half::f16::from_f32(1.5).to_bits().to_le_bytes();
    let bf16 = half::bf16::from_f32(-2.0).to_bits().to_le_bytes();
    let mut data = Vec::new();
    let mut header = Vec::new();
    let mut add = |name: &str, dtype: &str, bytes: &[u8]| {
        let begin = data.len();
        data.extend_from_slice(bytes);
        header.push(format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[{begin},{}]}}",
            data.len()
        ));
    };
    add("f64", "F64", &2.25f64.to_le_bytes());
    add("f32", "F32", &(-0.5f32).to_le_bytes());
    add("f16", "F16", &f16);
    add("bf16", "BF16", &bf16);
    add("e4m3", "F8_E4M3", &[0x7e]);
    add("e5m2", "F8_E5M2", &[0x3c]);
    add("i64", "I64", &(-7i64).to_le_bytes());
    add("i32", "I32", &(123_456i32).to_le_bytes());
    add("i16", "I16", &(-300i16).to_le_bytes());
    add("i8", "I8", &[0xff]);
    add("u8", "U8", &[200]);
    add("bool", "BOOL", &[1]);
    let header = format!("{{{}}}", header.join(","));
    let m = model::open_bytes("x.safetensors", raw_safetensors(&header, &data)).unwrap();
    let expect = [
        ("f64", 2.25, true),
        ("f32", -0.5, true),
        ("f16", 1.5, true),
        ("bf16", -2.0, true),
        ("e4m3", 448.0, true),
        ("e5m2", 1.0, true),
        ("i64", -7.0, false),
        ("i32", 123_456.0, false),
        ("i16", -300.0, false),
        ("i8", -1.0, false),
        ("u8", 200.0, false),
        ("bool", 1.0, false),
    ];
    for (name, value, float) in expect {
        assert_eq!(load(&m, name), vec![value], "{name}");
        assert_eq!(
            m.tensor_info(name).unwrap().supported,
            float,
            "{name} offered for compression"
        );
    }
    assert_eq!(m.tensor_info("e4m3").unwrap().dtype, "F8_E4M3");
}

#[test]
fn safetensors_sub_byte_dtypes_are_listed_unsupported() {
    let header = r#"{"q":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#;
    let m = model::open_bytes("x.safetensors", raw_safetensors(header, &[0, 0])).unwrap();
    let info = m.tensor_info("q").unwrap();
    assert!(!info.supported);
    assert_eq!(info.dtype, "F4");
    assert!(m.load_tensor("q").unwrap_err().to_string().contains("F4"));
}

fn npy_header(descr: &str, fortran: bool, shape: &str) -> Vec<u8> {
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out
}

#[test]
fn npy_little_and_big_endian_c_and_fortran() {
    // Logical array [[0, 1, 2], [3, 4, 5]].
    let mut le = npy_header("<f4", false, "(2, 3)");
    (0..6).for_each(|i| le.extend_from_slice(&(i as f32).to_le_bytes()));
    let mut be = npy_header(">f8", false, "(2, 3)");
    (0..6).for_each(|i| be.extend_from_slice(&f64::from(i).to_be_bytes()));
    let mut fortran = npy_header("<i2", true, "(2, 3)");
    for v in [0i16, 3, 1, 4, 2, 5] {
        fortran.extend_from_slice(&v.to_le_bytes());
    }
    let mut fortran_be = npy_header(">f4", true, "(2, 3)");
    for v in [0.0f32, 3.0, 1.0, 4.0, 2.0, 5.0] {
        fortran_be.extend_from_slice(&v.to_be_bytes());
    }
    let want: Vec<f32> = (0..6).map(|i| i as f32).collect();
    for (label, bytes) in [
        ("le", le),
        ("be", be),
        ("fortran", fortran),
        ("fortran_be", fortran_be),
    ] {
        let (_d, path) = write_temp("a.npy", &bytes);
        let m = model::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(m.format, FileFormat::Npy);
        assert_eq!(m.tensors[0].shape, vec![2, 3], "{label}");
        assert_eq!(load(&m, "array"), want, "{label}");
    }
}

#[test]
fn npz_stored_and_deflated() {
    let a = model::write_npy_f32(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let b = model::write_npy_f32(&[3], &[-1.0, 0.0, 1.0]);
    for (label, bytes) in [
        ("stored", zip_stored(&[("w.npy", &a), ("b.npy", &b)])),
        ("deflated", zip_deflated(&[("w.npy", &a), ("b.npy", &b)])),
    ] {
        let m = model::open_bytes("x.npz", bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(m.format, FileFormat::Npz);
        assert_eq!(
            m.tensors
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["w", "b"]
        );
        assert_eq!(load(&m, "w"), vec![1.0, 2.0, 3.0, 4.0], "{label}");
        assert_eq!(load(&m, "b"), vec![-1.0, 0.0, 1.0], "{label}");
    }
}

#[test]
fn gguf_float_int_and_quantized_tensors() {
    use bitlens::compress::ggml_blocks::{GgmlType, dequantize, quantize};
    let values: Vec<f32> = (0..64).map(|i| ((i as f32) * 0.37).sin()).collect();
    let f32_bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let f16_bytes: Vec<u8> = values
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_bits().to_le_bytes())
        .collect();
    let q8 = quantize(GgmlType::Q8_0, &values).unwrap();
    let q4k_values: Vec<f32> = (0..256).map(|i| ((i as f32) * 0.11).cos()).collect();
    let q4k = quantize(GgmlType::Q4_K, &q4k_values).unwrap();
    let i32_bytes: Vec<u8> = [1i32, -2, 3, -4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bytes = model::write_gguf(
        &[("general.architecture", "test"), ("general.name", "tiny")],
        &[
            ("w.f32", &[2, 32], 0, &f32_bytes),
            ("w.f16", &[2, 32], 1, &f16_bytes),
            ("w.q8_0", &[2, 32], 8, &q8),
            ("w.q4_k", &[1, 256], 12, &q4k),
            ("ids", &[4], 26, &i32_bytes),
            ("w.iq2", &[256], 16, &[0u8; 66]),
        ],
    );
    let (_d, path) = write_temp("tiny.gguf", &bytes);
    let m = model::open(&path).unwrap();
    assert_eq!(m.format, FileFormat::Gguf);
    assert!(
        m.metadata
            .contains(&("general.name".to_string(), "tiny".to_string()))
    );
    assert_eq!(m.tensor_info("w.f32").unwrap().shape, vec![2, 32]);
    assert_eq!(load(&m, "w.f32"), values);
    let f16_back = load(&m, "w.f16");
    assert!(
        f16_back
            .iter()
            .zip(&values)
            .all(|(a, b)| (a - b).abs() < 1e-3)
    );
    assert_eq!(
        load(&m, "w.q8_0"),
        dequantize(GgmlType::Q8_0, &q8, 64).unwrap()
    );
    assert_eq!(
        load(&m, "w.q4_k"),
        dequantize(GgmlType::Q4_K, &q4k, 256).unwrap()
    );
    assert_eq!(m.tensor_info("w.q4_k").unwrap().dtype, "Q4_K");
    assert_eq!(m.tensor_info("w.q4_k").unwrap().size_bytes, 144);
    assert_eq!(load(&m, "ids"), vec![1.0, -2.0, 3.0, -4.0]);
    assert!(!m.tensor_info("ids").unwrap().supported);
    let iq2 = m.tensor_info("w.iq2").unwrap();
    assert_eq!((iq2.dtype.as_str(), iq2.supported), ("IQ2_XXS", false));
    assert!(m.load_tensor("w.iq2").is_err());
}

#[test]
fn format_is_recognised_by_content_not_extension() {
    let bytes = model::write_safetensors_f32(&[t("x", &[1], &[1.0])], &[]);
    let m = model::open_bytes("weights.bin", bytes).unwrap();
    assert_eq!(m.format, FileFormat::Safetensors);
    let npy = model::write_npy_f32(&[1], &[2.0]);
    assert_eq!(
        model::open_bytes("data.safetensors", npy).unwrap().format,
        FileFormat::Npy
    );
}

#[test]
fn builtin_model_lists_pytorch_layout_weights() {
    let m = Model::builtin();
    assert_eq!(m.format, FileFormat::Builtin);
    let names: Vec<&str> = m.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias"
        ]
    );
    assert_eq!(m.tensor_info("fc1.weight").unwrap().shape, vec![128, 784]);
    assert_eq!(m.n_params(), 109_386);
    assert!(m.metadata.iter().any(|(k, _)| k == "card"));
}

#[test]
fn a_one_gigabyte_safetensors_file_lists_in_under_half_a_second() {
    // 16 tensors of 16 Mi f32 (1 GiB) plus a small one at the end; the file is sparse on disk.
    let mut entries = Vec::new();
    let mut offset = 0u64;
    for i in 0..16 {
        let len = 4u64 << 24;
        entries.push(format!(
            "\"layer{i}.weight\":{{\"dtype\":\"F32\",\"shape\":[4096,4096],\"data_offsets\":[{offset},{}]}}",
            offset + len
        ));
        offset += len;
    }
    entries.push(format!(
        "\"tail\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[{offset},{}]}}",
        offset + 8
    ));
    let header = format!("{{{}}}", entries.join(","));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.safetensors");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(&(header.len() as u64).to_le_bytes()).unwrap();
        f.write_all(header.as_bytes()).unwrap();
        f.seek(SeekFrom::Current(offset as i64)).unwrap();
        f.write_all(&[0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]).unwrap();
    }
    let start = std::time::Instant::now();
    let m = model::open(&path).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(m.tensors.len(), 17);
    assert_eq!(m.n_params(), 16 * 4096 * 4096 + 2);
    assert!(elapsed.as_secs_f64() < 0.5, "listing took {elapsed:?}");
    assert_eq!(load(&m, "tail"), vec![1.0, 2.0]);
}

#[test]
fn gguf_v2_reads_like_v3() {
    let vals: Vec<u8> = (0..32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let mut bytes = model::write_gguf(
        &[("general.alignment_note", "v2")],
        &[("w", &[32], 0, &vals)],
    );
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    let m = model::open_bytes("v2.gguf", bytes).unwrap();
    assert!(
        m.metadata
            .contains(&("gguf.version".to_string(), "2".to_string()))
    );
    assert_eq!(load(&m, "w"), (0..32).map(|i| i as f32).collect::<Vec<_>>());
}

#[test]
fn model_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Model>();
    assert_send_sync::<bitlens::eval::Mlp>();
    assert_send_sync::<bitlens::eval::Dataset>();
}

#[test]
fn safetensors_header_of_640_bytes_is_not_mistaken_for_a_pickle() {
    // 640 = 0x0280: the file starts with 80 02, like a protocol-2 pickle.
    let mut header = r#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.to_string();
    while header.len() < 640 {
        header.push(' ');
    }
    let bytes = super::model_support::raw_safetensors(&header, &1.0f32.to_le_bytes());
    assert_eq!(&bytes[..2], &[0x80, 0x02]);
    let m = model::open_bytes("w.safetensors", bytes).unwrap();
    assert_eq!(m.format, FileFormat::Safetensors);
    assert_eq!(load(&m, "w"), vec![1.0]);
}
