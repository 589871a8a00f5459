//! The compression controls of the weights view: every option of the compression core, kept as
//! plain UI choices (persisted) and turned into a [`Scheme`] when they change.

use serde::{Deserialize, Serialize};

use crate::compress::catalog::{self, CATALOG, TargetEntry, TargetKind, TargetOptions};
use crate::compress::scheme::{
    Calibration, Granularity, IntTarget, Norm, Prune, PruneMethod, QuantRounding, ScaleFormat,
    Scheme, Target,
};
use crate::ui::i18n::{Lang, tr};
use crate::ui::registry::PanelEnv;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GranularityChoice {
    Tensor,
    #[default]
    Channel,
    Group,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalibrationChoice {
    #[default]
    MinMax,
    Percentile,
    Mse,
    Kl,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PruneChoice {
    #[default]
    None,
    Magnitude,
    Global,
    RowsL1,
    RowsL2,
    ColsL1,
    ColsL2,
    TwoFour,
    FourEight,
    Random,
}

impl PruneChoice {
    const ALL: &'static [PruneChoice] = &[
        Self::None,
        Self::Magnitude,
        Self::Global,
        Self::RowsL1,
        Self::RowsL2,
        Self::ColsL1,
        Self::ColsL2,
        Self::TwoFour,
        Self::FourEight,
        Self::Random,
    ];

    fn key(self) -> &'static str {
        match self {
            Self::None => "w.prune.none",
            Self::Magnitude => "w.prune.magnitude",
            Self::Global => "w.prune.global",
            Self::RowsL1 => "w.prune.rows_l1",
            Self::RowsL2 => "w.prune.rows_l2",
            Self::ColsL1 => "w.prune.cols_l1",
            Self::ColsL2 => "w.prune.cols_l2",
            Self::TwoFour => "w.prune.2_4",
            Self::FourEight => "w.prune.4_8",
            Self::Random => "w.prune.random",
        }
    }

    /// N:M fixes its own sparsity.
    fn has_sparsity(self) -> bool {
        !matches!(self, Self::None | Self::TwoFour | Self::FourEight)
    }
}

/// Korean titles of the catalog entries whose titles have words (the rest are format names).
const KO_TITLES: &[(&str, &str)] = &[
    ("int", "int (균등)"),
    ("none", "f32 유지"),
    ("e4m3fn", "fp8 e4m3fn (스케일)"),
    ("e5m2", "fp8 e5m2 (스케일)"),
    ("e2m1fn", "fp4 e2m1 (스케일)"),
    ("nf4", "NF4 (블록 64)"),
];

/// How the Weights view lists `e` in `lang`.
pub fn target_title(lang: Lang, e: &TargetEntry) -> &'static str {
    match lang {
        Lang::En => e.title,
        Lang::Ko => KO_TITLES
            .iter()
            .find(|(id, _)| *id == e.id)
            .map_or(e.title, |(_, ko)| ko),
    }
}

/// Every option of the compression core, as the controls hold them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemeControls {
    /// The target's catalog id ([`crate::compress::catalog`]).
    pub target: String,
    pub bits: u8,
    pub signed: bool,
    pub symmetric: bool,
    pub restricted: bool,
    pub granularity: GranularityChoice,
    pub group_size: usize,
    pub calibration: CalibrationChoice,
    pub percentile: f64,
    pub stochastic: bool,
    pub seed: u64,
    pub f16_scales: bool,
    pub double_quant: bool,
    pub prune: PruneChoice,
    /// Target sparsity in percent.
    pub sparsity_pct: f64,
}

impl Default for SchemeControls {
    fn default() -> Self {
        Self {
            target: "int".to_owned(),
            bits: 4,
            signed: true,
            symmetric: true,
            restricted: false,
            granularity: GranularityChoice::Channel,
            group_size: 64,
            calibration: CalibrationChoice::MinMax,
            percentile: 99.9,
            stochastic: false,
            seed: 1,
            f16_scales: false,
            double_quant: true,
            prune: PruneChoice::None,
            sparsity_pct: 50.0,
        }
    }
}

