//! The command line: thin commands over the library (the daemon, the receive chain, the
//! SD image's settings), each in its own file.

mod cpr_pairer;
pub mod decode;
pub mod demo;
pub mod hex;
pub mod run;
pub mod setup;
pub mod simulate;

use clap::{Parser, Subcommand};
use decode::DecodeArgs;

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
    Simulate(simulate::SimulateArgs),
    /// Run the receive chain on simulated traffic (no radio needed) and show what it heard.
    Demo(demo::DemoArgs),
    /// Decode replies given as hex lines (dump1090 raw, AVR or bare) to JSON.
    Hex(hex::HexArgs),
    /// Run the daemon: receive, track, and serve the Realtime API (no radio: the simulator).
    Run(run::RunArgs),
    /// List the RTL-SDR dongles plugged in (index, serial, product), for `[radio.*] device`.
    Devices,
    /// Apply the SD image's settings file (boot partition) to the system: host name, Wi-Fi,
    /// SSH keys and the daemon's config. Run at boot by skyspy-setup.service.
    Setup(setup::SetupArgs),
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
    Setup(#[from] setup::SetupError),
    /// An aircraft database file the config names cannot be read (EX_USAGE, as a config).
    #[error(transparent)]
    Database(#[from] crate::core::aircraft_db::LoadError),
}

impl From<crate::daemon::DaemonError> for CliError {
    fn from(e: crate::daemon::DaemonError) -> Self {
        match e {
            crate::daemon::DaemonError::Source(m) => CliError::Input(m),
            crate::daemon::DaemonError::Io(e) => CliError::Io(e),
            crate::daemon::DaemonError::AircraftDb(e) => CliError::Database(e),
        }
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 65,
            CliError::Io(_) => 74,
            CliError::Config(_) | CliError::Database(_) => 64,
            CliError::Setup(setup::SetupError::Write { .. }) => 74,
            CliError::Setup(_) => 64,
        }
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Decode(args) => decode::decode(&args),
        Command::Simulate(args) => simulate::simulate(&args),
        Command::Demo(args) => demo::demo(&args),
        Command::Hex(args) => hex::hex(&args),
        Command::Run(args) => run::main(&args),
        Command::Devices => {
            let found = crate::source::radio::rtlsdr::list();
            if found.is_empty() {
                println!("no RTL-SDR dongle found");
            }
            for d in found {
                println!("{}\tserial {:?}\t{}", d.index, d.serial, d.product);
            }
            Ok(())
        }
        Command::Setup(args) => {
            use setup::Outcome;
            match setup::apply(&args.settings, &args.root)? {
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
