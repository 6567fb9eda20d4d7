//! Command-line interface.

use crate::decode_cmd::{self, DecodeArgs};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "skyspy",
    version,
    about = "SkySpy Edge: ADS-B / Mode S receiver firmware"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Decode an IQ recording and print the messages found.
    Decode(DecodeArgs),
    /// Write a simulated 1090 MHz IQ recording (cu8) with its ground truth.
    Simulate(decode_cmd::SimulateArgs),
    /// Run the receive chain on simulated traffic (no radio needed) and show what it heard.
    Demo(crate::demo::DemoArgs),
    /// Decode replies given as hex lines (dump1090 raw, AVR or bare) to JSON.
    Hex(crate::hex_cmd::HexArgs),
    /// Run the daemon: receive, track, and serve the Realtime API (no radio: the simulator).
    Run(crate::daemon::RunArgs),
    /// List the RTL-SDR dongles plugged in (index, serial, product), for `[radio.*] device`.
    Devices,
    /// Apply the SD image's settings file (boot partition) to the system: host name, Wi-Fi,
    /// SSH keys and the daemon's config. Run at boot by skyspy-setup.service.
    Setup(crate::setup::SetupArgs),
}

/// Errors that end the program, each with its exit code (sysexits.h).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or unusable input (EX_DATAERR / EX_NOINPUT).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A config file or flag that cannot be used (EX_USAGE: systemd does not restart).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupError),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 65,
            CliError::Io(_) => 74,
            CliError::Config(_) => 64,
            CliError::Setup(crate::setup::SetupError::Write { .. }) => 74,
            CliError::Setup(_) => 64,
        }
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Decode(args) => decode_cmd::decode(&args),
        Command::Simulate(args) => decode_cmd::simulate(&args),
        Command::Demo(args) => crate::demo::demo(&args),
        Command::Hex(args) => crate::hex_cmd::hex(&args),
        Command::Run(args) => crate::daemon::main(&args),
        Command::Devices => {
            let found = crate::radio::rtlsdr::list();
            if found.is_empty() {
                println!("no RTL-SDR dongle found");
            }
            for d in found {
                println!("{}\tserial {:?}\t{}", d.index, d.serial, d.product);
            }
            Ok(())
        }
        Command::Setup(args) => {
            use crate::setup::Outcome;
            match crate::setup::apply(&args.settings, &args.root)? {
                Outcome::Applied => println!("applied {}", args.settings.display()),
                Outcome::Unchanged => {
                    println!("{} unchanged since it was applied", args.settings.display())
                }
                Outcome::NoFile => println!("no {}: nothing to apply", args.settings.display()),
            }
            Ok(())
        }
    }
}
