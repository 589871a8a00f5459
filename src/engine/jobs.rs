//! The job code shared by the GUI's worker, the CLI and tests.

use std::sync::Arc;

use super::{CancelToken, EventKind, Output, Request};
use crate::eval::{Dataset, Mlp, evaluate};
use crate::model::Model;

/// Run `request` to completion (or cancellation), reporting through `emit`. Returns `Err` with a
/// message when the job fails; cancellation returns `Ok` (the caller reports it).
pub fn run_job(request: &Request, cancel: &CancelToken, emit: &mut dyn FnMut(EventKind)) -> Result<(), String> {
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
    }
    if !cancel.is_cancelled() {
        emit(EventKind::Finished);
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
        emit(EventKind::Progress { done: index + 1, total });
    }
}

/// The model as an evaluable MLP with its dataset, or why it is not one.
pub fn evaluable_mlp(model: &Model) -> Result<(Mlp, Dataset), String> {
    let tensors = model.load_supported().map_err(|e| e.to_string())?;
    let mlp = Mlp::from_tensors(&tensors).map_err(|e| e.to_string())?;
    let data = Dataset::try_builtin_test().map_err(|e| e.to_string())?;
    if mlp.n_inputs() != data.n_features() {
        return Err(format!("the MLP takes {} inputs; the bundled dataset has {}", mlp.n_inputs(), data.n_features()));
    }
    Ok((mlp, data))
}
