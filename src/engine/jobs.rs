//! The job code shared by the GUI's worker, the CLI and tests.

use std::path::Path;
use std::sync::Arc;

use super::{
    CancelToken, Config, EventKind, ExportFormat, LoadedModel, Output, Request,
    evaluate_config_cancellable,
};
use crate::eval::{Dataset, Mlp, evaluate};
use crate::model::Model;
use crate::run::NotRunnable;
use crate::tensor::Tensor;

/// Run `request` to completion (or cancellation), reporting through `emit`. Returns `Err` with a
/// message when the job fails; cancellation returns `Ok` (the caller reports it).
pub fn run_job(
    request: &Request,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    match request {
        Request::OpenModel { path } => {
            let model = crate::model::open(path).map_err(|e| e.to_string())?;
            emit(EventKind::Output(Output::Opened(Arc::new(model))));
        }
        Request::TensorStats { model } => tensor_stats(model, cancel, emit),
        Request::Evaluate { model } => {
            let output = match evaluable_mlp(model) {
                Ok((mlp, data)) => Output::Evaluated(Arc::new(evaluate(&mlp, &data))),
                Err(reason) => Output::NotEvaluable(reason),
            };
            emit(EventKind::Output(output));
        }
        Request::Load { model, run } => {
            let loaded = LoadedModel::load_with(model, run)?;
            emit(EventKind::Output(Output::Loaded(Arc::new(loaded))));
        }
        Request::EvaluateConfig { model, config } => {
            emit(EventKind::Progress { done: 0, total: 1 });
            if let Some(point) = evaluate_config_cancellable(model, config, cancel)? {
                emit(EventKind::Output(Output::ConfigEvaluated(Arc::new(point))));
                emit(EventKind::Progress { done: 1, total: 1 });
            }
        }
        Request::Sweep { model, configs } => super::sweep::run(model, configs, cancel, emit)?,
        Request::Sensitivity { model, spec } => super::sensitivity::run(model, spec, cancel, emit)?,
        Request::Preview {
            model,
            tensor,
            config,
            bins,
            evaluate,
            compare,
        } => {
            let job = super::preview::PreviewJob {
                tensor: tensor.as_deref(),
                config,
                bins: *bins,
                evaluate: *evaluate,
                compare: compare.as_ref(),
            };
            super::preview::run(model, &job, cancel, emit)?;
        }
        Request::Probe(probe) => super::probe::run(probe, cancel, emit),
        Request::Demo { kind, seed, epochs } => {
            super::demo::run_demo(*kind, *seed, *epochs, cancel, emit)?;
        }
        Request::ExportModel {
            model,
            config,
            path,
            format,
        } => export_model(model, config, path, *format, cancel, emit)?,
        Request::Activations { model, config } => {
            super::activations::run(model, config, cancel, emit)?;
        }
        Request::WriteFile { path, content } => {
            let bytes = super::write::write_file(path, content)?;
            emit(EventKind::Output(Output::Wrote {
                path: path.clone(),
                bytes,
            }));
        }
    }
    if !cancel.is_cancelled() {
        emit(EventKind::Finished);
    }
    Ok(())
}

/// Write `model` compressed by `config` to `path`, a progress event per tensor, then what was
/// written (nothing when cancelled).
fn export_model(
    model: &LoadedModel,
    config: &Config,
    path: &Path,
    format: ExportFormat,
    cancel: &CancelToken,
    emit: &mut dyn FnMut(EventKind),
) -> Result<(), String> {
    let meta = serde_json::to_string(config).map_err(|e| e.to_string())?;
    let total = model.tensors.len();
    let mut done = 0;
    emit(EventKind::Progress { done, total });
    let exported = super::write_compressed(
        model,
        config,
        format,
        path,
        &[("bitlens.config".to_owned(), meta)],
        cancel,
        &mut |_, _| {
            done += 1;
            emit(EventKind::Progress { done, total });
        },
    )?;
    if let Some(e) = exported {
        emit(EventKind::Output(Output::Exported(super::ModelFile {
            path: path.to_owned(),
            label: config.label.clone(),
            format: e.format,
            bytes: e.bytes,
            promised: e.promised,
            notes: e.notes,
        })));
    }
    Ok(())
}

fn tensor_stats(model: &Model, cancel: &CancelToken, emit: &mut dyn FnMut(EventKind)) {
    let total = model.tensors.len();
    emit(EventKind::Progress { done: 0, total });
    for (index, info) in model.tensors.iter().enumerate() {
        if cancel.is_cancelled() {
            return;
        }
        let stats = model.tensor_stats(&info.name).map_err(|e| e.to_string());
        emit(EventKind::Output(Output::Stats { index, stats }));
        emit(EventKind::Progress {
            done: index + 1,
            total,
        });
    }
}

/// The model as an evaluable MLP with its dataset, or why it is not one.
pub fn evaluable_mlp(model: &Model) -> Result<(Mlp, Dataset), NotRunnable> {
    // Shapes and size first: a model that cannot be an MLP is never decoded.
    let supported = || model.tensors.iter().filter(|t| t.supported);
    Mlp::check_dense(supported().map(|t| (t.name.as_str(), &t.shape[..])))
        .map_err(|e| NotRunnable::NotAnMlp(e.to_string()))?;
    if let Some(reason) = super::loaded::too_large_to_evaluate(model) {
        return Err(reason);
    }
    let tensors = model
        .load_supported()
        .map_err(|e| NotRunnable::Failed(e.to_string()))?;
    mlp_with_dataset(&tensors)
}

/// `tensors` as the built-in evaluator's MLP with the bundled test set, or why they are not one.
pub(super) fn mlp_with_dataset(tensors: &[Tensor]) -> Result<(Mlp, Dataset), NotRunnable> {
    let mlp = Mlp::from_tensors(tensors).map_err(|e| NotRunnable::NotAnMlp(e.to_string()))?;
    let data = Dataset::try_builtin_test().map_err(|e| NotRunnable::Failed(e.to_string()))?;
    if mlp.n_inputs() != data.n_features() {
        return Err(NotRunnable::NotAnMlp(format!(
            "the MLP takes {} inputs; the bundled dataset has {}",
            mlp.n_inputs(),
            data.n_features()
        )));
    }
    Ok((mlp, data))
}
