//! Korean for the demo reports. The report is typed (its table headers are i18n keys, see
//! `demo_report`); the demos (core layer) still write their run labels in English, which the
//! app shows in the UI language: fixed labels by table, labels with numbers by pattern
//! (`adapter {}-{}-{} after {}`), notes by their stable code with the report's own values
//! substituted. Anything without a translation is shown as written.

use crate::demos::Note;

use crate::ui::i18n::{Lang, fill, tr_pattern};

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
    (
        "base model (NF4 + double quant), no training",
        "기본 모델 (NF4 + 이중 양자화), 학습 없음",
    ),
    ("base model ({}), no training", "기본 모델 ({0}), 학습 없음"),
    ("adapter {}-{}-{} after {}", "어댑터 {0}-{1}-{2} ({3} 뒤)"),
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
        "교사에게서 증류한 학생({0} %)이 {2} 에포크 뒤 레이블만 쓴 학생({1} %)보다 낮습니다: \
         T = {3}의 소프트 타깃이 평평해서 증류가 더 느리게 수렴합니다. 측정 결과 60 에포크에서는 \
         순서가 뒤집힙니다(시드 1–3: KD 92.1–92.6 % 대 레이블만 91.5–92.1 %)",
    ),
    (
        "takd_below_kd",
        "TAKD({0} %)가 직접 증류({1} %)보다 낮습니다: 교사–학생 격차(109k 대 {2}k 파라미터)가 \
         작으면 조교의 도움이 가장 적고, 차이는 테스트 이미지 1,000장의 표준오차 ±0.9포인트 \
         이내입니다",
    ),
];

/// A label written by a demo (row names, curve names, formats).
pub fn label(lang: Lang, text: &str) -> String {
    tr_pattern(lang, text, LABELS)
}

/// A report note in the UI language: its translation by `code` with its own values, else its
/// English text.
pub fn note(lang: Lang, note: &Note) -> String {
    if lang == Lang::Ko
        && let Some((_, ko)) = NOTES.iter().find(|(c, _)| *c == note.code)
    {
        let args: Vec<&str> = note.args.iter().map(String::as_str).collect();
        return fill(ko, &args);
    }
    note.text.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_exactly_or_by_pattern() {
        assert_eq!(label(Lang::Ko, "teacher"), "교사");
        assert_eq!(label(Lang::En, "teacher"), "teacher");
        assert_eq!(
            label(Lang::Ko, "adapter 128-16-128 after fc1"),
            "어댑터 128-16-128 (fc1 뒤)"
        );
        assert_eq!(label(Lang::Ko, "QAT 3-bit"), "QAT 3비트");
        assert_eq!(
            label(Lang::Ko, "base model (NF4 + double quant), no training"),
            "기본 모델 (NF4 + 이중 양자화), 학습 없음"
        );
        // No pattern: unchanged.
        assert_eq!(
            label(Lang::Ko, "LoRA r=4 α=8 (fc1, fc2, fc3)"),
            "LoRA r=4 α=8 (fc1, fc2, fc3)"
        );
        assert_eq!(label(Lang::Ko, "teacher extra"), "teacher extra");
    }

    #[test]
    fn notes_by_code_with_values() {
        let n = Note::new(
            "adapter_lowered",
            vec!["90.1".into(), "88.0".into()],
            "the adapter lowered the accuracy (90.1 % → 88.0 %)".into(),
        );
        assert_eq!(
            note(Lang::Ko, &n),
            "어댑터가 정확도를 낮췄습니다 (90.1 % → 88.0 %)"
        );
        assert_eq!(
            note(Lang::En, &n),
            "the adapter lowered the accuracy (90.1 % → 88.0 %)"
        );
        let unknown = Note::new("no_such_code", vec![], "plain".into());
        assert_eq!(note(Lang::Ko, &unknown), "plain");
        // Every template uses only values its code provides (no `{N}` left over).
        for (code, ko) in NOTES {
            let filled = fill(ko, &["a", "b", "c", "d"]);
            assert!(!filled.contains('{'), "{code}: {filled}");
        }
    }
}
