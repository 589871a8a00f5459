//! The app shell: top bar from the panel registry, the current panel, a status line,
//! language and zoom, persistence, and the `--screenshot` mode.

mod bars;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::formats::FormatsPanel;
use super::i18n::{Lang, tr};
use super::lessons::LessonsPanel;
use super::model_panel::ModelPanel;
use super::registry::{Panel, PanelContext, PanelEnv, PanelId};
use super::screenshot::{ScreenshotJob, ScreenshotOutcome};
use super::theme;
use super::tradeoff::TradeOffPanel;
use super::weights::WeightsPanel;
use super::workspace::{AppCommand, Workspace};
use crate::engine::{Engine, Lane, Request};
use crate::model::Model;
use crate::run::RunOptions;

/// Storage key of the persisted [`AppState`].
const STORAGE_KEY: &str = "bitlens_app_state_v1";

/// Everything the app remembers between runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub panel: PanelId,
    pub lang: Lang,
    pub light_theme: bool,
    pub zoom: Option<f32>,
    pub presentation: bool,
    pub formats: FormatsPanel,
    pub model: ModelPanel,
    pub weights: WeightsPanel,
    pub tradeoff: TradeOffPanel,
    pub lessons: LessonsPanel,
}

/// The app. Tests drive it through [`BitlensApp::app_ui`] with kittest.
pub struct BitlensApp {
    pub state: AppState,
    /// Current model, statistics and evaluation (runtime only).
    pub workspace: Workspace,
    engine: Engine,
    /// Compression jobs asked for before the model's tensors were loaded (one per lane).
    pending: Vec<PendingJob>,
    /// The config last measured as the trade-off plot's "current setting".
    current_config: Option<crate::engine::Config>,
    /// The first job submitted for the current model: results of older model jobs (a previous
    /// model's preview, sweep or current point) are dropped, not shown against this model.
    model_jobs_since: crate::engine::JobId,
    /// Status line text (last message from a panel or the shell).
    pub status: String,
    screenshot: Option<ScreenshotJob>,
    /// Zoom before presentation mode was switched on, to restore it.
    zoom_before_presentation: Option<f32>,
    applied_zoom: Option<f32>,
    frame_times_ms: FrameTimes,
    /// Whether the status line shows the frame-time readout (snapshot tests turn it off: it
    /// changes from run to run).
    pub show_frame_time: bool,
    /// The F1 shortcut list and the quit question.
    pub overlays: super::shortcuts::Overlays,
    /// Width the top bar's view controls took last frame (to right-align them when they fit).
    top_controls_width: f32,
    /// Commands sent between frames (screenshot callbacks).
    later: super::workspace::Later,
}

impl Default for BitlensApp {
    /// The app with default state and an inline engine (jobs finish inside the frame that
    /// starts them): what UI tests use.
    fn default() -> Self {
        Self::with_engine(AppState::default(), Engine::inline())
    }
}

impl BitlensApp {
    /// The app as the window runs it: state restored from eframe storage, a background engine
    /// that wakes the UI through `ctx`.
    pub fn new(storage: Option<&dyn eframe::Storage>, ctx: &egui::Context) -> Self {
        let state = storage
            .and_then(|s| eframe::get_value::<AppState>(s, STORAGE_KEY))
            .unwrap_or_default();
        let repaint = ctx.clone();
        Self::with_engine(
            state,
            Engine::new(Arc::new(move || repaint.request_repaint())),
        )
    }

    /// The app with a given state and engine; starts the built-in model's statistics and evaluation.
    pub fn with_engine(state: AppState, engine: Engine) -> Self {
        let mut app = Self {
            state,
            workspace: Workspace::default(),
            engine,
            pending: Vec::new(),
            current_config: None,
            model_jobs_since: 0,
            status: String::new(),
            screenshot: None,
            zoom_before_presentation: None,
            applied_zoom: None,
            frame_times_ms: FrameTimes::default(),
            show_frame_time: true,
            overlays: super::shortcuts::Overlays::default(),
            top_controls_width: 0.0,
            later: super::workspace::Later::default(),
        };
        app.start_model_jobs();
        app
    }

    fn start_model_jobs(&mut self) {
        let model = Arc::clone(&self.workspace.model);
        self.model_jobs_since = self.engine.submit(Request::TensorStats {
            model: Arc::clone(&model),
        });
        self.engine.submit(Request::Evaluate {
            model: Arc::clone(&model),
        });
        self.engine.submit(Request::Load {
            model,
            run: RunOptions::default(),
        });
    }

