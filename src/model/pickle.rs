//! Restricted unpickler (placeholder).
