//! Checkpoints in several files: a sharded safetensors set (from its index, a shard, or the
//! folder), split GGUF, and the bad sets (missing, truncated, mismatched, duplicated shards; an
//! index reaching outside its folder; a folder with no weights).

use std::path::{Path, PathBuf};

use bitlens::model::{self, FileFormat, Model};
use bitlens::tensor::Tensor;

use super::cli_support::{bitlens, json_lines, json_ok, usage_error};
use super::model_support::t;

/// bf16 bytes of `v` (truncation: the test values are exact in bf16).
fn bf16(v: &[f32]) -> Vec<u8> {
    v.iter()
        .flat_map(|x| ((x.to_bits() >> 16) as u16).to_le_bytes())
        .collect()
}

/// A bf16 safetensors file of `tensors`.
fn bf16_file(tensors: &[Tensor]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for x in tensors {
        let b = bf16(&x.data);
        header.insert(
            x.name.clone(),
            serde_json::json!({"dtype": "BF16", "shape": x.shape,
                               "data_offsets": [data.len(), data.len() + b.len()]}),
        );
        data.extend_from_slice(&b);
    }
    let mut json = serde_json::to_vec(&serde_json::Value::Object(header)).unwrap();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&data);
    out
}

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 2001) as f32 / 1000.0 - 1.0)
        .map(|v| f32::from_bits(v.to_bits() & 0xffff_0000))
        .collect()
}

/// The model's tensors, three shards of it, and the files written to a fresh folder.
struct Set {
    dir: tempfile::TempDir,
    tensors: Vec<Tensor>,
    shards: Vec<Vec<usize>>,
}

impl Set {
    fn new() -> Self {
        let tensors = vec![
            t("embed.weight", &[16, 8], &values(128, 1)),
            t("layers.0.q.weight", &[8, 8], &values(64, 2)),
            t("layers.0.norm.weight", &[8], &values(8, 3)),
            t("layers.1.q.weight", &[8, 8], &values(64, 4)),
            t("lm_head.weight", &[16, 8], &values(128, 5)),
        ];
        let set = Self {
            dir: tempfile::tempdir().unwrap(),
            tensors,
            shards: vec![vec![0, 1], vec![2, 3], vec![4]],
        };
        for k in 0..3 {
            set.write_shard(k, &set.shards[k]);
        }
        set.write_index(&set.weight_map());
        set
    }

    fn shard_name(k: usize) -> String {
        format!("model-{:05}-of-00003.safetensors", k + 1)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write_shard(&self, k: usize, which: &[usize]) {
        let ts: Vec<Tensor> = which.iter().map(|&i| self.tensors[i].clone()).collect();
        std::fs::write(self.path(&Self::shard_name(k)), bf16_file(&ts)).unwrap();
    }

    fn weight_map(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        for (k, which) in self.shards.iter().enumerate() {
            for &i in which {
                map.insert(self.tensors[i].name.clone(), Self::shard_name(k).into());
            }
        }
        map
    }

    fn write_index(&self, map: &serde_json::Map<String, serde_json::Value>) {
        let index = serde_json::json!({"metadata": {"total_size": 784}, "weight_map": map});
        std::fs::write(self.path(model::INDEX_NAME), index.to_string()).unwrap();
    }

    fn index(&self) -> PathBuf {
        self.path(model::INDEX_NAME)
    }
}

fn same_values(m: &Model, tensors: &[Tensor]) {
    assert_eq!(m.tensors.len(), tensors.len());
    for x in tensors {
        let got = m.load_tensor(&x.name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.shape, x.shape, "{}", x.name);
        assert_eq!(got.data, x.data, "{}", x.name);
        let info = m.tensor_info(&x.name).unwrap();
        assert_eq!(
            (info.dtype.as_str(), info.size_bytes),
            ("BF16", 2 * x.data.len() as u64)
        );
    }
}

#[test]
fn a_sharded_set_opens_from_its_index_and_from_its_folder() {
    let set = Set::new();
    for path in [set.index(), set.dir.path().to_owned()] {
        let m = model::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.format, FileFormat::Safetensors);
        assert_eq!(m.files.len(), 3, "{path:?}");
        same_values(&m, &set.tensors);
        assert!(m.metadata.contains(&("shards".into(), "3".into())));
        assert!(
            m.metadata
                .contains(&("index.total_size".into(), "784".into()))
        );
    }
}

