//! The Lessons panel: the lecture as a sequence of short pages, each with a few sentences of
//! explanation (English and Korean), a live widget that is the real panel in a preset state,
//! and a "try this" prompt. PageUp / PageDown step through the lessons (presentation clickers
//! send those keys).

mod demo_report;
mod demo_text;
mod demo_view;
mod fidelity_lesson;
mod pruning_curve;
mod summary;

use serde::{Deserialize, Serialize};

use crate::engine::DemoKind;
use crate::numfmt::Format;
use crate::ui::formats::{FormatsPanel, SubView};
use crate::ui::i18n::tr;
use crate::ui::registry::{Panel, PanelContext, PanelId};
use crate::ui::weights::WeightsPanel;

/// Number of lessons.
pub const LESSONS: usize = 11;

/// The i18n keys of the lessons' titles.
pub const TITLE_KEYS: [&str; LESSONS] = [
    "lesson.1.title",
    "lesson.2.title",
    "lesson.3.title",
    "lesson.4.title",
    "lesson.5.title",
    "lesson.6.title",
    "lesson.7.title",
    "lesson.8.title",
    "lesson.9.title",
    "lesson.10.title",
    "lesson.11.title",
];
const BODY_KEYS: [&str; LESSONS] = [
    "lesson.1.body",
    "lesson.2.body",
    "lesson.3.body",
    "lesson.4.body",
    "lesson.5.body",
    "lesson.6.body",
    "lesson.7.body",
    "lesson.8.body",
    "lesson.9.body",
    "lesson.10.body",
    "lesson.11.body",
];
const TRY_KEYS: [&str; LESSONS] = [
    "lesson.1.try",
    "lesson.2.try",
    "lesson.3.try",
    "lesson.4.try",
    "lesson.5.try",
    "lesson.6.try",
    "lesson.7.try",
    "lesson.8.try",
    "lesson.9.try",
    "lesson.10.try",
    "lesson.11.try",
];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct LessonsPanel {
    /// 0-based lesson index.
    pub page: usize,
    /// The Formats lab as lessons 1–4 set it up (its own state: the Formats panel keeps yours).
    pub formats: FormatsPanel,
    /// The weights view as lesson 6 sets it up.
    pub weights: WeightsPanel,
    /// Lesson 5's parameter count.
    pub params_text: String,
    /// The page whose preset the embedded panels show.
    #[serde(skip)]
    prepared: Option<usize>,
    /// Lesson 7 asked the engine for its curve during this visit.
    #[serde(skip)]
    curve_requested: bool,
}

impl Default for LessonsPanel {
    fn default() -> Self {
        Self {
            page: 0,
            formats: FormatsPanel::default(),
            weights: WeightsPanel::default(),
            params_text: "7B".to_owned(),
            prepared: None,
            curve_requested: false,
        }
    }
}

impl LessonsPanel {
    pub fn go_to(&mut self, page: usize) {
        self.page = page.min(LESSONS - 1);
    }

    /// Put the embedded panels into the state lesson `page` starts from.
    pub fn prepare(&mut self, page: usize) {
        let set = |panel: &mut FormatsPanel, id: &str, bits: u64, view: SubView| {
            if let Ok(format) = Format::parse(id) {
                panel.set_format(format);
            }
            panel.bits = bits;
            panel.view = view;
            panel.last_encode = None;
        };
        match page {
            0 => set(&mut self.formats, "u8", 0x2A, SubView::NumberLine),
            1 => set(&mut self.formats, "i8", 0x80, SubView::NumberLine),
            2 => {
                set(&mut self.formats, "fx8.4", 0x28, SubView::Arithmetic);
                self.formats.arith.a = "2.5".to_owned();
                self.formats.arith.b = "3.25".to_owned();
                self.formats.arith.op = crate::ui::formats::ArithOp::Mul;
            }
            3 => set(&mut self.formats, "f32", 0x3F80_0000, SubView::Compare),
            5 => self.weights = WeightsPanel::default(),
            6 => self.curve_requested = false,
            _ => {}
        }
        self.prepared = Some(page);
    }

    fn nav_ui(&mut self, ui: &mut egui::Ui, cx: &PanelContext<'_>) {
        let lang = cx.env.lang;
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(self.page > 0, egui::Button::new(tr(lang, "ls.prev")))
                .clicked()
            {
                self.go_to(self.page.saturating_sub(1));
            }
            for i in 0..LESSONS {
                if ui
                    .selectable_label(self.page == i, (i + 1).to_string())
                    .clicked()
                {
                    self.go_to(i);
                }
            }
            if ui
                .add_enabled(
                    self.page + 1 < LESSONS,
                    egui::Button::new(tr(lang, "ls.next")),
                )
                .clicked()
            {
                self.go_to(self.page + 1);
            }
            ui.weak(tr(lang, "ls.keys"));
        });
    }

    fn keys(&mut self, ui: &egui::Ui) {
        if ui.ctx().memory(|m| m.focused().is_some()) {
            return;
        }
        let (next, prev) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::PageDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::PageUp),
            )
        });
        if next {
            self.go_to(self.page + 1);
        }
        if prev {
            self.go_to(self.page.saturating_sub(1));
        }
    }

    fn live_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        match self.page {
            0..=3 => self.formats.panel_ui(ui, cx),
            4 => {
                let params = cx.workspace.model.n_params();
                crate::ui::model_panel::size_calc::size_calc_ui(
                    ui,
                    params,
                    &mut self.params_text,
                    cx.env,
                );
            }
            5 => {
                fidelity_lesson::fidelity_lesson_ui(ui, cx);
                ui.separator();
                demo_view::demo_ui(ui, cx, &[DemoKind::Qat]);
                ui.separator();
                self.weights.panel_ui(ui, cx);
            }
            6 => pruning_curve::pruning_curve_ui(ui, cx, &mut self.curve_requested),
            7 => demo_view::demo_ui(ui, cx, &[DemoKind::Distill]),
            8 => demo_view::demo_ui(ui, cx, &[DemoKind::Lora, DemoKind::Qlora]),
            9 => demo_view::demo_ui(ui, cx, &[DemoKind::Adapter, DemoKind::Prompt]),
            _ => {
                if let Some(page) = summary::summary_ui(ui, lang) {
                    self.go_to(page);
                }
            }
        }
    }
}

impl Panel for LessonsPanel {
    fn id(&self) -> PanelId {
        PanelId::Lessons
    }

    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let lang = cx.env.lang;
        self.keys(ui);
        if self.prepared != Some(self.page) {
            self.prepare(self.page);
        }
        self.nav_ui(ui, cx);
        ui.separator();
        ui.heading(tr(lang, TITLE_KEYS[self.page]));
        ui.add_space(4.0);
        ui.add(
            egui::Label::new(egui::RichText::new(tr(lang, BODY_KEYS[self.page])).size(16.0)).wrap(),
        );
        ui.add_space(6.0);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("{}:", tr(lang, "ls.try")));
                ui.label(tr(lang, TRY_KEYS[self.page]));
            });
        });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.weak(tr(lang, "ls.live"));
            if ui.small_button(tr(lang, "ls.reset")).clicked() {
                self.prepare(self.page);
            }
        });
        self.live_ui(ui, cx);
    }
}
