//! `skyspy decode` and `skyspy simulate`.

use crate::cli::CliError;
use crate::positions::CprPairer;
use dsp::cpr::Position;
use dsp::decode::decode as decode_frame;
use dsp::gen::{generate, TrafficConfig};
use dsp::{Frame, IqFormat, Receiver, RepairConfig, SampleRate};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DecodeArgs {
    /// IQ recording ("-" for standard input).
    pub file: PathBuf,
    /// Sample format: cu8 (rtl_sdr), cs16 or cf32.
    #[arg(long, default_value = "cu8")]
    pub format: IqFormat,
    /// Sample rate: 2.4M or 2.0M (1090 MHz). 978 MHz input is always 2.083333 MS/s.
    #[arg(long, default_value = "2.4M")]
    pub rate: SampleRate,
    /// Which band the recording is of: 1090 (Mode S / ADS-B) or 978 (UAT).
    #[arg(long, default_value = "1090", value_parser = ["1090", "978"])]
    pub band: String,
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

/// What a decode run found, printed at the end.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    pub samples: u64,
    pub iq_seconds: f64,
    pub messages: u64,
    pub by_df: BTreeMap<u8, u64>,
    pub repaired: u64,
    pub address_recovered: u64,
    pub distinct_addresses: usize,
    pub cpu_seconds: f64,
    pub cpu_seconds_per_iq_second: f64,
    pub trailing_bytes_ignored: usize,
}

pub fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    if args.band == "978" {
        return crate::uat_cmd::decode(args);
    }
    let repair = if args.no_fix {
        RepairConfig {
            fix_1bit: false,
            fix_2bit: false,
            soft: false,
        }
    } else {
        RepairConfig {
            fix_2bit: args.fix_2bit,
            ..RepairConfig::default()
        }
    };
    let bytes_per_s = args.rate.hz() * args.format.bytes_per_sample() as u64;
    let receiver_pos = args
        .lat
        .zip(args.lon)
        .map(|(lat, lon)| Position { lat, lon });
    if let Some(p) = receiver_pos {
        if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
            return Err(CliError::Input(format!(
                "receiver position {},{} is not on Earth",
                p.lat, p.lon
            )));
        }
    }

    let cpu0 = cpu_time::ProcessTime::try_now().ok();
    let mut rx = Receiver::new(args.format, args.rate, repair);
    let mut pairer = CprPairer::new(receiver_pos);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut summary = Summary::default();
    let mut seen = HashSet::new();
    let mut frames = Vec::with_capacity(256);
    let total_read = read_input(&args.file, bytes_per_s, |bytes| {
        match bytes {
            Some(b) => rx.push(b, &mut frames),
            None => rx.finish(&mut frames),
        }
        for f in frames.drain(..) {
            emit(&f, args, &mut pairer, &mut summary, &mut seen, &mut out)?;
        }
        Ok(())
    })?;
    out.flush()?;
    summary.samples = rx.samples();
    summary.trailing_bytes_ignored = (total_read % args.format.bytes_per_sample() as u64) as usize;
    summary.iq_seconds = summary.samples as f64 / args.rate.hz() as f64;
    summary.distinct_addresses = seen.len();
    if let Some(t0) = cpu0 {
        summary.cpu_seconds = t0.elapsed().as_secs_f64();
        summary.cpu_seconds_per_iq_second = summary.cpu_seconds / summary.iq_seconds.max(1e-9);
    }
    if !args.quiet {
        print_summary(&summary);
    }
    if let Some(path) = &args.summary_json {
        let text =
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Input(e.to_string()))?;
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// Reads a recording (`-` for standard input) in blocks, handing each to `f`, then `None`
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

fn emit(
    f: &Frame,
    args: &DecodeArgs,
    pairer: &mut CprPairer,
    summary: &mut Summary,
    seen: &mut HashSet<u32>,
    out: &mut impl Write,
) -> Result<(), CliError> {
    summary.messages += 1;
    *summary.by_df.entry(f.df()).or_default() += 1;
    summary.repaired += u64::from(f.corrected_bits > 0);
    summary.address_recovered += u64::from(f.address_recovered);
    seen.insert(f.address);
    if !args.json {
        writeln!(out, "*{};", f.hex().to_uppercase())?;
        return Ok(());
    }
    let mut m = decode_frame(f);
    let t = f.sample / args.rate.hz() as f64;
    if let Some(p) = pairer.add_message(&m, t) {
        m.lat = Some((p.lat * 1e6).round() / 1e6);
        m.lon = Some((p.lon * 1e6).round() / 1e6);
    }
    let line = Line {
        hex: f.hex(),
        timestamp: f.timestamp_12mhz,
        signal_dbfs: round1(f.signal_dbfs),
        noise_dbfs: round1(f.noise_dbfs),
        message: &m,
    };
    serde_json::to_writer(&mut *out, &line).map_err(|e| CliError::Input(e.to_string()))?;
    out.write_all(b"\n")?;
    Ok(())
}

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

#[derive(serde::Serialize)]
struct Line<'a> {
    hex: String,
    /// 12 MHz counter at the start of the preamble (as in Beast output).
    timestamp: u64,
    signal_dbfs: f32,
    noise_dbfs: f32,
    #[serde(flatten)]
    message: &'a dsp::decode::Message,
}

fn print_summary(s: &Summary) {
    eprintln!("samples: {} ({:.3} s of IQ)", s.samples, s.iq_seconds);
    let dfs: Vec<String> = s
        .by_df
        .iter()
        .map(|(df, n)| format!("DF{df}:{n}"))
        .collect();
    eprintln!("messages: {} [{}]", s.messages, dfs.join(" "));
    eprintln!(
        "repaired: {}  address-recovered: {}  distinct addresses: {}",
        s.repaired, s.address_recovered, s.distinct_addresses
    );
    eprintln!(
        "cpu: {:.3} s, {:.4} s per IQ second",
        s.cpu_seconds, s.cpu_seconds_per_iq_second
    );
    if s.trailing_bytes_ignored > 0 {
        eprintln!(
            "warning: {} trailing bytes did not make a whole sample and were ignored",
            s.trailing_bytes_ignored
        );
    }
}

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