#[test]
fn one_shard_opens_alone_and_offers_the_whole_set() {
    let set = Set::new();
    let m = model::open(&set.path(&Set::shard_name(1))).unwrap();
    assert_eq!(m.tensors.len(), 2);
    assert_eq!(m.whole_set.as_deref(), Some(set.index().as_path()));
    let whole = model::open(m.whole_set.as_ref().unwrap()).unwrap();
    assert_eq!(whole.tensors.len(), 5);
}

#[test]
fn a_folder_without_an_index_opens_its_complete_shard_set() {
    let set = Set::new();
    std::fs::remove_file(set.index()).unwrap();
    std::fs::write(
        set.path("config.json"),
        r#"{"model_type": "llama", "hidden_size": 8}"#,
    )
    .unwrap();
    let m = model::open(set.dir.path()).unwrap();
    same_values(&m, &set.tensors);
    assert!(
        m.metadata
            .contains(&("config.model_type".into(), "llama".into()))
    );
    assert!(
        m.metadata
            .contains(&("config.hidden_size".into(), "8".into()))
    );
    // A shard alone now offers the folder.
    let one = model::open(&set.path(&Set::shard_name(0))).unwrap();
    assert_eq!(one.whole_set.as_deref(), Some(set.dir.path()));
}

/// The error of opening `path`, which must name `needle` and `names`.
#[track_caller]
fn refused(path: &Path, names: &str, needle: &str) {
    let e = model::open(path)
        .expect_err("should be refused")
        .to_string();
    assert!(e.contains(names), "error should name {names}: {e}");
    assert!(e.contains(needle), "error should say {needle:?}: {e}");
}

#[test]
fn bad_sets_are_refused_naming_the_file() {
    let set = Set::new();
    std::fs::remove_file(set.path(&Set::shard_name(2))).unwrap();
    refused(&set.index(), &Set::shard_name(2), "missing");

    let set = Set::new();
    let full = std::fs::read(set.path(&Set::shard_name(1))).unwrap();
    std::fs::write(set.path(&Set::shard_name(1)), &full[..full.len() - 10]).unwrap();
    refused(&set.index(), &Set::shard_name(1), "outside");

    // A tensor the index puts in another shard.
    let set = Set::new();
    let mut map = set.weight_map();
    map.insert("lm_head.weight".into(), Set::shard_name(0).into());
    set.write_index(&map);
    refused(&set.index(), "lm_head.weight", "index puts");

    // The same tensor in two shards (a duplicated shard).
    let set = Set::new();
    set.write_shard(2, &[4, 0]);
    refused(&set.index(), "embed.weight", "index puts in");

    // A shard holding a tensor the index does not list.
    let set = Set::new();
    let mut map = set.weight_map();
    map.remove("layers.1.q.weight");
    set.write_index(&map);
    refused(&set.index(), "layers.1.q.weight", "does not list");

    // The index lists a tensor its shard lacks.
    let set = Set::new();
    let mut map = set.weight_map();
    map.insert("ghost.weight".into(), Set::shard_name(0).into());
    set.write_index(&map);
    refused(&set.index(), "ghost.weight", "does not hold");

    // An index reaching outside its folder.
    let set = Set::new();
    let mut map = set.weight_map();
    map.insert("embed.weight".into(), "../elsewhere.safetensors".into());
    set.write_index(&map);
    refused(
        &set.index(),
        "../elsewhere.safetensors",
        "outside the index's folder",
    );

    // Not JSON, no weight_map.
    let set = Set::new();
    std::fs::write(set.index(), "{not json").unwrap();
    refused(&set.index(), model::INDEX_NAME, "not valid JSON");
    std::fs::write(set.index(), r#"{"metadata": {}}"#).unwrap();
    refused(&set.index(), model::INDEX_NAME, "weight_map");

    // Without an index, an incomplete set names the missing shard.
    let set = Set::new();
    std::fs::remove_file(set.index()).unwrap();
    std::fs::remove_file(set.path(&Set::shard_name(1))).unwrap();
    refused(set.dir.path(), &Set::shard_name(1), "missing");
}

#[test]
fn a_folder_with_no_weights_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{}").unwrap();
    std::fs::write(dir.path().join("tokenizer.json"), "{}").unwrap();
    refused(
        dir.path(),
        &dir.path().display().to_string(),
        "no model weights",
    );
}

