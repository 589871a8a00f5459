//! `bitlens sweep … --shard K/N` writes one slice of a sweep; `bitlens merge FILE…` joins the
//! slices into exactly the JSON Lines an unsharded `bitlens sweep … --json` prints.
//!
//! # Shard files (JSON Lines)
//!
//! ```text
//! {"shard": {"k": 0, "n": 4}, "model": {...engine::ModelFacts...}, "configs": [...]}   // header
//! {"config": 0, "records": [{"tensor": 3, "name", "shape", "compressed", "size",
//!                            "sums": [8 integers: f64/f32 bit patterns], "notes"}, ...]}
//! {"config": 7, "error": "why the config does not apply"}
//! ```
//! Floats travel as bit patterns, so `merge` folds exactly what the unsharded run folds.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::UsageError;
use super::sweep_cmd::json_lines;
use crate::engine::{
    Config, ModelFacts, RecordOut, ShardPart, ShardSpec, SweepResult, merge_shards,
};

#[derive(Clone, Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard files written by `bitlens sweep … --shard K/N` (any order, all N of them).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    shard: ShardSpec,
    model: ModelFacts,
    configs: Vec<Config>,
}

#[derive(Serialize, Deserialize)]
struct ConfigLine {
    config: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    records: Option<Vec<RecordOut>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The lines of a shard file.
pub(crate) fn shard_lines(part: ShardPart) -> Result<Vec<String>> {
    let header = Header {
        shard: part.shard,
        model: part.model,
        configs: part.configs,
    };
    let mut out = vec![serde_json::to_string(&header)?];
    for (config, r) in part.results.into_iter().enumerate() {
        let (records, error) = match r {
            Ok(recs) => (Some(recs), None),
            Err(e) => (None, Some(e)),
        };
        out.push(serde_json::to_string(&ConfigLine {
            config,
            records,
            error,
        })?);
    }
    Ok(out)
}

fn read_shard(path: &Path) -> Result<ShardPart> {
    let bad = |what: String| UsageError(format!("{}: {what}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Header = lines
        .next()
        .ok_or_else(|| bad("empty file, not a shard of `bitlens sweep --shard`".into()))
        .and_then(|l| {
            serde_json::from_str(l).map_err(|e| {
                bad(format!(
                    "not a shard header of `bitlens sweep --shard`: {e}"
                ))
            })
        })?;
    let mut results: Vec<Option<Result<Vec<RecordOut>, String>>> = vec![None; header.configs.len()];
    for (n, line) in lines.enumerate() {
        let c: ConfigLine =
            serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", n + 2)))?;
        let slot = results.get_mut(c.config).ok_or_else(|| {
            bad(format!(
                "line {}: config {} is not in the header",
                n + 2,
                c.config
            ))
        })?;
        *slot = Some(match (c.records, c.error) {
            (Some(r), None) => Ok(r),
            (None, Some(e)) => Err(e),
            _ => return Err(bad(format!("line {}: needs records or error", n + 2)).into()),
        });
    }
    let results = results
        .into_iter()
        .enumerate()
        .map(|(c, r)| r.ok_or_else(|| bad(format!("config {c} has no line (truncated file?)"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ShardPart {
        shard: header.shard,
        model: header.model,
        configs: header.configs,
        results,
    })
}

pub fn run(a: &MergeArgs) -> Result<()> {
    let parts = a
        .files
        .iter()
        .map(|p| read_shard(p))
        .collect::<Result<Vec<_>>>()?;
    let labels: Vec<String> = parts[0].configs.iter().map(|c| c.label.clone()).collect();
    let why = parts[0].model.not_evaluable.clone();
    let (points, front, objective) = merge_shards(parts).map_err(UsageError)?;
    let mut result = SweepResult {
        points: Vec::with_capacity(points.len()),
        failed: Vec::new(),
        objective,
        front,
    };
    for (index, p) in points.into_iter().enumerate() {
        match p {
            Ok(p) => result.points.push(Some(std::sync::Arc::new(p))),
            Err(e) => {
                result.points.push(None);
                result.failed.push((index, labels[index].clone(), e));
            }
        }
    }
    for line in json_lines(&result, why.as_deref())? {
        outln!("{line}");
    }
    Ok(())
}