    /// Queue a compression job; it is submitted as soon as the model's tensors are loaded.
    fn queue(&mut self, job: PendingJob) {
        self.pending
            .retain(|p| std::mem::discriminant(p) != std::mem::discriminant(&job));
        self.pending.push(job);
        self.submit_pending();
    }

    fn submit_pending(&mut self) {
        let Some(loaded) = self.workspace.loaded.clone() else {
            return;
        };
        for job in std::mem::take(&mut self.pending) {
            let model = Arc::clone(&loaded);
            let request = match job {
                PendingJob::Preview(tensor, config, compare) => Request::Preview {
                    model,
                    tensor,
                    config,
                    bins: 0,
                    evaluate: true,
                    compare,
                },
                PendingJob::Sweep(configs) => {
                    self.workspace.sweep.points.clear();
                    self.workspace.sweep.failed.clear();
                    self.workspace.sweep.front.clear();
                    self.workspace.sweep.objective = None;
                    self.workspace.sweep.started = Some(std::time::Instant::now());
                    self.workspace.sweep.first_point_s = None;
                    self.workspace.sweep.total_s = None;
                    Request::Sweep { model, configs }
                }
                PendingJob::Sensitivity(spec) => {
                    self.workspace.sensitivity.layers.clear();
                    self.workspace.sensitivity.mixed = None;
                    Request::Sensitivity { model, spec }
                }
                PendingJob::Config(config) => Request::EvaluateConfig { model, config },
                PendingJob::Activations(config) => Request::Activations { model, config },
                PendingJob::Export(config, path, format) => Request::ExportModel {
                    model,
                    config,
                    path,
                    format,
                },
            };
            self.engine.submit(request);
        }
    }

    /// On the trade-off panel, keep the weights view's setting measured as the highlighted point.
    fn sync_current_point(&mut self) {
        if self.state.panel != PanelId::TradeOff {
            return;
        }
        let config = self.state.weights.config();
        if self.current_config.as_ref() != Some(&config) {
            self.current_config = Some(config.clone());
            self.queue(PendingJob::Config(config));
        }
    }

    /// Apply a command from a panel (or the command line).
    pub fn apply_command(&mut self, command: AppCommand) {
        match command {
            AppCommand::OpenModel(path) => {
                self.workspace.opening = Some(path.clone());
                self.workspace.message = None;
                self.engine.submit(Request::OpenModel { path });
            }
            AppCommand::UseBuiltin => self.set_model(Arc::new(Model::builtin())),
            AppCommand::SetInputs(inputs) => {
                // The weight views keep working on the loaded tensors while it prepares again.
                self.workspace.eval = super::workspace::EvalStatus::Pending;
                self.engine.submit(Request::Load {
                    model: Arc::clone(&self.workspace.model),
                    run: RunOptions { inputs },
                });
            }
            AppCommand::SelectTensor(name) => self.workspace.selected_tensor = Some(name),
            AppCommand::CancelStats => self.engine.cancel(Lane::Stats),
            AppCommand::Preview {
                tensor,
                config,
                compare,
            } => self.queue(PendingJob::Preview(tensor, config, compare)),
            AppCommand::Pin(config) => {
                self.workspace.preview.pinned = config.map(|config| super::workspace::Pinned {
                    config,
                    point: self.workspace.preview.point.clone(),
                });
            }
            AppCommand::Sweep(configs) => self.queue(PendingJob::Sweep(configs)),
            AppCommand::Activations(config) => self.queue(PendingJob::Activations(config)),
            AppCommand::ExportModel {
                config,
                path,
                format,
            } => {
                self.say_writing(&path);
                self.queue(PendingJob::Export(config, path, format));
            }
            AppCommand::WriteFile { path, content } => {
                self.say_writing(&path);
                self.engine.submit(crate::engine::Request::WriteFile {
                    path,
                    content: Arc::new(content),
                });
            }
            AppCommand::Sensitivity(spec) => self.queue(PendingJob::Sensitivity(spec)),
            AppCommand::CancelSweep => {
                self.engine.cancel(Lane::Sweep);
                self.engine.cancel(Lane::Sensitivity);
            }
            AppCommand::RunDemo(kind, epochs) => {
                self.workspace.demo = super::workspace::DemoState {
                    kind: Some(kind),
                    running: true,
                    ..Default::default()
                };
                self.engine.submit(Request::Demo {
                    kind,
                    seed: None,
                    epochs,
                });
            }
            AppCommand::CancelDemo => self.engine.cancel(Lane::Demo),
            AppCommand::ApplyConfig(config) => self.apply_config(&config),
        }
    }

