//! Writing a compressed model: every loaded tensor streamed into a safetensors file as F32 (the
//! compressed ones dequantized, the others as stored), one tensor in memory at a time, written
//! atomically (temporary file, then rename). The CLI's `quantize --out` and the app's export
//! both come here ([`super::Request::ExportModel`] in the app: progress, cancel, a waker).

use std::path::Path;

use super::CancelToken;
use super::config::{Config, ConfigPoint, compress_each};
use super::loaded::LoadedModel;
use crate::compress::Compressed;
use crate::model;

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct Exported {
    pub point: ConfigPoint,
    /// The file's size on disk.
    pub bytes: u64,
}

/// Compress `model` under `config` into `path` with `meta` as the `__metadata__`; `on_tensor`
/// sees each tensor as it is written. `Ok(None)`: cancelled (nothing is left at `path`).
pub fn write_compressed(
    model: &LoadedModel,
    config: &Config,
    path: &Path,
    meta: &[(String, String)],
    cancel: &CancelToken,
    on_tensor: &mut dyn FnMut(usize, Option<&Compressed>),
) -> Result<Option<Exported>, String> {
    let shapes: Vec<(&str, &[usize])> = model
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), &t.shape[..]))
        .collect();
    let header = model::f32_header(&shapes, meta);
    let mut point = None;
    model::write_atomic_with(path, &mut |w| {
        w.write_all(&header).map_err(|e| e.to_string())?;
        let mut failed: Option<String> = None;
        let mut each = |i: usize, c: Option<&Compressed>| {
            on_tensor(i, c);
            if failed.is_some() {
                return;
            }
            let written = match c {
                Some(c) => w
                    .write_all(&model::f32_bytes(&c.dequantized))
                    .map_err(|e| e.to_string()),
                None => model.data(i).and_then(|t| {
                    w.write_all(&model::f32_bytes(&t.data))
                        .map_err(|e| e.to_string())
                }),
            };
            failed = written.err();
        };
        let p = compress_each(model, config, cancel, &mut each)?;
        if let Some(e) = failed {
            return Err(e);
        }
        // Cancelled: fail the write so the temporary file is removed and nothing is renamed.
        point = Some(p.ok_or("cancelled")?);
        Ok(())
    })
    .or_else(|e| {
        if cancel.is_cancelled() {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    let Some(point) = point else {
        return Ok(None);
    };
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(Exported { point, bytes }))
}
