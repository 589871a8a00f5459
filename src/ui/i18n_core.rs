//! The core's typed notes and reasons in the UI language: English is their own text
//! ([`std::fmt::Display`], what the CLI prints), Korean is written here from their fields, one
//! arm per variant (no English sentence is matched).

use crate::compress::{Note, TensorNote};
use crate::engine::label::Words;
use crate::engine::{Config, ConfigPoint, ExportNote};
use crate::run::{InputSource, NotRunnable, Probe, Reading};
use crate::ui::i18n::Lang;

/// A compressor note.
pub fn note(lang: Lang, n: &Note) -> String {
    if lang == Lang::En {
        return n.to_string();
    }
    match n {
        Note::GgmlFallback {
            wanted,
            row_len,
            used,
        } => format!(
            "{}은(는) 행 길이가 {}의 배수여야 합니다: 행 길이 {row_len}에는 {}을(를) 씁니다 \
             (llama.cpp의 대체 규칙)",
            wanted.name(),
            wanted.block_size(),
            used.name()
        ),
        Note::StochasticUnavailable { format } => {
            format!("{format}에서는 확률적 반올림을 쓸 수 없어 최근접 짝수로 반올림했습니다")
        }
    }
}

/// A compressor note with the tensor it is about.
pub fn tensor_note(lang: Lang, n: &TensorNote) -> String {
    format!("{}: {}", n.tensor, note(lang, &n.note))
}

/// What an export layout did differently from the setting.
pub fn export_note(lang: Lang, n: &ExportNote) -> String {
    if lang == Lang::En {
        return n.to_string();
    }
    match n {
        ExportNote::StoredDequantized { tensor } => {
            format!("`{tensor}`은(는) 역양자화(F32)로 저장됩니다: 설정에 정수 코드가 없습니다")
        }
        ExportNote::NoGgufType { tensor, dtype } => {
            format!("`{tensor}` ({dtype})은(는) 빠집니다: GGUF에 해당 형식이 없습니다")
        }
        ExportNote::NameTooLong { tensor, bytes, max } => {
            format!("`{tensor}` 이름이 {bytes}바이트입니다: llama.cpp는 {max}바이트까지만 읽습니다")
        }
    }
}

/// Why a model's outputs are not measured.
pub fn not_runnable(lang: Lang, r: &NotRunnable) -> String {
    if lang == Lang::En {
        return r.to_string();
    }
    let sqnr = "가중치 SQNR만 보입니다";
    match r {
        NotRunnable::BuiltIn => "내장 모델은 자체 테스트 세트로 평가합니다".to_owned(),
        NotRunnable::NoRunFeature => format!("`run` 기능 없이 빌드되었습니다; {sqnr}"),
        NotRunnable::NoRunner(format) => {
            format!("{format:?} 파일을 실행하는 러너가 없습니다; {sqnr}")
        }
        NotRunnable::TooLarge { params, runs: true } => format!(
            "부동소수점 매개변수 {:.2e}개: 여기서 실행하기에 너무 큽니다 (bitlens는 f32로 \
             256 MiB까지의 ONNX 그래프와 BERT 인코더를 실행합니다); {sqnr}",
            *params as f64
        ),
        NotRunnable::TooLarge {
            params,
            runs: false,
        } => format!(
            "부동소수점 매개변수 {:.2e}개: 내장 평가기는 번들된 숫자 데이터의 작은 완전연결 \
             MLP만 실행합니다; {sqnr}",
            *params as f64
        ),
        NotRunnable::MissingFile { dir, file } => format!(
            "{}: 가중치 옆에 {file}이(가) 없습니다; {sqnr}",
            dir.display()
        ),
        NotRunnable::Architecture(name) => format!(
            "config.json의 구조는 {name}입니다: 이 구조를 실행하는 러너가 없습니다 (BERT \
             인코더는 실행됩니다); {sqnr}"
        ),
        NotRunnable::Sharded(dir) => format!(
            "{}: 여러 파일로 나뉜 인코더는 실행하지 않습니다; {sqnr}",
            dir.display()
        ),
        NotRunnable::FileBacked => {
            "파일에서 텐서를 하나씩 읽는 모델입니다: 내장 평가기는 모델 전체를 풀어 둬야 합니다"
                .to_owned()
        }
        NotRunnable::NotAnMlp(why) => format!("내장 평가기의 MLP가 아닙니다: {why}"),
        NotRunnable::Failed(why) => format!("러너를 시작하지 못했습니다: {why}"),
    }
}

