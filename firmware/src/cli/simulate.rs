//! `skyspy simulate`: a 1090 MHz IQ recording of generated traffic, with its exact truth.

use crate::cli::CliError;
use dsp::cpr::Position;
use dsp::gen::{generate, TrafficConfig};
use dsp::SampleRate;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Output IQ file (cu8).
    pub output: PathBuf,
    /// Seconds of IQ to write.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long, default_value = "2.4M")]
    pub rate: SampleRate,
    /// Number of aircraft.
    #[arg(long, default_value_t = 100)]
    pub aircraft: usize,
    /// Per-message SNR range in dB, LO:HI.
    #[arg(long, default_value = "6:30")]
    pub snr: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 52.0, allow_hyphen_values = true)]
    pub lat: f64,
    #[arg(long, default_value_t = 4.0, allow_hyphen_values = true)]
    pub lon: f64,
    /// Write the ground truth (one JSON object per reply sent) here.
    #[arg(long)]
    pub truth: Option<PathBuf>,
}

pub fn simulate(args: &SimulateArgs) -> Result<(), CliError> {
    let (lo, hi) = args
        .snr
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)))
        .filter(|(a, b)| a <= b)
        .ok_or_else(|| {
            CliError::Input(format!(
                "--snr {:?}: expected LO:HI in dB, LO ≤ HI",
                args.snr
            ))
        })?;
    if !(args.seconds > 0.0 && args.seconds <= 3600.0) {
        return Err(CliError::Input("--seconds must be in (0, 3600]".into()));
    }
    let mut cfg = TrafficConfig::new(
        args.rate,
        Position {
            lat: args.lat,
            lon: args.lon,
        },
        args.aircraft,
        args.seed,
    );
    cfg.snr_db = (lo, hi);
    let (iq, sent) = generate(cfg, args.seconds);
    std::fs::write(&args.output, &iq)?;
    if let Some(path) = &args.truth {
        let mut w = BufWriter::new(File::create(path)?);
        for t in &sent {
            let hex: String = t.reply.data().iter().map(|b| format!("{b:02x}")).collect();
            let line = serde_json::json!({
                "hex": hex, "icao": format!("{:06x}", t.icao), "start_sample": t.start,
                "snr_db": t.snr_db, "overlaps": t.overlaps,
                "lat": t.position.map(|p| p.lat), "lon": t.position.map(|p| p.lon),
            });
            writeln!(w, "{line}")?;
        }
        w.flush()?;
    }
    eprintln!("wrote {} samples, {} replies", iq.len() / 2, sent.len());
    Ok(())
}
