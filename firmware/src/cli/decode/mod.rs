//! `skyspy decode`: an IQ recording through the receive chain of its band, one line or JSON
//! object per message. The bands' decoders are in their own files; the recording reader they
//! share is here.

mod modes;
mod uat;
pub(crate) mod vhf;

use crate::cli::CliError;
use crate::config::Band;
use dsp::{IqFormat, SampleRate};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DecodeArgs {
    /// IQ recording ("-" for standard input).
    pub file: PathBuf,
    /// Sample format: cu8 (rtl_sdr), cs16 or cf32.
    #[arg(long, default_value = "cu8")]
    pub format: IqFormat,
    /// Sample rate: 2.4M or 2.0M at 1090 MHz; 1.0M to 3.2M on the VHF band (default 2.5M
    /// there). 978 MHz input is always 2.083333 MS/s.
    #[arg(long)]
    pub rate: Option<String>,
    /// Which band the recording is of: 1090 (Mode S / ADS-B), 978 (UAT) or vhf.
    #[arg(long, default_value = "1090")]
    pub band: Band,
    /// VHF: the frequency the recording was tuned to ("130.35M", "130350k", or MHz).
    #[arg(long)]
    pub center: Option<String>,
    /// VHF: the ACARS channels, MHz, comma-separated (default, without --vdl2: the six US
    /// channels).
    #[arg(long, value_delimiter = ',')]
    pub acars: Vec<f64>,
    /// VHF: the VDL2 channels, MHz, comma-separated (the rate must be a multiple of 52.5 kHz;
    /// with `--band vdl2` the default is the seven VDL2 channels at 2.1M).
    #[arg(long, value_delimiter = ',')]
    pub vdl2: Vec<f64>,
    /// VHF: the voice channels, MHz, comma-separated: 25 kHz channels (118.0), 8.33 kHz
    /// channels by label (127.105) or exact frequency (127.10833).
    #[arg(long, value_delimiter = ',')]
    pub am: Vec<f64>,
    /// VHF: write each transmission's audio here (16-bit PCM WAV, 8 kHz).
    #[arg(long)]
    pub audio_dir: Option<PathBuf>,
    /// Print one JSON object per message instead of `*HEX;` lines.
    #[arg(long)]
    pub json: bool,
    /// Also repair 2-bit errors in DF17/18 (from known aircraft only).
    #[arg(long)]
    pub fix_2bit: bool,
    /// Accept only frames with a clean CRC (no repair of any kind).
    #[arg(long)]
    pub no_fix: bool,
    /// Receiver latitude (resolves surface positions).
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Receiver longitude.
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Write the summary as JSON to this file as well.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
    /// No summary on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    match args.band {
        Band::Uat => uat::decode(args),
        Band::Vhf | Band::Vdl2 => vhf::decode(args),
        Band::Modes => modes::decode(args),
    }
}

impl DecodeArgs {
    /// The 1090 MHz sample rate (2.4M unless `--rate`).
    pub fn modes_rate(&self) -> Result<SampleRate, CliError> {
        self.rate
            .as_deref()
            .unwrap_or("2.4M")
            .parse()
            .map_err(CliError::Input)
    }
}

/// at the end; shows progress on a terminal for long files. Returns the bytes read.
pub(crate) fn read_input(
    path: &std::path::Path,
    bytes_per_s: u64,
    mut f: impl FnMut(Option<&[u8]>) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let mut input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(path)
            .map_err(|e| CliError::Input(format!("cannot open {}: {e}", path.display())))?;
        Box::new(file)
    };
    let total_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let progress = progress_bar(total_bytes, bytes_per_s);
    let mut buf = vec![0u8; 1 << 18];
    let mut total_read = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        total_read += n as u64;
        f((n > 0).then(|| &buf[..n]))?;
        if let Some(p) = &progress {
            p.set_position(total_read);
        }
        if n == 0 {
            break;
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    Ok(total_read)
}

fn progress_bar(total_bytes: u64, bytes_per_s: u64) -> Option<ProgressBar> {
    // Only on a terminal, and only when the file is long enough to wait for.
    if !std::io::stderr().is_terminal() || total_bytes < 5 * bytes_per_s {
        return None;
    }
    let p = ProgressBar::new(total_bytes);
    let style =
        ProgressStyle::with_template("{bar:40} {percent:>3}% {bytes}/{total_bytes} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    p.set_style(style);
    Some(p)
}