/// Where a run's inputs came from.
pub fn input_source(lang: Lang, s: &InputSource) -> String {
    match (lang, s) {
        (Lang::En, _) | (_, InputSource::File(_)) => s.to_string(),
        (Lang::Ko, InputSource::Bundled(Probe::Sentences)) => {
            "내장 탐침 문장 (assets/probe/sentences_en.txt)".to_owned()
        }
        (Lang::Ko, InputSource::Bundled(Probe::Speech)) => {
            "내장 음성 (assets/probe/speech_16k.wav)".to_owned()
        }
        (Lang::Ko, InputSource::Bundled(Probe::TextLines)) => {
            "내장 텍스트 줄 (assets/probe/ocr_lines.txt, NanumGothic으로 렌더링)".to_owned()
        }
        (Lang::Ko, InputSource::Synthetic) => "합성 입력 (무작위, 시드 고정)".to_owned(),
    }
}

/// A pooling's name (`Mean`, `Cls`, `Max`) in Korean.
fn pooling_ko(pooling: &str) -> &str {
    match pooling {
        "Mean" => "평균",
        "Max" => "최대",
        "Cls" => "CLS",
        other => other,
    }
}

/// What a run's fp32 output says.
pub fn reading(lang: Lang, r: &Reading) -> String {
    if lang == Lang::En {
        return r.to_string();
    }
    match r {
        Reading::Embeddings {
            sentences,
            dim,
            pooling,
            normalised,
            mean_norm,
        } => format!(
            "문장 {sentences}개 → {dim}차원 임베딩 ({} 풀링{}; 평균 노름 {mean_norm:.3})",
            pooling_ko(pooling),
            if *normalised { ", 정규화" } else { "" }
        ),
        Reading::Classes { rows, classes } => format!("{classes}개 클래스의 행 {rows}개"),
        Reading::Values { n } => format!("값 {n}개"),
        Reading::TextLines {
            lines,
            one_minus_cer,
            first,
        } => {
            format!("{lines}줄 인식, 정답 문자열 대비 1 − CER {one_minus_cer:.4}; 첫 줄: {first:?}")
        }
        Reading::Speech {
            speech,
            frames,
            threshold,
        } => format!("32 ms 프레임 {frames}개 중 {speech}개가 음성 (p ≥ {threshold})"),
    }
}

/// The words of a config label in Korean (see [`crate::engine::label`]).
const KOREAN_WORDS: Words = Words {
    sym: "대칭",
    asym: "비대칭",
    tensor: "텐서",
    channel: "채널",
    prune: "가지치기",
    act: "활성화",
    mixed: "혼합",
};

/// The label of a config (a point's `config` and `label`) in `lang`: a label its scheme makes
/// is written in the UI language from the scheme; a label of its own (a file's dtype, a name
/// typed in a sweep file) is shown as it is.
pub fn config_label(lang: Lang, config: &Config, label: &str) -> String {
    match lang {
        Lang::En => label.to_owned(),
        Lang::Ko => crate::engine::label::relabel(config, label, &KOREAN_WORDS),
    }
}

/// [`config_label`] of a measured point.
pub fn point_label(lang: Lang, p: &ConfigPoint) -> String {
    config_label(lang, &p.config, &p.label)
}
