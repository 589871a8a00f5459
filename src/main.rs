//! The `bitlens` binary: a thin shell around the library's CLI and app.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match bitlens::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Some(command) => bitlens::cli::run(command),
        None => open_app(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let usage = err.downcast_ref::<bitlens::cli::UsageError>().is_some();
            eprintln!("bitlens: {err:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

#[cfg(feature = "gui")]
fn open_app(cli: &bitlens::cli::Cli) -> anyhow::Result<()> {
    bitlens::ui::run_native(cli)
}

#[cfg(not(feature = "gui"))]
fn open_app(_cli: &bitlens::cli::Cli) -> anyhow::Result<()> {
    Err(bitlens::cli::UsageError(
        "this build has no GUI (built without the `gui` feature); use a subcommand, see --help"
            .into(),
    )
    .into())
}
