//! What the status line says about a finished or failed job, as data ([`Message`]): the shell
//! words it in the UI language when it arrives.

use std::path::PathBuf;

use crate::engine::{EventKind, ModelFile, Output};
use crate::ui::i18n::{Lang, fill, tr};
use crate::ui::model_panel::size_calc::human_bytes;

/// One status-line message.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A job failed: the engine's message (it names the file or the problem).
    Failed(String),
    /// A file could not be written.
    WriteFailed(String),
    /// An export failed.
    ExportFailed(String),
    /// A file was written.
    Wrote { path: PathBuf, bytes: u64 },
    /// A compressed model was written.
    Exported(ModelFile),
}

impl Message {
    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Failed(m) => m.clone(),
            Self::WriteFailed(m) => fill(tr(lang, "status.write_failed"), &[m]),
            Self::ExportFailed(m) => fill(tr(lang, "status.export_failed"), &[m]),
            Self::Wrote { path, bytes } => fill(
                tr(lang, "status.wrote"),
                &[&path.display().to_string(), &bytes.to_string()],
            ),
            Self::Exported(file) => {
                let mut s = fill(
                    tr(lang, "status.exported"),
                    &[
                        &file.path.display().to_string(),
                        &file.label,
                        &human_bytes(file.bytes as f64),
                        &human_bytes(file.promised as f64),
                    ],
                );
                for note in &file.notes {
                    s.push_str(" · ");
                    s.push_str(&crate::ui::i18n_core::export_note(lang, note));
                }
                s
            }
        }
    }
}

/// A model export in progress.
#[derive(Clone, Debug, Default)]
pub struct ExportState {
    /// `(done, total)` tensors while an export runs.
    pub progress: Option<(usize, usize)>,
}

impl ExportState {
    /// Fold one event of the export lane; what it says for the status line.
    pub(super) fn apply(&mut self, kind: EventKind) -> Option<Message> {
        match kind {
            EventKind::Progress { done, total } => self.progress = Some((done, total)),
            EventKind::Output(Output::Exported(file)) => return Some(Message::Exported(file)),
            EventKind::Finished | EventKind::Cancelled => self.progress = None,
            EventKind::Failed(message) => {
                self.progress = None;
                return Some(Message::ExportFailed(message));
            }
            EventKind::Output(_) => {}
        }
        None
    }
}
