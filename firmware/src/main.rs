//! `skyspy`: wires the command line to the subcommands; the work lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = skyspy::cli::Cli::parse();
    match skyspy::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("skyspy: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}
