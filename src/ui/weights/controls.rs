//! The compression controls of the weights view: every option of the compression core, kept as
//! plain UI choices (persisted) and turned into a [`Scheme`] when they change.

use serde::{Deserialize, Serialize};

use crate::compress::ggml_blocks::GgmlType;
use crate::compress::scheme::{
    Calibration, Granularity, IntTarget, Norm, Prune, PruneMethod, Rounding, ScaleFormat, Scheme,
    Target,
};
use crate::numfmt::mx::MxKind;
use crate::ui::i18n::tr;
use crate::ui::registry::PanelEnv;

/// Storage targets offered, in the order of the drop-down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetChoice {
    #[default]
    Int,
    KeepF32,
    Bf16,
    Fp16,
    E4m3fn,
    E5m2,
    E2m1,
    Nf4,
    Mxfp8,
    Mxfp6,
    Mxfp4,
    Mxint8,
    Nvfp4,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
    Q4K,
    Q6K,
}

impl TargetChoice {
    pub const ALL: &'static [TargetChoice] = &[
        Self::Int,
        Self::KeepF32,
        Self::Bf16,
        Self::Fp16,
        Self::E4m3fn,
        Self::E5m2,
        Self::E2m1,
        Self::Nf4,
        Self::Mxfp8,
        Self::Mxfp6,
        Self::Mxfp4,
        Self::Mxint8,
        Self::Nvfp4,
        Self::Q8_0,
        Self::Q4_0,
        Self::Q4_1,
        Self::Q5_0,
        Self::Q4K,
        Self::Q6K,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "int (uniform)",
            Self::KeepF32 => "keep f32",
            Self::Bf16 => "bf16",
            Self::Fp16 => "fp16",
            Self::E4m3fn => "fp8 e4m3fn (scaled)",
            Self::E5m2 => "fp8 e5m2 (scaled)",
            Self::E2m1 => "fp4 e2m1 (scaled)",
            Self::Nf4 => "NF4 (block 64)",
            Self::Mxfp8 => "MXFP8 (E4M3)",
            Self::Mxfp6 => "MXFP6 (E2M3)",
            Self::Mxfp4 => "MXFP4",
            Self::Mxint8 => "MXINT8",
            Self::Nvfp4 => "NVFP4",
            Self::Q8_0 => "GGUF Q8_0",
            Self::Q4_0 => "GGUF Q4_0",
            Self::Q4_1 => "GGUF Q4_1",
            Self::Q5_0 => "GGUF Q5_0",
            Self::Q4K => "GGUF Q4_K",
            Self::Q6K => "GGUF Q6_K",
        }
    }

    /// Whether bits, sign, symmetry, granularity and calibration apply.
    fn is_int(self) -> bool {
        self == Self::Int
    }

    /// Whether nearest/stochastic rounding is a choice (integer and plain float targets).
    fn has_rounding(self) -> bool {
        self.has_granularity() || matches!(self, Self::Bf16 | Self::Fp16)
    }

    /// Whether a scale granularity and calibration apply (scaled floats too).
    fn has_granularity(self) -> bool {
        matches!(self, Self::Int | Self::E4m3fn | Self::E5m2 | Self::E2m1)
    }
}

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

