//! Korean for the demo reports. The demos (core layer) write English labels and notes; the app
//! shows them in the UI language: column names and fixed labels by table, labels with numbers by
//! pattern (`adapter {}→{}→{} after {}`), notes by their stable code with the report's own values
//! substituted. Anything without a translation is shown as written.

use serde_json::Value;

use crate::ui::i18n::{Lang, fill, tr_pattern};

/// Report columns and memory keys.
const COLUMNS: &[(&str, &str)] = &[
    ("bits", "비트"),
    ("levels", "레벨 수"),
    ("ptq_accuracy", "PTQ 정확도"),
    ("qat_accuracy", "QAT 정확도"),
    ("weight_bytes", "가중치 바이트"),
    ("model", "모델"),
    ("architecture", "구조"),
    ("params", "파라미터 수"),
    ("taught_by", "가르친 쪽"),
    ("test_accuracy", "테스트 정확도"),
    ("test_loss", "테스트 손실"),
    ("method", "방법"),
    ("trainable_params", "학습 파라미터 수"),
    ("trainable_fraction", "학습 비율"),
    ("optimizer_bytes", "옵티마이저 바이트"),
    ("accuracy_before", "학습 전 정확도"),
    ("accuracy_after", "학습 후 정확도"),
    ("base_weight_params", "기본 모델 가중치 수"),
    ("base_bias_params", "기본 모델 편향 수"),
    ("base_weight_bytes_fp32", "기본 모델 가중치 바이트 (fp32)"),
    (
        "base_weight_bytes_stored",
        "기본 모델 가중치 바이트 (저장 형식)",
    ),
    ("base_saving_ratio", "기본 모델 절감 배율"),
    ("base_format", "기본 모델 저장 형식"),
    ("lora_params", "LoRA 파라미터 수"),
    ("full_finetune_params", "전체 미세 조정 파라미터 수"),
    ("lora_fraction", "LoRA 비율"),
    ("lora_optimizer_bytes", "LoRA 옵티마이저 바이트"),
    (
        "full_finetune_optimizer_bytes",
        "전체 미세 조정 옵티마이저 바이트",
    ),
];

/// Labels (table cells, curve names) as written by the demos; `{}` matches any text.
const LABELS: &[(&str, &str)] = &[
    ("teacher (built-in)", "교사 (내장 모델)"),
    ("student (labels only)", "학생 (레이블만)"),
    ("assistant (KD from teacher)", "조교 (교사에게서 KD)"),
    ("student (KD from teacher)", "학생 (교사에게서 KD)"),
    ("student (KD from assistant)", "학생 (조교에게서 KD)"),
    (
        "student (TAKD: KD from assistant)",
        "학생 (TAKD: 조교에게서 KD)",
    ),
    ("labels", "레이블"),
    ("teacher", "교사"),
    ("assistant", "조교"),
    ("full fine-tuning", "전체 미세 조정"),
    ("base model, no training", "기본 모델, 학습 없음"),
    ("base model ({}), no training", "기본 모델 ({0}), 학습 없음"),
    ("adapter {}→{}→{} after {}", "어댑터 {0}→{1}→{2} ({3} 뒤)"),
    (
        "prompt tuning ({} input values)",
        "프롬프트 튜닝 (입력값 {0}개)",
    ),
    ("QAT {}-bit", "QAT {0}비트"),
    (
        "NF4, blocks of {}, double-quantized absmax (8-bit, groups of 256)",
        "NF4, {0}개씩 블록, absmax 이중 양자화 (8비트, 256개씩 그룹)",
    ),
    (
        "NF4, blocks of {}, f32 absmax",
        "NF4, {0}개씩 블록, f32 absmax",
    ),
];

