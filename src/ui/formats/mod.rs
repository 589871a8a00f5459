//! The Formats lab: pick any format, click its bits, type values, see exactly what is stored.
//!
//! The panel state is plain data (persisted); every number shown comes from `crate::numfmt`.

mod arith;
pub mod bit_strip;
mod blocks;
mod compare;
mod number_line;
mod picker;
mod value_view;
pub use value_view::short_f32;

use serde::{Deserialize, Serialize};

use crate::numfmt::{Format, Overflow, Rounding};
use crate::ui::i18n::tr;
use crate::ui::registry::{Panel, PanelContext, PanelEnv, PanelId};

pub use arith::{ArithState, Op as ArithOp};
pub use blocks::BlockState;
pub use picker::CustomLayout;

/// The lower half of the panel: one of these at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubView {
    #[default]
    NumberLine,
    Compare,
    Ranges,
    Blocks,
    Arithmetic,
}

impl SubView {
    pub const ALL: &'static [SubView] = &[
        SubView::NumberLine,
        SubView::Compare,
        SubView::Ranges,
        SubView::Blocks,
        SubView::Arithmetic,
    ];

    fn title_key(self) -> &'static str {
        match self {
            SubView::NumberLine => "fmt.view.number_line",
            SubView::Compare => "fmt.view.compare",
            SubView::Ranges => "fmt.view.ranges",
            SubView::Blocks => "fmt.view.blocks",
            SubView::Arithmetic => "fmt.view.arith",
        }
    }
}

/// State of the Formats panel.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct FormatsPanel {
    /// Canonical id of the current format (`Format::id`).
    pub format_id: String,
    /// The current bit pattern (low `width` bits).
    pub bits: u64,
    /// Rounding mode for typed decimals (its `Rounding::id`).
    pub rounding_id: String,
    /// Overflow policy for typed decimals: the format's own rule, or saturate.
    pub saturate: bool,
    pub view: SubView,
    /// The value typed into the Compare view.
    pub compare_input: String,
    pub custom: CustomLayout,
    pub blocks: BlockState,
    pub arith: ArithState,
    #[serde(skip)]
    format: Option<Format>,
    #[serde(skip)]
    edit: value_view::EditBuffers,
    /// The last typed decimal and how it was encoded.
    #[serde(skip)]
    pub last_encode: Option<value_view::EncodeReport>,
}

impl Default for FormatsPanel {
    fn default() -> Self {
        Self {
            format_id: "f16".to_owned(),
            bits: 0x3C00,
            rounding_id: Rounding::NearestEven.id().to_owned(),
            saturate: false,
            view: SubView::default(),
            compare_input: "0.1".to_owned(),
            custom: CustomLayout::default(),
            blocks: BlockState::default(),
            arith: ArithState::default(),
            format: None,
            edit: value_view::EditBuffers::default(),
            last_encode: None,
        }
    }
}

impl FormatsPanel {
    /// The current format (parsed from `format_id` once, then cached).
    pub fn format(&mut self) -> &Format {
        let stale = self
            .format
            .as_ref()
            .is_none_or(|f| f.id() != self.format_id);
        if stale {
            let parsed = Format::parse(&self.format_id).unwrap_or_else(|_| {
                self.format_id = "f16".to_owned();
                Format::parse("f16").expect("f16 is a built-in format")
            });
            self.bits &= parsed.mask();
            self.format = Some(parsed);
        }
        self.format.as_ref().expect("format set above")
    }

    /// Switch format, keeping the current value (re-encoded with round-to-nearest-even into
    /// the new format) so the lecture can show what the same number becomes elsewhere.
    pub fn set_format(&mut self, format: Format) {
        let old = self.format().clone();
        let value = old.decode(self.bits & old.mask()).value;
        let encoded = format.encode_f64(value, Rounding::NearestEven, Overflow::Default);
        self.format_id = format.id();
        self.bits = encoded.bits & format.mask();
        self.format = Some(format);
        self.last_encode = None;
    }

    /// Switch format by its CLI name (e.g. `"e4m3fn"`); errors name the problem.
    pub fn set_format_id(&mut self, id: &str) -> Result<(), String> {
        let format = Format::parse(id).map_err(|e| e.to_string())?;
        self.set_format(format);
        Ok(())
    }

    pub fn rounding(&self) -> Rounding {
        Rounding::all()
            .iter()
            .copied()
            .find(|r| r.id() == self.rounding_id)
            .unwrap_or_default()
    }

    pub fn overflow(&self) -> Overflow {
        if self.saturate {
            Overflow::Saturate
        } else {
            Overflow::Default
        }
    }

    /// Encode typed text (decimal, `inf`, `nan`, or raw `0x…`/`0b…` bits) into the current format.
    pub fn enter_value(&mut self, text: &str) -> Result<(), String> {
        let (rounding, overflow) = (self.rounding(), self.overflow());
        let encoded = self
            .format()
            .encode_str(text, rounding, overflow)
            .map_err(|e| e.to_string())?;
        self.bits = encoded.bits;
        self.last_encode = Some(value_view::EncodeReport {
            input: text.trim().to_owned(),
            encoded,
        });
        Ok(())
    }

    /// Step to the next (`up`) or previous representable value.
    pub fn step(&mut self, up: bool) {
        let bits = self.bits;
        let format = self.format();
        let next = if up {
            format.next_up(bits)
        } else {
            format.next_down(bits)
        };
        if let Some(next) = next {
            self.bits = next;
            self.last_encode = None;
        }
    }

    fn sub_view_ui(&mut self, ui: &mut egui::Ui, env: PanelEnv) -> Option<String> {
        ui.horizontal(|ui| {
            for &view in SubView::ALL {
                if ui
                    .selectable_label(self.view == view, tr(env.lang, view.title_key()))
                    .clicked()
                {
                    self.view = view;
                }
            }
        });
        ui.separator();
        let format = self.format().clone();
        match self.view {
            SubView::NumberLine => {
                number_line::number_line_ui(ui, &format, self.bits, env);
                None
            }
            SubView::Compare => compare::compare_ui(ui, &mut self.compare_input, env),
            SubView::Ranges => {
                compare::ranges_ui(ui, env);
                None
            }
            SubView::Blocks => blocks::blocks_ui(ui, &mut self.blocks, env),
            SubView::Arithmetic => arith::arith_ui(ui, &mut self.arith, &format, env),
        }
    }
}

impl Panel for FormatsPanel {
    fn id(&self) -> PanelId {
        PanelId::Formats
    }

    fn panel_ui(&mut self, ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
        let env = cx.env;
        let mut status = None;
        if let Some(format) = picker::picker_ui(ui, self, env) {
            self.set_format(format);
        }
        ui.add_space(6.0);
        let format = self.format().clone();
        if bit_strip::bit_strip_ui(ui, &mut self.bits, format.width(), &format.fields(), env) {
            self.last_encode = None;
        }
        ui.add_space(4.0);
        if let Some(message) = value_view::value_fields_ui(ui, self, env) {
            status = Some(message);
        }
        ui.add_space(4.0);
        value_view::details_ui(ui, self, env);
        ui.add_space(8.0);
        if let Some(message) = self.sub_view_ui(ui, env) {
            status = Some(message);
        }
        if status.is_some() {
            cx.status = status;
        }
    }
}
