//! The system file dialog (rfd) on its own thread: rfd blocks the thread that shows it, so the
//! UI starts it and picks the answer up on a later frame (the dialog wakes the UI).
//! One slot per place that asks (the model to open, the inputs file, an export folder).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What a dialog asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogKind {
    /// A model file (safetensors, GGUF, ONNX, PyTorch, NumPy).
    Model,
    /// A model's inputs: sentences, a WAV, `.npz`/`.npy` arrays (a folder is typed).
    Inputs,
    /// The folder exports go in.
    Folder,
}

/// One dialog's pending answer.
#[derive(Clone, Default)]
pub struct DialogSlot(Option<Arc<Mutex<Option<Option<PathBuf>>>>>);

impl std::fmt::Debug for DialogSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_open() {
            "DialogSlot(open)"
        } else {
            "DialogSlot(idle)"
        })
    }
}

impl DialogSlot {
    /// Whether a dialog is showing (its button should wait).
    pub fn is_open(&self) -> bool {
        self.0.is_some()
    }

    /// Show the system dialog for `kind` on its own thread.
    pub fn start(&mut self, ctx: &egui::Context, kind: DialogKind) {
        let slot = Arc::new(Mutex::new(None));
        self.0 = Some(Arc::clone(&slot));
        let repaint = ctx.clone();
        #[allow(
            clippy::disallowed_methods,
            reason = "the system dialog blocks the thread that shows it; nothing is computed"
        )]
        let spawned = std::thread::Builder::new()
            .name("bitlens-file-dialog".into())
            .spawn(move || {
                let picked = pick(kind);
                *slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(picked);
                repaint.request_repaint();
            });
        if spawned.is_err() {
            self.0 = None;
        }
    }

    /// The answer, once there is one: `Some(Some(path))` picked, `Some(None)` cancelled (or no
    /// dialog on this desktop).
    pub fn poll(&mut self) -> Option<Option<PathBuf>> {
        let answer = self
            .0
            .as_ref()?
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()?;
        self.0 = None;
        Some(answer)
    }
}

fn pick(kind: DialogKind) -> Option<PathBuf> {
    let dialog = rfd::FileDialog::new();
    match kind {
        DialogKind::Model => dialog
            .set_title("Open model")
            .add_filter(
                "Model files",
                &[
                    "safetensors",
                    "json",
                    "gguf",
                    "onnx",
                    "pt",
                    "pth",
                    "bin",
                    "npy",
                    "npz",
                ],
            )
            .add_filter("All files", &["*"])
            .pick_file(),
        DialogKind::Inputs => dialog
            .set_title("Inputs")
            .add_filter("Inputs", &["txt", "wav", "npz", "npy"])
            .add_filter("All files", &["*"])
            .pick_file(),
        DialogKind::Folder => dialog.set_title("Export folder").pick_folder(),
    }
}
