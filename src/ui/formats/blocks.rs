//! Walk through one block of a microscaling format: amax → shared scale (E8M0, or E4M3 plus
//! the tensor scale for NVFP4) → scaled elements → codes → decoded values and their errors.

use egui::RichText;
use serde::{Deserialize, Serialize};

use super::value_view::{short_f32, short_float};
use crate::numfmt::mx::{self, MxKind};
use crate::numfmt::nvfp4;
use crate::ui::i18n::{Lang, tr};
use crate::ui::registry::PanelEnv;
use crate::ui::theme;

/// The block formats offered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockKind {
    #[default]
    Mxfp4,
    Mxfp6E2m3,
    Mxfp6E3m2,
    Mxfp8E4m3,
    Mxfp8E5m2,
    Mxint8,
    Nvfp4,
}

impl BlockKind {
    const ALL: &'static [BlockKind] = &[
        BlockKind::Mxfp4,
        BlockKind::Mxfp6E2m3,
        BlockKind::Mxfp6E3m2,
        BlockKind::Mxfp8E4m3,
        BlockKind::Mxfp8E5m2,
        BlockKind::Mxint8,
        BlockKind::Nvfp4,
    ];

    fn name(self) -> &'static str {
        match self {
            BlockKind::Mxfp4 => "MXFP4 (E2M1)",
            BlockKind::Mxfp6E2m3 => "MXFP6 (E2M3)",
            BlockKind::Mxfp6E3m2 => "MXFP6 (E3M2)",
            BlockKind::Mxfp8E4m3 => "MXFP8 (E4M3)",
            BlockKind::Mxfp8E5m2 => "MXFP8 (E5M2)",
            BlockKind::Mxint8 => "MXINT8",
            BlockKind::Nvfp4 => "NVFP4",
        }
    }

    fn mx(self) -> Option<MxKind> {
        Some(match self {
            BlockKind::Mxfp4 => MxKind::Fp4E2m1,
            BlockKind::Mxfp6E2m3 => MxKind::Fp6E2m3,
            BlockKind::Mxfp6E3m2 => MxKind::Fp6E3m2,
            BlockKind::Mxfp8E4m3 => MxKind::Fp8E4m3,
            BlockKind::Mxfp8E5m2 => MxKind::Fp8E5m2,
            BlockKind::Mxint8 => MxKind::Int8,
            BlockKind::Nvfp4 => return None,
        })
    }

    /// Largest element magnitude (formats.md §5, §6): scaled values beyond it saturate.
    fn element_max(self) -> f64 {
        match self {
            BlockKind::Mxfp4 | BlockKind::Nvfp4 => 6.0,
            BlockKind::Mxfp6E2m3 => 7.5,
            BlockKind::Mxfp6E3m2 => 28.0,
            BlockKind::Mxfp8E4m3 => 448.0,
            BlockKind::Mxfp8E5m2 => 57344.0,
            BlockKind::Mxint8 => 127.0 / 64.0,
        }
    }

    fn block_len(self) -> usize {
        if self == BlockKind::Nvfp4 { 16 } else { 32 }
    }
}

/// The block being explained (values editable).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockState {
    pub kind: BlockKind,
    pub values: Vec<f32>,
    /// NVFP4's per-tensor amax (sets the FP32 global scale).
    pub tensor_amax: f32,
}

impl Default for BlockState {
    fn default() -> Self {
        // The OCP MX worked example: amax 12 → shared exponent 1 → scale 2 (0x80).
        let values = vec![
            0.1, -0.25, 1.0, 3.3, -7.0, 12.0, 0.5, -0.75, 2.2, -1.6, 0.03, 5.0, -10.0, 8.0, 0.0,
            -0.0, 0.05, -0.125, 0.5, 1.65, -3.5, 6.0, 0.25, -0.375, 1.1, -0.8, 0.015, 2.5, -5.0,
            4.0, 0.0, -0.0,
        ];
        Self {
            kind: BlockKind::Mxfp4,
            values,
            tensor_amax: 12.0,
        }
    }
}

/// One row of the walk-through table.
struct Row {
    value: f32,
    scaled: f64,
    code: u8,
    decoded: f32,
}

pub fn blocks_ui(ui: &mut egui::Ui, state: &mut BlockState, env: PanelEnv) -> Option<String> {
    let lang = env.lang;
    state.values.resize(32, 0.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(tr(lang, "fmt.blk.kind"));
        for &kind in BlockKind::ALL {
            ui.selectable_value(&mut state.kind, kind, kind.name());
        }
        if ui.button(tr(lang, "fmt.blk.reset")).clicked() {
            *state = BlockState {
                kind: state.kind,
                ..BlockState::default()
            };
        }
    });
    let n = state.kind.block_len();
    let block: Vec<f32> = state.values[..n].to_vec();
    let (rows, scale_text, bits_per_element) = match state.kind.mx() {
        Some(kind) => mx_block(kind, &block, lang),
        None => nvfp4_block(ui, state, &block, lang),
    };
    ui.label(RichText::new(scale_text).monospace().strong());
    let sq_err: f64 = rows
        .iter()
        .map(|r| (f64::from(r.value) - f64::from(r.decoded)).powi(2))
        .sum();
    ui.label(format!(
        "{}: {bits_per_element} · {}: {}",
        tr(lang, "fmt.blk.bpe"),
        tr(lang, "fmt.blk.mse"),
        short_float(sq_err / n as f64)
    ));
    let changed = table_ui(ui, state, &rows, env);
    changed.then(|| tr(lang, "fmt.blk.changed").to_owned())
}

