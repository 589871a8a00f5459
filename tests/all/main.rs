//! The one integration-test binary (see Cargo.toml `autotests = false`): one module per area.