    /// The status line while `path` is written.
    fn say_writing(&mut self, path: &std::path::Path) {
        let writing = tr(self.state.lang, "shell.writing");
        self.status = format!("{writing} {}", path.display());
    }

    /// Show `config` in the Weights view (a point clicked in the trade-off plot, the
    /// mixed-precision plan), or say why its controls cannot show it.
    fn apply_config(&mut self, config: &crate::engine::Config) {
        match self.state.weights.apply_config(config) {
            Ok(()) => {
                self.state.panel = PanelId::Weights;
                let lang = self.state.lang;
                self.status = format!(
                    "{} {}",
                    tr(lang, "shell.applied"),
                    crate::ui::i18n_core::config_label(lang, config, &config.label)
                );
            }
            Err(reason) => self.status = reason,
        }
    }

    fn set_model(&mut self, model: Arc<Model>) {
        if let Some(path) = &model.path {
            self.state.model.remember(path);
        }
        // A successful open replaces whatever the status line said (an earlier error).
        self.status = match &model.path {
            Some(_) => format!(
                "{} {} ({} {})",
                tr(self.state.lang, "shell.opened"),
                model.label(),
                model.tensors.len(),
                tr(self.state.lang, "model.tensors")
            ),
            None => String::new(),
        };
        self.workspace = Workspace::with_model(model);
        // A filter typed for the previous model would silently hide this one's tensors.
        self.state.model.table.filter.clear();
        self.state.model.table.open.clear();
        self.pending.clear();
        self.current_config = None;
        self.start_model_jobs();
    }

    /// Drain the engine's events into the workspace (called before drawing).
    pub fn drain_events(&mut self) {
        for event in self.engine.poll() {
            let model_lane = !matches!(
                event.lane,
                Lane::Open | Lane::Demo | Lane::Probe | Lane::Write
            );
            if model_lane && event.job < self.model_jobs_since {
                continue;
            }
            if let Some(model) = self.workspace.apply_event(event) {
                self.set_model(model);
            }
        }
        if !self.pending.is_empty() {
            self.submit_pending();
        }
        if let Some(message) = self.workspace.message.take() {
            self.status = message.text(self.state.lang);
        }
    }

    /// Apply command-line choices (panel, language, theme) on top of the restored state.
    pub fn apply_cli(&mut self, cli: &crate::cli::Cli) {
        use crate::cli::{LangArg, PanelArg, ThemeArg};
        if let Some(panel) = cli.panel {
            self.state.panel = match panel {
                PanelArg::Lessons => PanelId::Lessons,
                PanelArg::Formats => PanelId::Formats,
                PanelArg::Model => PanelId::Model,
                PanelArg::Weights => PanelId::Weights,
                PanelArg::Tradeoff => PanelId::TradeOff,
            };
        }
        if let Some(lang) = cli.lang {
            self.state.lang = match lang {
                LangArg::En => Lang::En,
                LangArg::Ko => Lang::Ko,
            };
        }
        if let Some(theme) = cli.theme {
            self.state.light_theme = theme == ThemeArg::Light;
        }
    }

    /// Switch on the `--screenshot` mode: capture after a few frames, then close.
    pub fn start_screenshot(&mut self, path: std::path::PathBuf, outcome: ScreenshotOutcome) {
        self.screenshot = Some(ScreenshotJob::new(path, outcome));
    }

