//! Protobuf wire-format reader (placeholder).
