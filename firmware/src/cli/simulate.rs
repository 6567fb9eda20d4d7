//! `skyspy simulate`: an IQ recording of generated traffic: Mode S at 1090 MHz with its exact
//! truth, UAT at 978 MHz (`--band 978`), or (`--band vhf`) ACARS, VDL2 or voice on a VHF band
//! plan.

use crate::cli::CliError;
use crate::config::{Band, ChannelKind};
use dsp::cpr::Position;
use dsp::gen::acars::TestSet;
use dsp::gen::am::{VoiceChannel, VoiceTestSet};
use dsp::gen::quantize;
use dsp::gen::uat_traffic::{UatTrafficConfig, UatTrafficSim};
use dsp::gen::vdl2::{Carried, Vdl2TestSet};
use dsp::gen::{generate_with, TrafficConfig, TrafficSim};
use dsp::SampleRate;
use num_complex::Complex32;
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
    /// Sample rate: 2.4M or 2.0M at 1090 MHz; 1.0M to 3.2M on the VHF band (default 2.5M).
    #[arg(long)]
    pub rate: Option<String>,
    /// 1090 (Mode S), 978 (UAT ADS-B at 2.083333 MS/s) or vhf (ACARS on the `--acars` channels
    /// around `--center`).
    #[arg(long, default_value = "1090")]
    pub band: Band,
    /// VHF: the tuned frequency ("130.35M", or "auto").
    #[arg(long)]
    pub center: Option<String>,
    /// VHF: the ACARS channels, MHz, comma-separated (default, without --vdl2: the six US
    /// channels).
    #[arg(long, value_delimiter = ',')]
    pub acars: Vec<f64>,
    /// VHF: the VDL2 channels, MHz, comma-separated (the rate must be a multiple of 52.5 kHz,
    /// e.g. --rate 2.1M). Each burst goes on an ACARS or a VDL2 channel at random.
    #[arg(long, value_delimiter = ',')]
    pub vdl2: Vec<f64>,
    /// VHF: voice channels, MHz, comma-separated (25 kHz channels, or 8.33 kHz ones by label
    /// such as 127.105). With voice channels the recording carries only voice: `--bursts`
    /// transmissions of the built-in phrases, never two at once on a channel, plus strong
    /// carriers between the channels that a receiver must not open for.
    #[arg(long, value_delimiter = ',')]
    pub am: Vec<f64>,
    /// VHF voice: write each transmission's clean audio here (16-bit WAV) for the truth.
    #[arg(long)]
    pub audio_dir: Option<PathBuf>,
    /// VHF voice: modulate the phrases as spoken, without the transmitter's speech processing
    /// (compression and clipping), as a radio without it would.
    #[arg(long)]
    pub raw_speech: bool,
    /// VHF: ACARS bursts in the recording.
    #[arg(long, default_value_t = 400)]
    pub bursts: usize,
    /// VHF: the noise floor of the recording (dBFS over the whole band).
    #[arg(long, default_value_t = -30.0, allow_hyphen_values = true)]
    pub noise_dbfs: f64,
    /// Number of aircraft.
    #[arg(long, default_value_t = 100)]
    pub aircraft: usize,
    /// Per-message SNR range in dB, LO:HI (VHF: carrier over noise in 25 kHz).
    #[arg(long, default_value = "6:30", allow_hyphen_values = true)]
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
    /// 1090 MHz: add the cannonball scenario's scripted aircraft (docs/cannonball.md).
    #[arg(long)]
    pub cannonball: bool,
    /// Write the cannonball scenario (each aircraft's addresses, identity, pattern and path
    /// around --lat/--lon) to this JSON file.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
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
    if args.band.is_vhf() && !args.am.is_empty() {
        return voice(args, (lo, hi));
    }
    if args.band.is_vhf() {
        return acars(args, (lo, hi));
    }
    if args.band == Band::Uat {
        return uat(args, (lo, hi));
    }
    let rate: SampleRate = args
        .rate
        .as_deref()
        .unwrap_or("2.4M")
        .parse()
        .map_err(CliError::Input)?;
    let mut cfg = TrafficConfig::new(
        rate,
        Position {
            lat: args.lat,
            lon: args.lon,
        },
        args.aircraft,
        args.seed,
    );
    cfg.snr_db = (lo, hi);
    let roles = crate::source::scenario::roles(args.lat, args.lon);
    if let Some(path) = &args.scenario {
        let json = serde_json::to_vec_pretty(&roles).map_err(std::io::Error::other)?;
        std::fs::write(path, json)?;
    }
    let mut sim = TrafficSim::new(cfg);
    if args.cannonball {
        for role in roles {
            sim.add_scripted(role.script, role.category, 7000);
        }
    }
    let (iq, sent) = generate_with(sim, args.seconds);
    std::fs::write(&args.output, &iq)?;
    if let Some(path) = &args.truth {
        let mut w = BufWriter::new(File::create(path)?);
        for t in &sent {
            let hex = ::hex::encode(t.reply.data());
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

/// 978 MHz UAT traffic at 2.083333 MS/s: `--aircraft` ADS-B aircraft around --lat/--lon
/// (no ground station: the simulator's FIS-B needs its clock).
fn uat(args: &SimulateArgs, snr_db: (f64, f64)) -> Result<(), CliError> {
    if args.truth.is_some() || args.cannonball || args.scenario.is_some() {
        return Err(CliError::Input(
            "--truth, --cannonball and --scenario are for 1090 MHz".into(),
        ));
    }
    if args.rate.is_some() || args.center.is_some() {
        return Err(CliError::Input(
            "978 MHz recordings are at 2.083333 MS/s on 978 MHz: no --rate or --center".into(),
        ));
    }
    if !(args.acars.is_empty() && args.vdl2.is_empty() && args.am.is_empty())
        || args.audio_dir.is_some()
    {
        return Err(CliError::Input(
            "--acars, --vdl2, --am and --audio-dir are for the VHF band".into(),
        ));
    }
    let centre = Position {
        lat: args.lat,
        lon: args.lon,
    };
    let mut cfg = UatTrafficConfig::new(centre, args.aircraft, args.seed);
    cfg.snr_db = snr_db;
    let mut sim = UatTrafficSim::new(cfg);
    let rate = dsp::uat::consts::SAMPLE_RATE;
    let total = (args.seconds * rate) as usize;
    let step = (rate / 10.0) as usize;
    let mut w = BufWriter::new(File::create(&args.output)?);
    let (mut iq, mut sent) = (Vec::new(), Vec::new());
    let mut bursts = 0;
    let mut done = 0;
    while done < total {
        let n = step.min(total - done);
        sim.next_block(n, &mut iq, &mut sent);
        w.write_all(&iq)?;
        bursts += sent.len();
        iq.clear();
        sent.clear();
        done += n;
    }
    w.flush()?;
    eprintln!("wrote {total} samples, {bursts} UAT bursts");
    Ok(())
}

/// Voice transmissions on a VHF plan: the recording and one truth line per transmission
/// (`frequency` as labelled, `start_s`, `end_s`, `snr_db`, `text`, `audio`: the clean clip),
/// then one per interferer (`interferer: true`).
fn voice(args: &SimulateArgs, snr_db: (f64, f64)) -> Result<(), CliError> {
    let plan = crate::cli::decode::vhf::config_of(
        args.band,
        args.rate.as_deref(),
        args.center.as_deref(),
        &[],
        &[],
        &args.am,
    )?
    .plan("--am")?;
    let channels: Vec<VoiceChannel> = plan
        .channels
        .iter()
        .map(|c| VoiceChannel {
            offset_hz: c.frequency_hz - plan.centre_hz,
            width_hz: c.width_hz,
        })
        .collect();
    let phrases = crate::source::phrases::phrases();
    let audio: Vec<_> = phrases
        .iter()
        .map(|p| {
            if args.raw_speech {
                p.audio.clone()
            } else {
                p.transmitted.clone()
            }
        })
        .collect();
    let set = VoiceTestSet::new(
        plan.rate_hz,
        &channels,
        &audio,
        args.bursts,
        args.seconds,
        snr_db,
        args.seed,
    );
    let noise_power = 10f64.powf(args.noise_dbfs / 10.0);
    let mut noise = dsp::gen::Noise::new(noise_power, args.seed ^ 0x5eed);
    let mut w = BufWriter::new(File::create(&args.output)?);
    let total = (args.seconds * plan.rate_hz) as u64;
    let step = (plan.rate_hz as u64 / 10).max(1);
    let (mut iq, mut piece) = (Vec::new(), Vec::new());
    let mut first = 0;
    while first < total {
        let n = step.min(total - first) as usize;
        iq.resize(n, Complex32::new(0.0, 0.0));
        noise.fill(&mut iq);
        set.add_into(first, &mut iq, noise_power);
        piece.clear();
        piece.extend(iq.iter().flat_map(|v| [quantize(v.re), quantize(v.im)]));
        w.write_all(&piece)?;
        first += n as u64;
    }
    w.flush()?;
    if let Some(dir) = &args.audio_dir {
        std::fs::create_dir_all(dir)?;
    }
    if let Some(path) = &args.truth {
        let label = |offset_hz: f64| {
            plan.channels
                .iter()
                .find(|c| (c.frequency_hz - plan.centre_hz - offset_hz).abs() < 1.0)
                .map(|c| c.label_mhz)
        };
        let mut w = BufWriter::new(File::create(path)?);
        for (i, (b, &p)) in set.bursts.iter().zip(&set.phrase).enumerate() {
            let clip = match &args.audio_dir {
                Some(dir) => {
                    let file = dir.join(format!("truth-{i:04}.wav"));
                    let pcm: Vec<i16> = b
                        .audio
                        .iter()
                        .map(|&v| (v * 32_767.0).clamp(-32_767.0, 32_767.0) as i16)
                        .collect();
                    std::fs::write(&file, crate::voice::clip::wav(&pcm))?;
                    Some(file)
                }
                None => None,
            };
            let line = serde_json::json!({
                "frequency": label(b.channel_hz),
                "start_s": b.start_s,
                "end_s": b.start_s + b.duration_s(),
                "snr_db": b.snr_db,
                "carrier_offset_hz": b.carrier_offset_hz,
                "text": phrases[p].text,
                "audio": clip,
            });
            writeln!(w, "{line}")?;
        }
        for b in &set.interferers {
            let line = serde_json::json!({
                "interferer": true,
                "frequency_hz": plan.centre_hz + b.channel_hz,
                "start_s": b.start_s,
                "end_s": b.start_s + b.duration_s(),
                "snr_db": b.snr_db,
            });
            writeln!(w, "{line}")?;
        }
        w.flush()?;
    }
    eprint!("{}", plan.describe());
    eprintln!(
        "wrote {total} samples, {} transmissions, {} interferers",
        set.bursts.len(),
        set.interferers.len()
    );
    Ok(())
}

/// ACARS bursts on a VHF plan: the recording (cu8, written a second at a time) and one truth
/// line per burst, with the protocol's field names.
fn acars(args: &SimulateArgs, snr_db: (f64, f64)) -> Result<(), CliError> {
    let plan = crate::cli::decode::vhf::config_of(
        args.band,
        args.rate.as_deref(),
        args.center.as_deref(),
        &args.acars,
        &args.vdl2,
        &[],
    )?
    .plan("--acars/--vdl2")?;
    let offsets = |kind: ChannelKind| -> Vec<f64> {
        plan.channels
            .iter()
            .filter(|ch| ch.kind == kind)
            .map(|ch| ch.frequency_hz - plan.centre_hz)
            .collect()
    };
    let (acars_at, vdl2_at) = (offsets(ChannelKind::Acars), offsets(ChannelKind::Vdl2));
    // The bursts shared between the kinds in proportion to their channels.
    let vdl2_bursts = args.bursts * vdl2_at.len() / plan.channels.len().max(1);
    let set = TestSet::new(
        plan.rate_hz,
        if acars_at.is_empty() {
            &vdl2_at
        } else {
            &acars_at
        },
        if acars_at.is_empty() {
            0
        } else {
            args.bursts - vdl2_bursts
        },
        args.seconds,
        snr_db,
        args.seed,
    );
    let vdl2 = Vdl2TestSet::new(
        plan.rate_hz,
        if vdl2_at.is_empty() {
            &acars_at
        } else {
            &vdl2_at
        },
        if vdl2_at.is_empty() { 0 } else { vdl2_bursts },
        args.seconds,
        snr_db,
        args.seed,
    );
    let mut w = BufWriter::new(File::create(&args.output)?);
    let total = (args.seconds * plan.rate_hz) as u64;
    let step = plan.rate_hz as u64;
    let mut piece = Vec::new();
    let mut iq = Vec::new();
    let mut first = 0;
    while first < total {
        let n = step.min(total - first) as usize;
        iq.resize(n, Complex32::new(0.0, 0.0));
        set.render_into(first, &mut iq, args.noise_dbfs, args.seed);
        vdl2.add_into(first, &mut iq, args.noise_dbfs);
        piece.clear();
        piece.extend(iq.iter().flat_map(|v| [quantize(v.re), quantize(v.im)]));
        w.write_all(&piece)?;
        first += n as u64;
    }
    w.flush()?;
    if let Some(path) = &args.truth {
        let mut w = BufWriter::new(File::create(path)?);
        for b in &set.bursts {
            let f = &b.fields;
            let text = f
                .text
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let registration = String::from_utf8_lossy(&f.address)
                .trim_start_matches('.')
                .to_string();
            let line = serde_json::json!({
                "start_s": b.start_s,
                "duration_s": b.duration_s(),
                "frequency": ((plan.centre_hz + b.channel_hz) / 1e3).round() / 1e3,
                "snr_db": b.snr_db,
                "carrier_offset_hz": b.carrier_offset_hz,
                "mode": char::from(f.mode),
                "registration": registration,
                "label": String::from_utf8_lossy(&f.label),
                "block_id": char::from(f.block_id),
                "text": text,
            });
            writeln!(w, "{line}")?;
        }
        for b in &vdl2.bursts {
            for f in &b.frames {
                let mut line = serde_json::json!({
                    "start_s": b.start_s,
                    "duration_s": b.duration_s(),
                    "frequency": ((plan.centre_hz + b.channel_hz) / 1e3).round() / 1e3,
                    "snr_db": b.snr_db,
                    "carrier_offset_hz": b.carrier_offset_hz,
                    "source": "vdlm2",
                    "src": format!("{:06X}", f.src.addr),
                    "dst": format!("{:06X}", f.dst.addr),
                });
                if let Carried::Acars(a) = &f.carried {
                    let text = a
                        .text
                        .as_deref()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    line["mode"] = char::from(a.mode).to_string().into();
                    line["registration"] = String::from_utf8_lossy(&a.address)
                        .trim_start_matches('.')
                        .into();
                    line["label"] = String::from_utf8_lossy(&a.label).into();
                    line["block_id"] = char::from(a.block_id).to_string().into();
                    line["text"] = text.into();
                } else {
                    line["xid"] = "GSIF".into();
                }
                writeln!(w, "{line}")?;
            }
        }
        w.flush()?;
    }
    eprint!("{}", plan.describe());
    eprintln!(
        "wrote {total} samples, {} ACARS bursts, {} VDL2 bursts",
        set.bursts.len(),
        vdl2.bursts.len()
    );
    Ok(())
}