#[test]
fn a_split_gguf_opens_whole_from_any_split() {
    let dir = tempfile::tempdir().unwrap();
    let a = values(64, 7);
    let b = values(32, 8);
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let (ab, bb) = (f32s(&a), f32s(&b));
    let splits = [
        model::write_gguf(&[("general.name", "tiny")], &[("a", &[8, 8], 0, &ab)]),
        model::write_gguf(&[], &[("b", &[4, 8], 0, &bb)]),
    ];
    for (k, bytes) in splits.iter().enumerate() {
        let name = format!("tiny-{:05}-of-00002.gguf", k + 1);
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    for k in [1, 2] {
        let m = model::open(&dir.path().join(format!("tiny-0000{k}-of-00002.gguf"))).unwrap();
        assert_eq!(m.format, FileFormat::Gguf);
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.load_tensor("a").unwrap().data, a);
        assert_eq!(m.load_tensor("b").unwrap().data, b);
    }
    let folder = model::open(dir.path()).unwrap();
    assert_eq!(folder.tensors.len(), 2);
    std::fs::remove_file(dir.path().join("tiny-00002-of-00002.gguf")).unwrap();
    refused(
        &dir.path().join("tiny-00001-of-00002.gguf"),
        "tiny-00002-of-00002.gguf",
        "missing",
    );
}

#[test]
fn the_cli_reads_an_index_a_folder_and_reports_the_file_as_stored() {
    let set = Set::new();
    let index = set.index();
    let v = json_ok(&bitlens([
        "inspect".as_ref(),
        index.as_os_str(),
        "--json".as_ref(),
    ]));
    assert_eq!(v["totals"]["tensors"], 5);
    assert_eq!(v["totals"]["n_params"], 392);
    let lines = json_lines(&bitlens([
        "sweep".as_ref(),
        "--model".as_ref(),
        set.dir.path().as_os_str(),
        "--bits".as_ref(),
        "4".as_ref(),
        "--json".as_ref(),
    ]));
    let base = &lines[0];
    assert_eq!(base["label"], "bf16");
    assert_eq!(base["dtype"], "BF16");
    assert_eq!(base["bits_per_weight"], 16.0);
    assert_eq!(base["original_bits_per_weight"], 16.0);
    assert_eq!(base["size_bytes"], 784);
    assert_eq!(base["f32_bytes"], 1568);
    assert!(base["sqnr_db"].is_null(), "the baseline is exact");
    // int4 per channel: the 1-D norm stays bf16, so the ratio is against the file.
    let int4 = &lines[1];
    // (8×8 toy tensors: one f32 scale per 8 weights adds 4 bits per weight.)
    assert!(int4["bits_per_weight"].as_f64().unwrap() < 9.0, "{int4}");
    assert_eq!(int4["original_bits_per_weight"], 16.0);
    let mut missing = set.dir.path().to_owned();
    missing.push("nope.index.json");
    let e = usage_error(&bitlens(["inspect".as_ref(), missing.as_os_str()]));
    assert!(e.contains("nope.index.json"), "{e}");
}

#[test]
fn sweep_shards_merge_into_the_unsharded_json_lines() {
    let set = Set::new();
    let folder = set.dir.path().as_os_str().to_owned();
    let sweep = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> =
            vec!["sweep".into(), "--model".into(), folder.clone()];
        args.extend(["--preset", "lecture", "--json"].map(Into::into));
        args.extend(extra.iter().map(|s| (*s).into()));
        super::cli_support::stdout_ok(&bitlens(args))
    };
    let whole = sweep(&[]);
    let mut files = Vec::new();
    for k in 0..3 {
        let path = set.path(&format!("part{k}.jsonl"));
        std::fs::write(&path, sweep(&["--shard", &format!("{k}/3")])).unwrap();
        files.push(path);
    }
    files.reverse();
    let mut args: Vec<std::ffi::OsString> = vec!["merge".into()];
    args.extend(files.iter().map(|p| p.as_os_str().to_owned()));
    let merged = super::cli_support::stdout_ok(&bitlens(args));
    assert_eq!(merged, whole, "merge prints exactly the unsharded sweep");
    // Bad input: a missing shard, a file that is not a shard, a bad --shard.
    let e = usage_error(&bitlens([
        "merge".as_ref(),
        files[0].as_os_str(),
        files[1].as_os_str(),
    ]));
    assert!(e.contains("missing"), "{e}");
    let e = usage_error(&bitlens(["merge".as_ref(), set.index().as_os_str()]));
    assert!(e.contains(model::INDEX_NAME), "{e}");
    let e = usage_error(&bitlens([
        "sweep".as_ref(),
        "--model".as_ref(),
        folder.as_os_str(),
        "--shard".as_ref(),
        "3/3".as_ref(),
    ]));
    assert!(e.contains("--shard"), "{e}");
}
