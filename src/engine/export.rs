//! Writing a compressed model: every tensor the config changes streamed into a safetensors file
//! dequantized as F32, every other tensor copied with its stored bytes and dtype (a bf16 norm
//! stays bf16; `position_ids` and masks byte for byte), one tensor in memory at a time, written
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
    // The loaded (float) tensors as F32, then the file's integer tensors copied as stored.
    let file = model.source();
    let copied: Vec<(usize, &'static str, usize)> = file.map_or_else(Vec::new, |f| {
        (0..f.tensors.len())
            .filter(|&i| !f.tensors[i].supported)
            .filter_map(|i| f.raw_integer_tensor(i).map(|(dt, b)| (i, dt, b.len())))
            .collect()
    });
    // Tensors the config leaves alone keep their stored bytes and dtype.
    let in_file: std::collections::HashMap<&str, usize> = file.map_or_else(Default::default, |f| {
        f.tensors
            .iter()
            .enumerate()
            .map(|(k, t)| (t.name.as_str(), k))
            .collect()
    });
    let stored: Vec<Option<(usize, &'static str, usize)>> = (0..model.tensors.len())
        .map(|i| {
            if super::config::touches(model, config, i) {
                return None;
            }
            let k = *in_file.get(model.tensors[i].name.as_str())?;
            let (dtype, len) = file?.raw_layout(k)?;
            Some((k, dtype, len))
        })
        .collect();
    let mut entries: Vec<(&str, &str, &[usize], usize)> = model
        .tensors
        .iter()
        .zip(&stored)
        .map(|(t, s)| match s {
            Some((_, dtype, len)) => (t.name.as_str(), *dtype, &t.shape[..], *len),
            None => (t.name.as_str(), "F32", &t.shape[..], 4 * t.len),
        })
        .collect();
    if let Some(f) = file {
        for &(i, dtype, len) in &copied {
            entries.push((
                f.tensors[i].name.as_str(),
                dtype,
                &f.tensors[i].shape[..],
                len,
            ));
        }
    }
    let header = model::stream_header(&entries, meta);
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
                None => match stored[i] {
                    Some((k, ..)) => file
                        .and_then(|f| f.raw_tensor(k))
                        .ok_or_else(|| {
                            let name = &model.tensors[i].name;
                            format!("{}: tensor `{name}` cannot be read as stored", model.label)
                        })
                        .and_then(|(_, bytes)| w.write_all(&bytes).map_err(|e| e.to_string())),
                    None => model.data(i).and_then(|t| {
                        w.write_all(&model::f32_bytes(&t.data))
                            .map_err(|e| e.to_string())
                    }),
                },
            };
            failed = written.err();
        };
        let p = compress_each(model, config, cancel, &mut each)?;
        if let Some(e) = failed {
            return Err(e);
        }
        for &(i, _, _) in &copied {
            let bytes = file.and_then(|f| f.raw_integer_tensor(i)).map(|(_, b)| b);
            w.write_all(&bytes.unwrap_or_default())
                .map_err(|e| e.to_string())?;
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
