//! Where exports go: the path typed in an export row, a relative one under the export folder
//! (`$BITLENS_EXPORT_DIR`, else `~/bitlens-exports`), never the working directory by accident.
//! An empty name is refused.

use std::path::{Path, PathBuf};

/// The folder relative export names go in.
pub fn export_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BITLENS_EXPORT_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join("bitlens-exports"),
        None => PathBuf::from("bitlens-exports"),
    }
}

/// The file `prefix` + `suffix` names: absolute as typed, relative under `base`; an error when
/// no name was typed.
pub fn resolve(prefix: &str, suffix: &str, base: &Path) -> Result<PathBuf, String> {
    let name = prefix.trim();
    if name.is_empty() || name.ends_with('/') {
        return Err(
            "type a file name to export to (an absolute path, or a name for the export folder)"
                .into(),
        );
    }
    let path = PathBuf::from(format!("{name}{suffix}"));
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

/// [`resolve`] under [`export_dir`].
pub fn export_path(prefix: &str, suffix: &str) -> Result<PathBuf, String> {
    resolve(prefix, suffix, &export_dir())
}

/// The export row's target: "Export to" with the typed name (the export folder in its
/// tooltip) and a "Folder…" button whose system dialog puts the name in the folder picked.
pub fn target_ui(
    ui: &mut egui::Ui,
    prefix: &mut String,
    dialog: &mut crate::ui::file_dialog::DialogSlot,
    lang: crate::ui::i18n::Lang,
    name: &'static str,
) {
    use crate::ui::i18n::tr;
    ui.label(tr(lang, "w.export_to"));
    let r = ui.add(egui::TextEdit::singleline(prefix).desired_width(220.0));
    r.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::TextInput, true, name));
    r.on_hover_text(format!(
        "{} {}",
        tr(lang, "w.export_dir"),
        export_dir().display()
    ));
    if ui
        .add_enabled(
            !dialog.is_open(),
            egui::Button::new(tr(lang, "w.export_folder")),
        )
        .clicked()
    {
        dialog.start(ui.ctx(), crate::ui::file_dialog::DialogKind::Folder);
    }
    if let Some(Some(folder)) = dialog.poll() {
        *prefix = in_folder(prefix, &folder).display().to_string();
    }
}

/// The typed name moved into `folder` (its last component kept; a default when none).
pub fn in_folder(prefix: &str, folder: &Path) -> PathBuf {
    let name = Path::new(prefix.trim())
        .file_name()
        .map_or_else(|| "bitlens".into(), |n| n.to_string_lossy().into_owned());
    folder.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_go_to_the_export_folder_and_empty_ones_are_refused() {
        let base = Path::new("/data/exports");
        assert_eq!(
            resolve("run1", ".csv", base).unwrap(),
            PathBuf::from("/data/exports/run1.csv")
        );
        assert_eq!(
            resolve(" /tmp/x ", ".png", base).unwrap(),
            PathBuf::from("/tmp/x.png")
        );
        assert_eq!(
            resolve("sub/run", "-model.safetensors", base).unwrap(),
            PathBuf::from("/data/exports/sub/run-model.safetensors")
        );
        for bad in ["", "   ", "dir/"] {
            assert!(resolve(bad, ".csv", base).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_folder_picked_keeps_the_typed_name() {
        let folder = Path::new("/data/out");
        assert_eq!(
            in_folder("runs/sweep1", folder),
            PathBuf::from("/data/out/sweep1")
        );
        assert_eq!(in_folder("  ", folder), PathBuf::from("/data/out/bitlens"));
    }
}
