//! `skyspy decode --band 978`: UAT frames from an IQ recording at 2.083333 MS/s, printed as
//! dump978's raw lines (`-HEX;rs=N;rssi=X;t=S;` downlink, `+HEX;…` uplink).

use super::{read_input, DecodeArgs};
use crate::cli::CliError;
use dsp::uat::consts::SAMPLE_RATE;
use dsp::uat::decode::decode_downlink;
use dsp::uat::demod::{UatDemodulator, UatMessage};
use dsp::uat::frame::Kind;
use dsp::uat::uplink::{decode_apdu, decode_product, decode_uplink, Reassembler};
use serde_json::{json, Value};
use std::io::{BufWriter, Write};

/// What a 978 decode run found.
#[derive(Debug, Default, serde::Serialize)]
pub struct UatSummary {
    pub samples: u64,
    pub iq_seconds: f64,
    pub downlinks: u64,
    pub uplinks: u64,
    pub corrected: u64,
    pub sync_candidates: u64,
    pub cpu_seconds: f64,
    pub cpu_seconds_per_iq_second: f64,
}

pub fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    let cpu0 = cpu_time::ProcessTime::try_now().ok();
    let mut demod = UatDemodulator::new(args.format);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut summary = UatSummary::default();
    let mut msgs = Vec::new();
    let mut reassembler = Reassembler::default();
    let bytes_per_s = (SAMPLE_RATE * args.format.bytes_per_sample() as f64) as u64;
    read_input(&args.file, bytes_per_s, |bytes| {
        match bytes {
            Some(b) => demod.push(b, &mut msgs),
            None => demod.finish(&mut msgs),
        }
        for m in msgs.drain(..) {
            match m.frame.kind {
                Kind::Downlink => summary.downlinks += 1,
                Kind::Uplink => summary.uplinks += 1,
            }
            summary.corrected += u64::from(m.frame.corrected > 0);
            if args.json {
                let line = json_line(&m, &mut reassembler);
                serde_json::to_writer(&mut out, &line)
                    .map_err(|e| CliError::Input(e.to_string()))?;
                out.write_all(b"\n")?;
            } else {
                writeln!(out, "{}", raw_line(&m))?;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    summary.samples = demod.stats.samples;
    summary.sync_candidates = demod.stats.syncs;
    summary.iq_seconds = summary.samples as f64 / SAMPLE_RATE;
    if let Some(t0) = cpu0 {
        summary.cpu_seconds = t0.elapsed().as_secs_f64();
        summary.cpu_seconds_per_iq_second = summary.cpu_seconds / summary.iq_seconds.max(1e-9);
    }
    if !args.quiet {
        eprintln!(
            "samples: {} ({:.3} s of IQ)\nframes: {} downlink, {} uplink ({} corrected)\ncpu: {:.3} s ({:.4} s per IQ second)",
            summary.samples,
            summary.iq_seconds,
            summary.downlinks,
            summary.uplinks,
            summary.corrected,
            summary.cpu_seconds,
            summary.cpu_seconds_per_iq_second
        );
    }
    if let Some(path) = &args.summary_json {
        let text =
            serde_json::to_string_pretty(&summary).map_err(|e| CliError::Input(e.to_string()))?;
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// dump978-fa's raw line: payload, then `rs=` when something was corrected, the signal in
/// dBFS and the time in seconds since the start of the recording.
pub fn raw_line(m: &UatMessage) -> String {
    let mut line = m.frame.raw();
    if m.frame.corrected > 0 {
        line.push_str(&format!("rs={};", m.frame.corrected));
    }
    line.push_str(&format!(
        "rssi={:.1};t={:.3};",
        m.rssi_dbfs,
        m.sample as f64 / SAMPLE_RATE
    ));
    line
}

/// One frame as JSON: the raw line's fields, then the decoded downlink (dump978-fa's field
/// names) or the uplink's header and every FIS-B product completed by this frame.
pub fn json_line(m: &UatMessage, reassembler: &mut Reassembler) -> Value {
    let mut v = json!({
        "raw": m.frame.raw(),
        "rs": m.frame.corrected,
        "rssi": (f64::from(m.rssi_dbfs) * 10.0).round() / 10.0,
        "t": (m.sample as f64 / SAMPLE_RATE * 1000.0).round() / 1000.0,
    });
    match m.frame.kind {
        Kind::Downlink => {
            if let Some(d) = decode_downlink(&m.frame.payload) {
                v["downlink"] = serde_json::to_value(d).unwrap_or(Value::Null);
            }
        }
        Kind::Uplink => {
            if let Some(up) = decode_uplink(&m.frame.payload) {
                let mut products = Vec::new();
                for f in up.frames.iter().filter(|f| f.frame_type == 0) {
                    let Some(apdu) = decode_apdu(&f.data) else {
                        continue;
                    };
                    if let Some(whole) = reassembler.add(&apdu) {
                        products.push(json!({
                            "product_id": apdu.product_id,
                            "time": apdu.time,
                            "product": decode_product(apdu.product_id, &whole),
                        }));
                    }
                }
                v["uplink"] = json!({
                    "header": up.header,
                    "frames": up.frames.len(),
                    "products": products,
                });
            }
        }
    }
    v
}
