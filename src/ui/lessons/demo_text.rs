//! Korean for the demo reports. The report is typed all the way (its table headers are i18n
//! keys, see `demo_report`): run names ([`Label`]) and notes ([`Note`]) carry a stable code and
//! their values, and the Korean is looked up by code with the same values filled in. Anything
//! without a translation is shown as written.

use crate::demos::{Label, Note};

use crate::ui::i18n::{Lang, fill};

/// Run names by code; `{N}` is the label's N-th value.
const LABELS: &[(&str, &str)] = &[
    ("teacher_builtin", "교사 (내장 모델)"),
    ("student_labels", "학생 (레이블만)"),
    ("assistant_kd_teacher", "조교 (교사에게서 KD)"),
    ("student_kd_teacher", "학생 (교사에게서 KD)"),
    ("student_kd_assistant", "학생 (조교에게서 KD)"),
    ("student_takd", "학생 (TAKD: 조교에게서 KD)"),
    ("labels", "레이블"),
    ("teacher", "교사"),
    ("assistant", "조교"),
    ("full_fine_tuning", "전체 미세 조정"),
    ("base_no_training", "기본 모델, 학습 없음"),
    ("base_fp32_no_training", "기본 모델 (fp32), 학습 없음"),
    ("base_nf4_no_training", "기본 모델 (NF4), 학습 없음"),
    (
        "base_nf4_dq_no_training",
        "기본 모델 (NF4 + 이중 양자화), 학습 없음",
    ),
    ("adapter_after", "어댑터 {0}-{1}-{0} ({2} 뒤)"),
    ("prompt_tuning", "프롬프트 튜닝 (입력값 {0}개)"),
    ("qat_bits", "QAT {0}비트"),
    ("lora_run", "{0} r={1} α={2} ({3})"),
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

/// A run's name (a row, a curve) in the UI language: its translation by `code` with its own
/// values, else its English text.
pub fn label(lang: Lang, label: &Label) -> String {
    by_code(lang, LABELS, label.code, &label.args).unwrap_or_else(|| label.text.clone())
}

/// The Korean template of `code` in `table` with `args` filled in (`None` in English or when
/// the code has no entry).
fn by_code(lang: Lang, table: &[(&str, &str)], code: &str, args: &[String]) -> Option<String> {
    let (_, ko) = table
        .iter()
        .find(|(c, _)| *c == code)
        .filter(|_| lang == Lang::Ko)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Some(fill(ko, &args))
}

/// A report note in the UI language: its translation by `code` with its own values, else its
/// English text.
pub fn note(lang: Lang, note: &Note) -> String {
    by_code(lang, NOTES, note.code, &note.args).unwrap_or_else(|| note.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_by_code_with_values() {
        let teacher = Label::fixed("teacher", "teacher");
        assert_eq!(label(Lang::Ko, &teacher), "교사");
        assert_eq!(label(Lang::En, &teacher), "teacher");
        let adapter = Label::new(
            "adapter_after",
            vec!["128".into(), "16".into(), "fc1".into()],
            "adapter 128-16-128 after fc1".into(),
        );
        assert_eq!(label(Lang::Ko, &adapter), "어댑터 128-16-128 (fc1 뒤)");
        let qat = Label::new("qat_bits", vec!["3".into()], "QAT 3-bit".into());
        assert_eq!(label(Lang::Ko, &qat), "QAT 3비트");
        let base = Label::fixed(
            "base_nf4_dq_no_training",
            "base model (NF4 + double quant), no training",
        );
        assert_eq!(
            label(Lang::Ko, &base),
            "기본 모델 (NF4 + 이중 양자화), 학습 없음"
        );
        // No entry: as written.
        let other = Label::fixed("no_such_code", "teacher extra");
        assert_eq!(label(Lang::Ko, &other), "teacher extra");
        for (code, ko) in LABELS {
            let filled = fill(ko, &["a", "b", "c", "d"]);
            assert!(!filled.contains('{'), "{code}: {filled}");
        }
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
