//! The Formats lab's core text in the UI language: format titles, the formula row's rules for
//! special patterns, and how an integer or fixed-point result was formed. English is the core's
//! own text; Korean is written here from the same typed values.

use crate::numfmt::arith::{ArithResult, Formed, Wrap};
use crate::numfmt::names::NAMED;
use crate::numfmt::{Codebook, Format, Formula, IntEncoding, SpecialRule};
use crate::ui::i18n::Lang;

/// Korean titles of the named floats, by id (their English titles are in `numfmt::names`).
const KO_FLOAT_TITLES: &[(&str, &str)] = &[
    ("f64", "binary64 (IEEE 배정밀도)"),
    ("f32", "binary32 (IEEE 단정밀도)"),
    ("f16", "binary16 (IEEE 반정밀도)"),
    ("bf16", "bfloat16 (브레인 플로트)"),
    ("tf32", "TF32 (NVIDIA TensorFloat-32, 19비트)"),
    ("e4m3fn", "float8 e4m3fn (OCP E4M3)"),
    ("e5m2", "float8 e5m2 (OCP E5M2)"),
    (
        "e4m3fnuz",
        "float8 e4m3fnuz (바이어스 8, −0 없음, 0x80 = NaN)",
    ),
    (
        "e5m2fnuz",
        "float8 e5m2fnuz (바이어스 16, −0 없음, 0x80 = NaN)",
    ),
    ("e4m3", "float8 e4m3 (IEEE 방식, Inf 있음)"),
    ("e3m4", "float8 e3m4 (IEEE 방식)"),
    ("e4m3b11fnuz", "float8 e4m3b11fnuz (바이어스 11, −0 없음)"),
    ("e2m3fn", "float6 e2m3fn (OCP FP6 E2M3)"),
    ("e3m2fn", "float6 e3m2fn (OCP FP6 E3M2)"),
    ("e2m1fn", "float4 e2m1fn (OCP FP4 E2M1)"),
    ("e8m0fnu", "E8M0 스케일 (OCP MX, float8_e8m0fnu)"),
];

/// A format's human name in `lang`.
pub fn title(lang: Lang, format: &Format) -> String {
    if lang == Lang::En {
        return format.title();
    }
    match format {
        Format::Int(s) => {
            let what = match s.encoding {
                IntEncoding::Unsigned => "부호 없음",
                IntEncoding::TwosComplement => "2의 보수",
                IntEncoding::SignMagnitude => "부호-크기",
                IntEncoding::OnesComplement => "1의 보수",
            };
            format!("int{} {what}", s.width)
        }
        Format::Fixed(s) => {
            let (t, f) = (i64::from(s.total_bits), i64::from(s.frac_bits));
            let mut title = format!("고정소수점 T={t}, F={f}");
            if s.signed {
                title.push_str(&format!(" (TI Q{}.{f} = ARM Q{}.{f}", t - 1 - f, t - f));
                if t == 8 && f == 6 {
                    title.push_str("; MXINT8 원소");
                }
                title.push(')');
            } else {
                title.push_str(&format!(" (부호 없음, UQ{}.{f})", t - f));
            }
            title
        }
        Format::Codebook(Codebook::Nf4) => "NF4 (bitsandbytes NormalFloat4, × 블록 absmax)".into(),
        Format::Codebook(Codebook::Fp4Bnb) => {
            "bitsandbytes fp4 (OCP E2M1 아님, × 블록 absmax)".into()
        }
        Format::Float(spec) => {
            let named = NAMED
                .iter()
                .find(|(_, _, s, _)| s == spec)
                .map(|(id, ..)| *id);
            if let Some(ko) = named.and_then(|id| KO_FLOAT_TITLES.iter().find(|(k, _)| *k == id)) {
                return ko.1.to_owned();
            }
            let rule = match spec.special {
                SpecialRule::Ieee => "IEEE 규칙",
                SpecialRule::FiniteNanAllOnes => "fn: 전부 1이 NaN, Inf 없음",
                SpecialRule::Fnuz => "fnuz: 0x80 꼴 NaN, −0 없음",
                SpecialRule::Finite => "유한: NaN, Inf 없음",
                SpecialRule::E8m0 => "E8M0 방식: 2의 거듭제곱",
            };
            format!(
                "사용자 정의 {}e{}m{} 바이어스 {} ({rule})",
                if spec.sign { "" } else { "부호 없는 " },
                spec.exp_bits,
                spec.man_bits,
                spec.bias
            )
        }
    }
}

/// The formula row in `lang`.
pub fn formula(lang: Lang, f: &Formula) -> String {
    if lang == Lang::En {
        return f.to_string();
    }
    match f {
        Formula::Expr(e) => e.clone(),
        Formula::Infinity { neg } => format!(
            "지수 전부 1, 가수 0 → {}∞ (무한대)",
            if *neg { "−" } else { "+" }
        ),
        Formula::Nan { quiet } => format!(
            "지수 전부 1, 가수 ≠ 0 → NaN ({})",
            if *quiet {
                "조용한 NaN"
            } else {
                "신호 NaN"
            }
        ),
        Formula::NanAllOnes => "전부 1인 패턴(S.1111.111 꼴)만 NaN입니다; 무한대 없음".into(),
        Formula::NanNegZero => {
            "−0이 될 패턴(부호 1, 나머지 0)만 NaN입니다; −0 없음, 무한대 없음".into()
        }
        Formula::NanE8m0 => "전부 1이면 NaN (E8M0에는 부호, 0, 무한대가 없습니다)".into(),
        Formula::Fixed {
            stored,
            frac_bits,
            value,
        } => format!("저장값 {stored} × 2^−{frac_bits}{value}"),
        Formula::Nf4 { code, value } => format!("NF4 코드 {code} → 표의 값{value} (× 블록 absmax)"),
        Formula::Fp4Bnb {
            sign,
            index,
            num,
            value,
        } => format!("(−1)^{sign} × LUT[0b{index}] = {num}/12 → {value} (× 블록 absmax)"),
    }
}

/// How an integer or fixed-point result was formed, in `lang`.
pub fn arith_note(lang: Lang, r: &ArithResult) -> String {
    if lang == Lang::En {
        return r.note();
    }
    let mut s = match r.formed {
        Formed::Exact => "정확".to_owned(),
        Formed::Rescaled { total, frac, shift } => format!(
            "T={total}, F={frac}에서 정확히 계산한 뒤 최근접 짝수 반올림으로 오른쪽 {shift}비트 \
             이동"
        ),
    };
    match r.wrap {
        None => {}
        Some(Wrap::Modulo { width }) => s.push_str(&format!("; 2^{width}로 나눈 나머지로 감김")),
        Some(Wrap::EndAround { width }) => {
            s.push_str(&format!(
                "; 끝자리 올림으로 감김 (2^{width}−1로 나눈 나머지)"
            ));
        }
        Some(Wrap::Magnitude { bits }) => {
            s.push_str(&format!("; 크기가 2^{bits}로 나눈 나머지로 감김"));
        }
    }
    s
}