impl SchemeControls {
    /// The catalog entry of the chosen target (integers when the stored id is unknown).
    pub fn entry(&self) -> &'static TargetEntry {
        catalog::find(&self.target).unwrap_or(&CATALOG[0])
    }

    /// The scheme these controls describe.
    pub fn scheme(&self) -> Scheme {
        let target = self.entry().build(&TargetOptions {
            int: IntTarget {
                bits: self.bits.clamp(1, 16),
                signed: self.signed,
                symmetric: self.symmetric,
                restricted: self.restricted,
            },
            double_quant: self.double_quant,
            nf4_block: None,
            unscaled: false,
        });
        let granularity = match self.granularity {
            GranularityChoice::Tensor => Granularity::Tensor,
            GranularityChoice::Channel => Granularity::Channel { axis: 0 },
            GranularityChoice::Group => Granularity::Group {
                size: self.group_size.max(1),
            },
        };
        let calibration = match self.calibration {
            CalibrationChoice::MinMax => Calibration::MinMax,
            CalibrationChoice::Percentile => Calibration::Percentile(self.percentile),
            CalibrationChoice::Mse => Calibration::Mse,
            CalibrationChoice::Kl => Calibration::Kl,
        };
        let sparsity = (self.sparsity_pct / 100.0).clamp(0.0, 1.0);
        let method = match self.prune {
            PruneChoice::None => None,
            PruneChoice::Magnitude => Some(PruneMethod::Magnitude),
            PruneChoice::Global => Some(PruneMethod::Global),
            PruneChoice::RowsL1 => Some(PruneMethod::Rows { norm: Norm::L1 }),
            PruneChoice::RowsL2 => Some(PruneMethod::Rows { norm: Norm::L2 }),
            PruneChoice::ColsL1 => Some(PruneMethod::Cols { norm: Norm::L1 }),
            PruneChoice::ColsL2 => Some(PruneMethod::Cols { norm: Norm::L2 }),
            PruneChoice::TwoFour => Some(PruneMethod::NM { n: 2, m: 4 }),
            PruneChoice::FourEight => Some(PruneMethod::NM { n: 4, m: 8 }),
            PruneChoice::Random => Some(PruneMethod::Random { seed: self.seed }),
        };
        Scheme {
            target,
            granularity,
            calibration,
            rounding: if self.stochastic {
                QuantRounding::Stochastic { seed: self.seed }
            } else {
                QuantRounding::NearestEven
            },
            scale_format: if self.f16_scales {
                ScaleFormat::F16
            } else {
                ScaleFormat::F32
            },
            prune: method.map(|method| Prune { method, sparsity }),
            include_1d: false,
        }
    }

    /// Controls showing `scheme`, or why the controls cannot show it.
    pub fn from_scheme(scheme: &Scheme) -> Result<Self, String> {
        let mut c = Self::default();
        let entry = catalog::entry_for(&scheme.target).ok_or_else(|| {
            format!(
                "the weights view has no control for the target {:?}",
                scheme.target
            )
        })?;
        match &scheme.target {
            Target::Int(spec) => {
                c.bits = spec.bits;
                c.signed = spec.signed;
                c.symmetric = spec.symmetric;
                c.restricted = spec.restricted;
            }
            Target::Nf4 {
                block,
                double_quant,
            } => {
                if (TargetKind::Nf4 { block: *block }) != entry.kind {
                    return Err(format!(
                        "the weights view has no control for NF4 blocks of {block}"
                    ));
                }
                c.double_quant = *double_quant;
            }
            Target::Float { scaled, .. }
                if *scaled != matches!(entry.kind, TargetKind::Float { scaled: true, .. }) =>
            {
                return Err(format!(
                    "the weights view has no control for {} {}",
                    if *scaled { "scaled" } else { "unscaled" },
                    entry.id
                ));
            }
            _ => {}
        }
        c.target = entry.id.to_owned();
        match scheme.granularity {
            Granularity::Tensor => c.granularity = GranularityChoice::Tensor,
            Granularity::Channel { .. } => c.granularity = GranularityChoice::Channel,
            Granularity::Group { size } => {
                c.granularity = GranularityChoice::Group;
                c.group_size = size;
            }
        }
        c.calibration = match scheme.calibration {
            Calibration::MinMax => CalibrationChoice::MinMax,
            Calibration::Percentile(p) => {
                c.percentile = p;
                CalibrationChoice::Percentile
            }
            Calibration::Mse => CalibrationChoice::Mse,
            Calibration::Kl => CalibrationChoice::Kl,
        };
        if let QuantRounding::Stochastic { seed } = scheme.rounding {
            c.stochastic = true;
            c.seed = seed;
        }
        c.f16_scales = scheme.scale_format == ScaleFormat::F16;
        if let Some(prune) = scheme.prune {
            c.sparsity_pct = prune.sparsity * 100.0;
            c.prune = match prune.method {
                PruneMethod::Magnitude => PruneChoice::Magnitude,
                PruneMethod::Global => PruneChoice::Global,
                PruneMethod::Rows { norm: Norm::L1 } => PruneChoice::RowsL1,
                PruneMethod::Rows { norm: Norm::L2 } => PruneChoice::RowsL2,
                PruneMethod::Cols { norm: Norm::L1 } => PruneChoice::ColsL1,
                PruneMethod::Cols { norm: Norm::L2 } => PruneChoice::ColsL2,
                PruneMethod::NM { n: 2, m: 4 } => PruneChoice::TwoFour,
                PruneMethod::NM { n: 4, m: 8 } => PruneChoice::FourEight,
                PruneMethod::NM { n, m } => {
                    return Err(format!(
                        "the weights view has no control for {n}:{m} pruning"
                    ));
                }
                PruneMethod::Random { seed } => {
                    c.seed = seed;
                    PruneChoice::Random
                }
            };
        }
        Ok(c)
    }

    /// The setting's label, made from its scheme as presets label theirs (`int4 sym/ch`).
    pub fn label(&self) -> String {
        let config = crate::engine::Config::new("", self.scheme());
        crate::engine::label::label_in(&config, &crate::engine::label::ENGLISH).unwrap_or_default()
    }
}

