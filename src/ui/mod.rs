//! egui front end.

/// Open the desktop app (filled in by the app shell).
pub fn run_native(_cli: &crate::cli::Cli) -> anyhow::Result<()> {
    anyhow::bail!("the app shell is being written")
}