/// Notes by code; `{N}` is the note's N-th value.
const NOTES: &[(&str, &str)] = &[
    (
        "adapter_lowered",
        "어댑터가 정확도를 낮췄습니다 ({0} % → {1} %)",
    ),
    (
        "prompt_lowered",
        "프롬프트 튜닝이 정확도를 낮췄습니다 ({0} % → {1} %)",
    ),
    (
        "lora_share_large",
        "LoRA가 파라미터의 {0} %를 학습합니다 (10 % 미만이 아님): 이렇게 작은 층에는 랭크 {1}이 큽니다",
    ),
    (
        "qat_below_ptq_noise",
        "{0}비트: QAT ({1} %)가 PTQ ({2} %)보다 낮습니다: 이 너비에서는 PTQ가 이미 fp32와 \
         {3}포인트 이내라 QAT가 복구할 반올림 손상이 거의 없고, 짧은 미세조정의 실행 간 잡음 \
         (테스트 이미지 1,000장에서 표준오차 ±0.6포인트)이 순서를 정합니다",
    ),
    (
        "qat_below_ptq_schedule",
        "{0}비트: QAT ({1} %)가 PTQ ({2} %)보다 낮습니다: 반올림 오차만으로는 설명되지 \
         않습니다. 이 너비에 비해 미세조정 일정(학습률, 에포크)이 너무 짧거나 너무 \
         공격적일 가능성이 큽니다",
    ),
    (
        "kd_below_labels",
        "교사에게서 증류한 학생({0} %)이 {2} 에포크 뒤 레이블만 쓴 학생({1} %)보다 \
         낮습니다. 측정된 이유: 여기서는 증류가 더 느리게 수렴합니다 — T = {3}의 소프트 \
         타깃이 평평해서 초반에는 레이블 신호가 약하고, 코사인 스케줄이 끝날 때 레이블만 쓴 \
         곡선은 이미 평평해졌지만 KD 곡선은 아직 오르는 중입니다. 기본 설정(T = 4, α = 0.9, \
         784-32-10)으로 측정: 60 에포크에서는 순서가 뒤집힙니다(시드 1, 2, 3: KD 92.1 / \
         92.6 / 92.2 % 대 레이블만 91.5 / 92.0 / 92.1 %, 테스트 손실도 KD가 약 0.23 대 0.28로 \
         더 낮음). 20 에포크에서는 세 시드 모두 낮습니다(−1.0, −0.3, −0.3포인트)",
    ),
    (
        "takd_below_kd",
        "TAKD({0} %)가 직접 증류({1} %)보다 낮습니다: 여기서 교사–학생 격차(109k 대 {2}k \
         파라미터, 둘 다 MLP)는 작고, TAKD 논문도 이런 경우 조교의 도움이 가장 적다고 \
         봅니다. 차이는 1,000장 테스트 세트의 표준오차 ±0.9포인트 이내입니다",
    ),
];

/// A column or memory key as a header.
pub fn column(lang: Lang, key: &str) -> String {
    if lang == Lang::Ko
        && let Some((_, ko)) = COLUMNS.iter().find(|(k, _)| *k == key)
    {
        return (*ko).to_owned();
    }
    key.replace('_', " ")
}

/// A label written by a demo (row names, curve names, formats).
pub fn label(lang: Lang, text: &str) -> String {
    tr_pattern(lang, text, LABELS)
}

/// A report note (`{"code", "args", "text"}`; a plain string is shown as it is).
pub fn note(lang: Lang, note: &Value) -> String {
    let text = note
        .get("text")
        .and_then(Value::as_str)
        .or_else(|| note.as_str())
        .unwrap_or_default();
    if lang == Lang::Ko
        && let Some(code) = note.get("code").and_then(Value::as_str)
        && let Some((_, ko)) = NOTES.iter().find(|(c, _)| *c == code)
    {
        let args: Vec<&str> = note
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        return fill(ko, &args);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_exactly_or_by_pattern() {
        assert_eq!(label(Lang::Ko, "teacher"), "교사");
        assert_eq!(label(Lang::En, "teacher"), "teacher");
        assert_eq!(
            label(Lang::Ko, "adapter 128→16→128 after fc1"),
            "어댑터 128→16→128 (fc1 뒤)"
        );
        assert_eq!(label(Lang::Ko, "QAT 3-bit"), "QAT 3비트");
        assert_eq!(
            label(Lang::Ko, "base model (NF4 + double quant), no training"),
            "기본 모델 (NF4 + double quant), 학습 없음"
        );
        // No pattern: unchanged.
        assert_eq!(
            label(Lang::Ko, "LoRA r=4 α=8 (fc1, fc2, fc3)"),
            "LoRA r=4 α=8 (fc1, fc2, fc3)"
        );
        assert_eq!(label(Lang::Ko, "teacher extra"), "teacher extra");
        assert_eq!(column(Lang::Ko, "test_accuracy"), "테스트 정확도");
        assert_eq!(column(Lang::En, "test_accuracy"), "test accuracy");
        assert_eq!(column(Lang::Ko, "unknown_key"), "unknown key");
    }

    #[test]
    fn notes_by_code_with_values() {
        let n = serde_json::json!({
            "code": "adapter_lowered",
            "args": ["90.1", "88.0"],
            "text": "the adapter lowered the accuracy (90.1 % → 88.0 %)"
        });
        assert_eq!(
            note(Lang::Ko, &n),
            "어댑터가 정확도를 낮췄습니다 (90.1 % → 88.0 %)"
        );
        assert_eq!(
            note(Lang::En, &n),
            "the adapter lowered the accuracy (90.1 % → 88.0 %)"
        );
        assert_eq!(note(Lang::Ko, &serde_json::json!("plain")), "plain");
        // Every template uses only values its code provides (no `{N}` left over).
        for (code, ko) in NOTES {
            let filled = fill(ko, &["a", "b", "c", "d"]);
            assert!(!filled.contains('{'), "{code}: {filled}");
        }
    }
}
