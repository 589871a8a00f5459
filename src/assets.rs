//! L0: data shipped in the binary that more than one layer uses (each with its license in
//! `assets/`).

/// NanumGothic Regular (SIL OFL 1.1, `assets/NanumGothic-LICENSE.txt`): the UI's Korean and Latin
/// font, and the font the OCR probe lines are rendered with.
pub const NANUM_GOTHIC: &[u8] = include_bytes!("../assets/NanumGothic.ttf");
