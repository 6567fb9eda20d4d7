//! `skyspy decode` of a 1090 MHz recording: `*HEX;` lines like dump1090 `--raw`, or JSON.

use super::{read_input, DecodeArgs};
use crate::cli::cpr_pairer::CprPairer;
use crate::cli::CliError;
use dsp::cpr::Position;
use dsp::decode::decode as decode_frame;
use dsp::{Frame, Receiver, RepairConfig, SampleRate};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufWriter, Write};

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
    /// Where the demodulator's work went.
    pub demod: dsp::demod::DemodStats,
}
pub fn decode(args: &DecodeArgs) -> Result<(), CliError> {
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
    let rate = args.modes_rate()?;
    let bytes_per_s = rate.hz() * args.format.bytes_per_sample() as u64;
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
    let mut rx = Receiver::new(args.format, rate, repair);
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
            emit(
                &f,
                args,
                rate,
                &mut pairer,
                &mut summary,
                &mut seen,
                &mut out,
            )?;
        }
        Ok(())
    })?;
    out.flush()?;
    summary.samples = rx.samples();
    summary.demod = rx.stats;
    summary.trailing_bytes_ignored = (total_read % args.format.bytes_per_sample() as u64) as usize;
    summary.iq_seconds = summary.samples as f64 / rate.hz() as f64;
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
fn emit(
    f: &Frame,
    args: &DecodeArgs,
    rate: SampleRate,
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
    let t = f.sample / rate.hz() as f64;
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
    let d = &s.demod;
    eprintln!(
        "demodulator: {} candidates, {} phases sliced ({} repeats skipped), {} read, \
         detectors {}/{}/{} (plain/feedback/Viterbi), {} re-fits",
        d.candidates,
        d.phases,
        d.phases_repeated,
        d.phases_read,
        d.detector_runs[0],
        d.detector_runs[1],
        d.detector_runs[2],
        d.refits
    );
    if s.trailing_bytes_ignored > 0 {
        eprintln!(
            "warning: {} trailing bytes did not make a whole sample and were ignored",
            s.trailing_bytes_ignored
        );
    }
}