fn amax_of(block: &[f32]) -> f32 {
    block.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// An MX block: rows, how its shared E8M0 scale was found, bits per element.
fn mx_block(kind: MxKind, block: &[f32], lang: Lang) -> (Vec<Row>, String, f64) {
    let out = mx::encode_block(kind, block);
    let x = out.scale_value;
    let text = format!(
        "amax = {}  →  ⌊log₂ amax⌋ − emax = {}  →  {} 0x{:02X} = 2^{} = {}",
        short_float(f64::from(amax_of(block))),
        out.shared_exp,
        tr(lang, "fmt.blk.scale"),
        out.scale_bits,
        out.shared_exp,
        short_float(x)
    );
    (
        rows_of(block, &out.codes, &out.decoded, x),
        text,
        out.bits_per_element,
    )
}

/// An NVFP4 block under the typed tensor amax (raised to the block's): rows, its two-level
/// scale, bits per element.
fn nvfp4_block(
    ui: &mut egui::Ui,
    state: &mut BlockState,
    block: &[f32],
    lang: Lang,
) -> (Vec<Row>, String, f64) {
    ui.horizontal(|ui| {
        ui.label(tr(lang, "fmt.blk.tensor_amax"));
        let r = ui.add(
            egui::DragValue::new(&mut state.tensor_amax)
                .speed(0.1)
                .range(0.0..=1.0e6),
        );
        r.widget_info(|| {
            egui::WidgetInfo::labeled(egui::accesskit::Role::SpinButton, true, "tensor amax")
        });
    });
    let amax = amax_of(block);
    state.tensor_amax = state.tensor_amax.max(amax);
    let out = nvfp4::encode_block(block, state.tensor_amax);
    let x = f64::from(out.global_scale) * f64::from(out.block_scale);
    let text = format!(
        "global = {} / (448·6) = {}  ·  amax = {} → E4M3 {} 0x{:02X} = {}",
        short_float(f64::from(state.tensor_amax)),
        short_float(f64::from(out.global_scale)),
        short_float(f64::from(amax)),
        tr(lang, "fmt.blk.scale"),
        out.block_scale_bits,
        short_float(f64::from(out.block_scale))
    );
    (
        rows_of(block, &out.codes, &out.decoded, x),
        text,
        4.0 + 8.0 / 16.0,
    )
}

/// The element table, its values editable; whether one was changed.
fn table_ui(ui: &mut egui::Ui, state: &mut BlockState, rows: &[Row], env: PanelEnv) -> bool {
    let lang = env.lang;
    let element_max = state.kind.element_max();
    let mut changed = false;
    egui::Grid::new("block_table")
        .striped(true)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for key in [
                "fmt.blk.i",
                "fmt.blk.value",
                "fmt.blk.scaled",
                "fmt.blk.code",
                "fmt.blk.decoded",
                "fmt.blk.error",
            ] {
                ui.strong(tr(lang, key));
            }
            ui.end_row();
            for (i, row) in rows.iter().enumerate() {
                ui.label(i.to_string());
                let mut v = state.values[i];
                let r = ui.add(egui::DragValue::new(&mut v).speed(0.05).max_decimals(4));
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::accesskit::Role::SpinButton,
                        true,
                        format!("block value {i}"),
                    )
                });
                if r.changed() {
                    state.values[i] = v;
                    changed = true;
                }
                // The f32 values the block works on, each as its shortest round-trip (0.1 typed
                // is the f32 nearest 0.1, shown "0.1", not its 9-digit "0.100000001").
                ui.label(RichText::new(short_f32(row.scaled as f32)).monospace());
                ui.label(RichText::new(format!("0x{:02X}", row.code)).monospace());
                ui.label(RichText::new(short_f32(row.decoded)).monospace());
                let err = short_f32(row.value - row.decoded);
                if row.scaled.abs() > element_max {
                    ui.colored_label(
                        theme::warn(env.dark),
                        format!("{err}  ({})", tr(lang, "fmt.blk.clipped")),
                    );
                } else {
                    ui.label(RichText::new(err).monospace());
                }
                ui.end_row();
            }
        });
    changed
}

fn rows_of(block: &[f32], codes: &[u8], decoded: &[f32], scale: f64) -> Vec<Row> {
    block
        .iter()
        .zip(codes)
        .zip(decoded)
        .map(|((&value, &code), &decoded)| Row {
            value,
            scaled: if scale > 0.0 {
                f64::from(value) / scale
            } else {
                0.0
            },
            code,
            decoded,
        })
        .collect()
}
