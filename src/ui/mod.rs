//! The egui front end (feature `gui`). Panels only draw and edit their own state; heavy work
//! belongs to the engine. Text goes through [`i18n`], colours through [`theme`].

pub mod app;
pub mod command;
pub mod export_path;
pub mod file_dialog;
pub mod fonts;
pub mod formats;
pub mod i18n;
pub mod i18n_core;
pub mod i18n_formats;
mod i18n_table;
mod i18n_table_compress;
mod i18n_table_lessons;
pub mod lessons;
pub mod model_panel;
pub mod registry;
pub mod screenshot;
pub mod shortcuts;
pub mod theme;
pub mod tradeoff;
pub mod weights;
pub mod workspace;

pub use app::BitlensApp;
pub use fonts::install_fonts;

/// Open the desktop app (blocking until the window closes).
pub fn run_native(cli: &crate::cli::Cli) -> anyhow::Result<()> {
    // `--panel`, `--theme` and `--lang` are checked by clap before a window opens.
    let outcome: screenshot::ScreenshotOutcome = std::sync::Arc::default();
    let outcome_for_app = std::sync::Arc::clone(&outcome);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("bitlens")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    let cli_for_app = cli.clone();
    eframe::run_native(
        "bitlens",
        options,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            // Screenshots start from the default state so they are the same on every machine.
            let storage = if cli_for_app.screenshot.is_some() {
                None
            } else {
                cc.storage
            };
            let mut app = BitlensApp::new(storage, &cc.egui_ctx);
            app.apply_cli(&cli_for_app);
            if let Some(path) = &cli_for_app.path {
                // A model given at start opens on the Model panel, unless --panel says otherwise.
                if cli_for_app.panel.is_none() {
                    app.state.panel = registry::PanelId::Model;
                }
                app.apply_command(workspace::AppCommand::OpenModel(path.clone()));
            }
            if let Some(path) = &cli_for_app.screenshot {
                app.start_screenshot(path.clone(), outcome_for_app);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open a window: {e}"))?;

    if cli.screenshot.is_some() {
        let saved = outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match saved {
            Some(Ok(())) => {}
            Some(Err(e)) => anyhow::bail!("screenshot failed: {e}"),
            None => anyhow::bail!("the window closed before the screenshot was taken"),
        }
    }
    Ok(())
}
