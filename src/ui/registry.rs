//! The panel registry: every panel of the app, in top-bar order. The top bar, the `--panel`
//! flag and persistence are all built from [`PanelId::ALL`].

use serde::{Deserialize, Serialize};

use super::i18n::Lang;

/// One entry of the top bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PanelId {
    #[default]
    Formats,
}

impl PanelId {
    pub const ALL: &'static [PanelId] = &[PanelId::Formats];

    /// The name used by `--panel NAME` and in screenshot file names.
    pub fn slug(self) -> &'static str {
        match self {
            PanelId::Formats => "formats",
        }
    }

    /// The i18n key of the panel's title.
    pub fn title_key(self) -> &'static str {
        match self {
            PanelId::Formats => "panel.formats",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.slug().eq_ignore_ascii_case(slug))
    }
}

/// What a panel gets from the app each frame besides its `Ui`.
#[derive(Clone, Copy, Debug)]
pub struct PanelEnv {
    pub lang: Lang,
    pub dark: bool,
}

/// A panel: its own state (persisted with serde) and a `ui` function that only draws and
/// edits that state. Work over ~1 ms goes to the engine, never into `ui`.
pub trait Panel {
    fn id(&self) -> PanelId;
    /// Draw the panel. Returns a one-line status message when something worth reporting
    /// happened (an error in typed input, an overflow), for the status line.
    fn panel_ui(&mut self, ui: &mut egui::Ui, env: PanelEnv) -> Option<String>;
}