/// Every option of the compression core, as the controls hold them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemeControls {
    pub target: TargetChoice,
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
            target: TargetChoice::Int,
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
    /// The scheme these controls describe.
    pub fn scheme(&self) -> Scheme {
        let target = match self.target {
            TargetChoice::Int => Target::Int(IntTarget {
                bits: self.bits.clamp(1, 16),
                signed: self.signed,
                symmetric: self.symmetric,
                restricted: self.restricted,
            }),
            TargetChoice::KeepF32 => Target::None,
            TargetChoice::Bf16 => Target::Float {
                format: "bf16".into(),
                scaled: false,
            },
            TargetChoice::Fp16 => Target::Float {
                format: "f16".into(),
                scaled: false,
            },
            TargetChoice::E4m3fn => Target::Float {
                format: "e4m3fn".into(),
                scaled: true,
            },
            TargetChoice::E5m2 => Target::Float {
                format: "e5m2".into(),
                scaled: true,
            },
            TargetChoice::E2m1 => Target::Float {
                format: "e2m1fn".into(),
                scaled: true,
            },
            TargetChoice::Nf4 => Target::Nf4 {
                block: 64,
                double_quant: self.double_quant,
            },
            TargetChoice::Mxfp8 => Target::Mx(MxKind::Fp8E4m3),
            TargetChoice::Mxfp6 => Target::Mx(MxKind::Fp6E2m3),
            TargetChoice::Mxfp4 => Target::Mx(MxKind::Fp4E2m1),
            TargetChoice::Mxint8 => Target::Mx(MxKind::Int8),
            TargetChoice::Nvfp4 => Target::Nvfp4,
            TargetChoice::Q8_0 => Target::Ggml(GgmlType::Q8_0),
            TargetChoice::Q4_0 => Target::Ggml(GgmlType::Q4_0),
            TargetChoice::Q4_1 => Target::Ggml(GgmlType::Q4_1),
            TargetChoice::Q5_0 => Target::Ggml(GgmlType::Q5_0),
            TargetChoice::Q4K => Target::Ggml(GgmlType::Q4_K),
            TargetChoice::Q6K => Target::Ggml(GgmlType::Q6_K),
        };
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
                Rounding::Stochastic { seed: self.seed }
            } else {
                Rounding::NearestEven
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
        c.target = match &scheme.target {
            Target::None => TargetChoice::KeepF32,
            Target::Int(spec) => {
                c.bits = spec.bits;
                c.signed = spec.signed;
                c.symmetric = spec.symmetric;
                c.restricted = spec.restricted;
                TargetChoice::Int
            }
            Target::Float { format, .. } => match format.as_str() {
                "bf16" | "bfloat16" => TargetChoice::Bf16,
                "f16" | "fp16" | "float16" => TargetChoice::Fp16,
                "e4m3fn" | "float8_e4m3fn" => TargetChoice::E4m3fn,
                "e5m2" | "float8_e5m2" => TargetChoice::E5m2,
                "e2m1fn" | "float4_e2m1fn" => TargetChoice::E2m1,
                other => {
                    return Err(format!(
                        "the weights view has no control for the float format {other}"
                    ));
                }
            },
            Target::Nf4 { double_quant, .. } => {
                c.double_quant = *double_quant;
                TargetChoice::Nf4
            }
            Target::Mx(kind) => match kind {
                MxKind::Fp8E4m3 | MxKind::Fp8E5m2 => TargetChoice::Mxfp8,
                MxKind::Fp6E2m3 | MxKind::Fp6E3m2 => TargetChoice::Mxfp6,
                MxKind::Fp4E2m1 => TargetChoice::Mxfp4,
                MxKind::Int8 => TargetChoice::Mxint8,
            },
            Target::Nvfp4 => TargetChoice::Nvfp4,
            Target::Ggml(ty) => match ty {
                GgmlType::Q8_0 => TargetChoice::Q8_0,
                GgmlType::Q4_0 => TargetChoice::Q4_0,
                GgmlType::Q4_1 => TargetChoice::Q4_1,
                GgmlType::Q5_0 => TargetChoice::Q5_0,
                GgmlType::Q4_K => TargetChoice::Q4K,
                GgmlType::Q6_K => TargetChoice::Q6K,
                other => {
                    return Err(format!(
                        "the weights view has no control for {}",
                        other.name()
                    ));
                }
            },
        };
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
        if let Rounding::Stochastic { seed } = scheme.rounding {
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

    /// A short label of the setting (for the trade-off plot's "current setting").
    pub fn label(&self) -> String {
        let mut label = match self.target {
            TargetChoice::Int => format!(
                "int{} {}/{}",
                self.bits,
                if self.symmetric { "sym" } else { "asym" },
                match self.granularity {
                    GranularityChoice::Tensor => "tensor".to_owned(),
                    GranularityChoice::Channel => "channel".to_owned(),
                    GranularityChoice::Group => format!("g{}", self.group_size),
                }
            ),
            other => other.name().to_owned(),
        };
        if self.prune != PruneChoice::None {
            label.push_str(&format!(" + prune {:.0}%", self.sparsity_pct));
        }
        label
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
            ui.label(tr(lang, "w.target"));
            egui::ComboBox::from_id_salt("w_target")
                .selected_text(c.target.name())
                .height(500.0)
                .show_ui(ui, |ui| {
                    for &t in TargetChoice::ALL {
                        ui.selectable_value(&mut c.target, t, t.name());
                    }
                })
                .response
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, true, "target")
                });
            ui.end_row();
            if c.target.is_int() {
                ui.label(tr(lang, "w.bits"));
                let r = ui.add(egui::Slider::new(&mut c.bits, 1..=16));
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::accesskit::Role::Slider, true, "bits")
                });
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
            if c.target.has_granularity() {
                ui.label(tr(lang, "w.granularity"));
                ui.horizontal(|ui| {
                    ui.selectable_value(
                        &mut c.granularity,
                        GranularityChoice::Tensor,
                        tr(lang, "w.per_tensor"),
                    );
                    ui.selectable_value(
                        &mut c.granularity,
                        GranularityChoice::Channel,
                        tr(lang, "w.per_channel"),
                    );
                    ui.selectable_value(
                        &mut c.granularity,
                        GranularityChoice::Group,
                        tr(lang, "w.per_group"),
                    );
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
            if c.target.has_rounding() {
                ui.label(tr(lang, "w.rounding"));
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut c.stochastic, false, tr(lang, "w.rne"));
                    ui.selectable_value(&mut c.stochastic, true, tr(lang, "w.stochastic"));
                    if c.target.has_granularity() {
                        ui.checkbox(&mut c.f16_scales, tr(lang, "w.f16_scales"));
                    }
                });
                ui.end_row();
            }
            if c.target == TargetChoice::Nf4 {
                ui.label("NF4");
                ui.checkbox(&mut c.double_quant, tr(lang, "w.double_quant"));
                ui.end_row();
            }
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
        });
    *c != before
}
