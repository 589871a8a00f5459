//! The layer rule of `src/lib.rs`, checked on the source: a module never names a module of a
//! higher layer (`crate::…` paths in code, comments aside), and only the UI names egui.

use std::path::{Path, PathBuf};

/// The layer of a top-level module of the crate.
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "numfmt" | "tensor" | "simd" | "assets" => 0,
        "compress" | "model" | "eval" | "run" | "demos" => 1,
        "engine" => 2,
        "cli" | "ui" | "main" | "lib" => 3,
        _ => return None,
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line (what precedes a `//` comment; whole-line comments give nothing).
fn code(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with("//") {
        return "";
    }
    line.find(" //").map_or(line, |i| &line[..i])
}

#[test]
fn no_module_names_a_higher_layer_and_only_the_ui_names_egui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 100, "{} source files", files.len());
    let mut broken = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs"))
            .expect("a name");
        let own = layer(top).unwrap_or_else(|| panic!("{}: no layer for `{top}`", rel.display()));
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(l) = layer(&name)
                    && l > own
                {
                    broken.push(format!(
                        "{}:{}: L{own} names crate::{name} (L{l})",
                        rel.display(),
                        n + 1
                    ));
                }
            }
            let gui = ["egui", "eframe", "egui_plot", "egui_extras", "rfd"];
            let names_gui = gui
                .iter()
                .any(|g| code.contains(&format!("{g}::")) || code.contains(&format!("use {g}")));
            if names_gui && top != "ui" && top != "main" {
                broken.push(format!(
                    "{}:{}: names the GUI outside ui: {}",
                    rel.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rule broken:\n{}",
        broken.join("\n")
    );
}
