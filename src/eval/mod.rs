//! eval (see lib.rs for the layer map).
