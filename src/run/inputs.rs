//! Inputs for the runners: sentences (one a line), 16 kHz WAV audio, and the project's bundled
//! probe sets (`assets/probe/`, see its README for their source and license).

use std::path::Path;

/// The bundled English probe sentences (written for bitlens, CC0).
pub const PROBE_SENTENCES: &str = include_str!("../../assets/probe/sentences_en.txt");
/// Name shown for the bundled sentences.
pub const PROBE_SENTENCES_NAME: &str = super::Probe::Sentences.name();
/// The bundled speech clip (16 kHz mono, espeak-ng speech with silences; CC0).
pub const PROBE_SPEECH: &[u8] = include_bytes!("../../assets/probe/speech_16k.wav");
/// Name shown for the bundled speech.
pub const PROBE_SPEECH_NAME: &str = super::Probe::Speech.name();

/// Sample rate the voice-activity detector runs at.
pub const VAD_RATE: u32 = 16_000;

/// Non-empty lines of `text`, trimmed.
pub fn sentences(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sentences of a text file, one a line; an error names the file when it holds none.
pub fn read_sentences(path: &Path) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: not UTF-8 text (one sentence a line)", path.display()))?;
    let s = sentences(&text);
    if s.is_empty() {
        return Err(format!(
            "{}: no sentences (the file is empty)",
            path.display()
        ));
    }
    Ok(s)
}

/// Mono samples in [-1, 1] of a WAV file, which must be 16 kHz.
pub fn read_wav_16k(path: &Path) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (rate, samples) = parse_wav(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    if rate != VAD_RATE {
        return Err(format!(
            "{}: sampled at {rate} Hz; the voice-activity detector needs {VAD_RATE} Hz (resample it first)",
            path.display()
        ));
    }
    Ok(samples)
}

/// Parse a RIFF/WAVE file: 16-bit PCM or 32-bit float, any channel count (averaged to mono).
pub fn parse_wav(b: &[u8]) -> Result<(u32, Vec<f32>), String> {
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err("not a WAV file (no RIFF/WAVE header)".into());
    }
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (mut fmt, mut data) = (None, None);
    let mut at = 12;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32_at(at + 4) as usize;
        let body = at + 8;
        let end = body
            .checked_add(len)
            .filter(|&e| e <= b.len())
            .ok_or("a WAV chunk runs past the end of the file (truncated)")?;
        match id {
            b"fmt " if len >= 16 => {
                fmt = Some((
                    u16_at(body),
                    u16_at(body + 2),
                    u32_at(body + 4),
                    u16_at(body + 14),
                ));
            }
            b"data" => data = Some(&b[body..end]),
            _ => {}
        }
        at = end + (len & 1);
    }
    let (format, channels, rate, bits) = fmt.ok_or("no fmt chunk")?;
    let data = data.ok_or("no data chunk")?;
    if channels == 0 {
        return Err("0 channels".into());
    }
    let ch = usize::from(channels);
    let frame: Vec<f32> = match (format, bits) {
        (1, 16) => data
            .chunks_exact(2)
            .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
            .collect(),
        (3, 32) => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        (f, n) => {
            return Err(format!(
                "WAV format {f} with {n}-bit samples is not read (16-bit PCM or 32-bit float)"
            ));
        }
    };
    let mono = frame
        .chunks_exact(ch)
        .map(|c| c.iter().sum::<f32>() / ch as f32)
        .collect::<Vec<_>>();
    if mono.is_empty() {
        return Err("no samples".into());
    }
    Ok((rate, mono))
}

/// Silero VAD windows: frames of `frame` samples, each prefixed with the last `context` samples
/// of the previous frame (zeros first); the last frame zero-padded. Returns (windows row-major, T).
pub fn vad_windows(audio: &[f32], frame: usize, context: usize) -> (Vec<f32>, usize) {
    let t = audio.len().div_ceil(frame).max(1);
    let width = context + frame;
    let mut out = vec![0.0f32; t * width];
    for k in 0..t {
        let row = &mut out[k * width..(k + 1) * width];
        if k > 0 {
            let prev_end = k * frame;
            for (j, slot) in row[..context].iter_mut().enumerate() {
                *slot = audio.get(prev_end - context + j).copied().unwrap_or(0.0);
            }
        }
        for (j, slot) in row[context..].iter_mut().enumerate() {
            *slot = audio.get(k * frame + j).copied().unwrap_or(0.0);
        }
    }
    (out, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, samples: &[i16]) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend(16u32.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend(rate.to_le_bytes());
        b.extend((rate * 2).to_le_bytes());
        b.extend(2u16.to_le_bytes());
        b.extend(16u16.to_le_bytes());
        b.extend(b"data");
        b.extend((samples.len() as u32 * 2).to_le_bytes());
        for s in samples {
            b.extend(s.to_le_bytes());
        }
        b
    }

    #[test]
    fn wav_reads_pcm16_and_refuses_broken_files() {
        let (rate, s) = parse_wav(&wav(16000, &[0, 16384, -32768])).unwrap();
        assert_eq!(rate, 16000);
        assert_eq!(s, vec![0.0, 0.5, -1.0]);
        let mut cut = wav(16000, &[1, 2, 3]);
        cut.truncate(cut.len() - 2);
        assert!(parse_wav(&cut).unwrap_err().contains("truncated"));
        assert!(parse_wav(b"hello world!").is_err());
    }

    #[test]
    fn windows_carry_the_previous_context() {
        let audio: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let (w, t) = vad_windows(&audio, 4, 2);
        assert_eq!(t, 3);
        assert_eq!(&w[0..6], &[0.0, 0.0, 0.0, 1.0, 2.0, 3.0]);
        assert_eq!(&w[6..12], &[2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(&w[12..18], &[6.0, 7.0, 8.0, 9.0, 0.0, 0.0]);
    }

    #[test]
    fn bundled_probe_sets_are_large_enough() {
        assert!(sentences(PROBE_SENTENCES).len() >= 200);
        let (rate, s) = parse_wav(PROBE_SPEECH).unwrap();
        assert_eq!(rate, VAD_RATE);
        assert!(s.len() > 5 * VAD_RATE as usize);
    }
}