/// Draw the controls. Returns true when something changed.
pub fn controls_ui(ui: &mut egui::Ui, c: &mut SchemeControls, env: PanelEnv) -> bool {
    let lang = env.lang;
    let before = c.clone();
    egui::Grid::new("weights_controls")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            target_row_ui(ui, c, lang);
            if c.entry().is_int() {
                int_rows_ui(ui, c, lang);
            }
            if c.entry().has_granularity() {
                scale_rows_ui(ui, c, lang);
            }
            if c.entry().has_rounding() {
                ui.label(tr(lang, "w.rounding"));
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut c.stochastic, false, tr(lang, "w.rne"));
                    ui.selectable_value(&mut c.stochastic, true, tr(lang, "w.stochastic"));
                    if c.entry().has_granularity() {
                        ui.checkbox(&mut c.f16_scales, tr(lang, "w.f16_scales"));
                    }
                });
                ui.end_row();
            }
            if matches!(c.entry().kind, TargetKind::Nf4 { .. }) {
                ui.label("NF4");
                ui.checkbox(&mut c.double_quant, tr(lang, "w.double_quant"));
                ui.end_row();
            }
            prune_row_ui(ui, c, lang);
        });
    *c != before
}

/// The target drop-down: the catalog, in its order.
fn target_row_ui(ui: &mut egui::Ui, c: &mut SchemeControls, lang: Lang) {
    ui.label(tr(lang, "w.target"));
    egui::ComboBox::from_id_salt("w_target")
        .selected_text(target_title(lang, c.entry()))
        .height(500.0)
        .show_ui(ui, |ui| {
            for e in CATALOG {
                let title = target_title(lang, e);
                if ui.selectable_label(c.target == e.id, title).clicked() {
                    c.target = e.id.to_owned();
                }
            }
        })
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "target"));
    ui.end_row();
}

/// Bits, symmetry, sign and the restricted range of an integer target.
fn int_rows_ui(ui: &mut egui::Ui, c: &mut SchemeControls, lang: Lang) {
    ui.label(tr(lang, "w.bits"));
    let r = ui.add(egui::Slider::new(&mut c.bits, 1..=16));
    r.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Slider, true, "bits"));
    ui.end_row();
    ui.label(tr(lang, "w.scheme"));
    ui.horizontal(|ui| {
        ui.selectable_value(&mut c.symmetric, true, tr(lang, "w.sym"));
        ui.selectable_value(&mut c.symmetric, false, tr(lang, "w.asym"));
        ui.checkbox(&mut c.signed, tr(lang, "w.signed"));
        if c.symmetric && c.signed {
            ui.checkbox(&mut c.restricted, tr(lang, "w.restricted"));
        }
    });
    ui.end_row();
}

/// The scale granularity (with the group size) and how the clipping range is chosen.
fn scale_rows_ui(ui: &mut egui::Ui, c: &mut SchemeControls, lang: Lang) {
    ui.label(tr(lang, "w.granularity"));
    ui.horizontal(|ui| {
        for (g, key) in [
            (GranularityChoice::Tensor, "w.per_tensor"),
            (GranularityChoice::Channel, "w.per_channel"),
            (GranularityChoice::Group, "w.per_group"),
        ] {
            ui.selectable_value(&mut c.granularity, g, tr(lang, key));
        }
        if c.granularity == GranularityChoice::Group {
            for g in [32, 64, 128] {
                ui.selectable_value(&mut c.group_size, g, g.to_string());
            }
        }
    });
    ui.end_row();
    ui.label(tr(lang, "w.range"));
    ui.horizontal(|ui| {
        ui.selectable_value(&mut c.calibration, CalibrationChoice::MinMax, "min-max");
        ui.selectable_value(
            &mut c.calibration,
            CalibrationChoice::Percentile,
            tr(lang, "w.percentile"),
        );
        ui.selectable_value(&mut c.calibration, CalibrationChoice::Mse, "MSE");
        ui.selectable_value(&mut c.calibration, CalibrationChoice::Kl, "KL");
        if c.calibration == CalibrationChoice::Percentile {
            for p in [99.0, 99.9, 99.99] {
                ui.selectable_value(&mut c.percentile, p, format!("{p}"));
            }
        }
    });
    ui.end_row();
}

/// The pruning method and its sparsity.
fn prune_row_ui(ui: &mut egui::Ui, c: &mut SchemeControls, lang: Lang) {
    ui.label(tr(lang, "w.pruning"));
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("w_prune")
            .selected_text(tr(lang, c.prune.key()))
            .show_ui(ui, |ui| {
                for &p in PruneChoice::ALL {
                    ui.selectable_value(&mut c.prune, p, tr(lang, p.key()));
                }
            })
            .response
            .widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "pruning")
            });
        if c.prune.has_sparsity() {
            let r = ui.add(egui::Slider::new(&mut c.sparsity_pct, 0.0..=99.0).suffix(" %"));
            r.widget_info(|| {
                egui::WidgetInfo::labeled(egui::accesskit::Role::Slider, true, "sparsity")
            });
        }
    });
    ui.end_row();
}