    /// Draw the whole app into `ui` (the root of a frame).
    pub fn app_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let started = std::time::Instant::now();
        self.drain_events();
        for command in self.later.take() {
            self.apply_command(command);
        }
        self.sync_current_point();
        self.apply_style(&ctx);
        self.handle_shortcuts(&ctx);
        let running = self.running_jobs();
        let busy_jobs = !running.is_empty() || self.workspace.opening.is_some();
        self.overlays.handle_keys(&ctx, busy_jobs);
        self.handle_dropped_files(&ctx);
        let env = PanelEnv {
            lang: self.state.lang,
            dark: !self.state.light_theme,
        };

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("status_line").show(ui, |ui| self.status_ui(ui, &running));
        let mut cx = PanelContext {
            env,
            workspace: &self.workspace,
            later: &self.later,
            commands: Vec::new(),
            status: None,
        };
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::both()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let panel: &mut dyn Panel = match self.state.panel {
                        PanelId::Formats => &mut self.state.formats,
                        PanelId::Model => &mut self.state.model,
                        PanelId::Weights => &mut self.state.weights,
                        PanelId::TradeOff => &mut self.state.tradeoff,
                        PanelId::Lessons => &mut self.state.lessons,
                    };
                    panel.panel_ui(ui, &mut cx);
                });
        });
        let PanelContext {
            commands, status, ..
        } = cx;
        if let Some(message) = status {
            self.status = message;
        }
        // A command changes what the next frame shows (a tensor picked, a request to send):
        // draw it now, not at the next input event.
        if !commands.is_empty() {
            ctx.request_repaint();
        }
        for command in commands {
            self.apply_command(command);
        }
        self.overlays.show(&ctx, self.state.lang, &running);

        let busy = self.workspace.opening.is_some()
            || self.workspace.preview.progress.is_some()
            || !self.pending.is_empty()
            || self.workspace.sweep.progress.is_some()
            || self.workspace.stats_progress.is_some()
            || matches!(self.workspace.eval, super::workspace::EvalStatus::Pending);
        if let Some(job) = &mut self.screenshot {
            job.step(&ctx, busy);
        }
        self.frame_times_ms
            .push(started.elapsed().as_secs_f32() * 1000.0);
    }

    /// Files dropped onto the window open as models (the first one, if several).
    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| {
            i.raw
                .dropped_files
                .first()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
        });
        if let Some(path) = dropped {
            self.state.panel = PanelId::Model;
            self.apply_command(AppCommand::OpenModel(path));
        }
    }

    fn apply_style(&mut self, ctx: &egui::Context) {
        let theme = if self.state.light_theme {
            egui::Theme::Light
        } else {
            egui::Theme::Dark
        };
        if ctx.theme() != theme {
            ctx.set_theme(theme);
        }
        let wanted = self.state.zoom.unwrap_or(1.0);
        if self.applied_zoom != Some(wanted) {
            ctx.set_zoom_factor(wanted);
            self.applied_zoom = Some(wanted);
        } else if (ctx.zoom_factor() - wanted).abs() > 1e-3 {
            // egui's own Ctrl +/−/0 changed the zoom: take it as one of our steps (the readable
            // range), or the reset to 100 %.
            let z = ctx.zoom_factor();
            let snapped = if (z - 1.0).abs() < 1e-3 {
                1.0
            } else {
                theme::step_zoom(wanted, z > wanted)
            };
            ctx.set_zoom_factor(snapped);
            self.state.zoom = Some(snapped);
            self.applied_zoom = self.state.zoom;
        }
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        let (toggle_lang, toggle_presentation) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::CTRL, egui::Key::L),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F5),
            )
        });
        if toggle_lang {
            self.state.lang = self.state.lang.toggled();
        }
        if toggle_presentation {
            self.toggle_presentation();
        }
    }

    fn toggle_presentation(&mut self) {
        self.set_presentation(!self.state.presentation);
    }

    /// Presentation mode on (projector zoom) or off (the zoom from before).
    pub fn set_presentation(&mut self, on: bool) {
        if self.state.presentation == on {
            return;
        }
        self.state.presentation = on;
        if on {
            self.zoom_before_presentation = self.state.zoom;
            self.state.zoom = Some(theme::PRESENTATION_ZOOM);
        } else {
            self.state.zoom = self.zoom_before_presentation.take().or(Some(1.0));
        }
    }
}

impl eframe::App for BitlensApp {
    // Engine events are drained once a frame, at the start of `app_ui`.
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_some() {
            return; // a screenshot run starts from defaults and must not overwrite the user's state
        }
        eframe::set_value(storage, STORAGE_KEY, &self.state);
    }
}

/// A ring of the last frame times, for the status line's p95 readout.
#[derive(Default)]
struct FrameTimes {
    samples_ms: Vec<f32>,
    next: usize,
}

impl FrameTimes {
    const CAPACITY: usize = 120;

    fn push(&mut self, ms: f32) {
        if self.samples_ms.len() < Self::CAPACITY {
            self.samples_ms.push(ms);
        } else {
            self.samples_ms[self.next] = ms;
        }
        self.next = (self.next + 1) % Self::CAPACITY;
    }

    fn p95(&self) -> Option<f32> {
        if self.samples_ms.len() < 10 {
            return None;
        }
        let mut sorted = self.samples_ms.clone();
        sorted.sort_by(f32::total_cmp);
        Some(sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)])
    }
}

/// A compression job waiting for the model's tensors.
enum PendingJob {
    /// Tensor, setting, setting A to compare with.
    Preview(
        Option<String>,
        crate::engine::Config,
        Option<crate::engine::Config>,
    ),
    Sweep(Vec<crate::engine::Config>),
    Sensitivity(crate::engine::SensitivitySpec),
    Config(crate::engine::Config),
    Activations(crate::engine::Config),
    Export(
        crate::engine::Config,
        std::path::PathBuf,
        crate::engine::ExportFormat,
    ),
}
