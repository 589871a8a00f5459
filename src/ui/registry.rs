//! The panel registry: every panel of the app, in top-bar order. The top bar, the `--panel`
//! flag and persistence are all built from [`PanelId::ALL`].

use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::workspace::{AppCommand, Workspace};

/// One entry of the top bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PanelId {
    #[default]
    Formats,
    Model,
    Weights,
    TradeOff,
    Lessons,
}

impl PanelId {
    pub const ALL: &'static [PanelId] = &[
        PanelId::Lessons,
        PanelId::Formats,
        PanelId::Model,
        PanelId::Weights,
        PanelId::TradeOff,
    ];

    /// The name used by `--panel NAME` and in screenshot file names.
    pub fn slug(self) -> &'static str {
        match self {
            PanelId::Formats => "formats",
            PanelId::Model => "model",
            PanelId::Weights => "weights",
            PanelId::TradeOff => "tradeoff",
            PanelId::Lessons => "lessons",
        }
    }

    /// The i18n key of the panel's title.
    pub fn title_key(self) -> &'static str {
        match self {
            PanelId::Formats => "panel.formats",
            PanelId::Model => "panel.model",
            PanelId::Weights => "panel.weights",
            PanelId::TradeOff => "panel.tradeoff",
            PanelId::Lessons => "panel.lessons",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.slug().eq_ignore_ascii_case(slug))
    }
}

/// What a panel gets from the app each frame besides its `Ui`.
#[derive(Clone, Copy, Debug)]
pub struct PanelEnv {
    pub lang: Lang,
    pub dark: bool,
}

/// Everything a panel may read or ask for while drawing.
pub struct PanelContext<'a> {
    pub env: PanelEnv,
    /// The shared runtime state (current model, statistics, evaluation).
    pub workspace: &'a Workspace,
    /// Commands for the app to apply after this frame's drawing.
    pub commands: Vec<AppCommand>,
    /// Where callbacks that run after the frame put their commands.
    pub later: &'a crate::ui::workspace::Later,
    /// A one-line message for the status line (an error in typed input, an overflow).
    pub status: Option<String>,
}

/// A panel: its own state (persisted with serde) and a `ui` function that only draws, edits that
/// state and sends commands. Work over ~1 ms goes to the engine, never into `ui`.
pub trait Panel {
    fn id(&self) -> PanelId;
    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>);
}
