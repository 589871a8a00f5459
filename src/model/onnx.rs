//! ONNX. Placeholder until the parser lands.
use super::source::{Ctx, Parsed};
pub(crate) fn parse(_b: &[u8], _ctx: &Ctx<'_>) -> Result<Parsed, String> {
    Err("ONNX reading is not implemented yet".into())
}
