//! `skyspy decode --band vhf`: ACARS and VDL2 from a wideband VHF recording, through the
//! daemon's own chain (channelizer, receivers, reassembly). One line per ACARS message (from
//! either carrier), or with `--json` one object per message with the Realtime API's field
//! names (`timestamp` is ms from the start of the recording; `callsign` is null, there being
//! no track table; a VDL2 message has `source: "vdlm2"`, the aircraft's `icao_hex` and the
//! `ground_station` from its AVLC header).

use super::{read_input, DecodeArgs};
use crate::api::wire::AcarsJson;
use crate::cli::CliError;
use crate::config::{parse_rate, Band, ChannelConfig, ChannelKind, VhfCentre, VhfConfig};
use crate::core::acars::{AcarsRecord, AcarsStore, Origin};
use crate::core::track::{TrackConfig, TrackTable};
use crate::source::{VhfHeard, VhfStage, VoiceHeard};
use crate::voice::clip;
use dsp::vhf::vdl2::{payload, Payload};
use std::io::{BufWriter, Write};
use std::sync::Arc;

/// What a VHF decode run found.
#[derive(Debug, Default, serde::Serialize)]
pub struct VhfSummary {
    pub centre_mhz: f64,
    pub rate: f64,
    pub channels: Vec<f64>,
    pub samples: u64,
    pub iq_seconds: f64,
    pub blocks: u64,
    pub vdl2_frames: u64,
    pub messages: u64,
    pub transmissions: u64,
    pub corrected: u64,
    pub cpu_seconds: f64,
    pub cpu_seconds_per_iq_second: f64,
}

/// The VHF plan the command-line flags describe (`[radio.vhf]`'s rules, or `[radio.vdl2]`'s
/// defaults for `--band vdl2`; the plan's errors name the channel). Shared by `decode` and
/// `simulate`.
pub fn config_of(
    band: Band,
    rate: Option<&str>,
    center: Option<&str>,
    acars: &[f64],
    vdl2: &[f64],
    am: &[f64],
) -> Result<VhfConfig, CliError> {
    let mut c = if band == Band::Vdl2 {
        VhfConfig::vdl2()
    } else {
        VhfConfig::default()
    };
    if let Some(r) = rate {
        c.rate = r.to_string();
    }
    if let Some(centre) = center {
        c.centre = if centre == "auto" {
            VhfCentre::Auto
        } else {
            let hz = parse_rate(centre)
                .ok_or_else(|| CliError::Input(format!("--center {centre:?}: not a frequency")))?;
            // A bare number is MHz, as in the config file.
            VhfCentre::Mhz(if hz < 1e4 { hz } else { hz / 1e6 })
        };
    }
    if !(acars.is_empty() && vdl2.is_empty() && am.is_empty()) {
        let channel = |kind| move |&frequency: &f64| ChannelConfig::new(frequency, kind);
        c.channels = acars.iter().map(channel(ChannelKind::Acars)).collect();
        c.channels
            .extend(vdl2.iter().map(channel(ChannelKind::Vdl2)));
        c.channels.extend(am.iter().map(channel(ChannelKind::Am)));
    }
    Ok(c)
}

pub fn decode(args: &DecodeArgs) -> Result<(), CliError> {
    let cpu0 = cpu_time::ProcessTime::try_now().ok();
    let plan = config_of(
        args.band,
        args.rate.as_deref(),
        args.center.as_deref(),
        &args.acars,
        &args.vdl2,
        &args.am,
    )?
    .plan("--acars/--vdl2/--am")?;
    if let Some(dir) = &args.audio_dir {
        std::fs::create_dir_all(dir)?;
    }
    let mut stage = VhfStage::new(args.format, &plan).map_err(CliError::Input)?;
    let mut store = AcarsStore::new(1, f64::INFINITY);
    let tracks = TrackTable::new(TrackConfig::default());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut summary = VhfSummary {
        centre_mhz: plan.centre_hz / 1e6,
        rate: plan.rate_hz,
        channels: plan.channels.iter().map(|c| c.label_mhz).collect(),
        ..VhfSummary::default()
    };
    let bytes_per_sample = args.format.bytes_per_sample();
    let bytes_per_s = (plan.rate_hz * bytes_per_sample as f64) as u64;
    let mut heard = VhfHeard::default();
    let mut carry = Vec::new();
    read_input(&args.file, bytes_per_s, |bytes| {
        // Whole samples only: a read may end inside one.
        carry.extend_from_slice(bytes.unwrap_or_default());
        let whole = carry.len() / bytes_per_sample * bytes_per_sample;
        summary.samples += (whole / bytes_per_sample) as u64;
        stage.push(&carry[..whole], bytes.is_none(), 0.0, &mut heard);
        carry.drain(..whole);
        heard.levels.clear();
        for v in heard.voice.drain(..) {
            summary.transmissions += 1;
            let label = plan.channels[v.channel].label_mhz;
            voice_line(&mut out, args, label, &v)?;
        }
        let mut completed: Vec<(Arc<AcarsRecord>, f64, f32)> = Vec::new();
        for h in heard.acars.drain(..) {
            summary.blocks += 1;
            summary.corrected += u64::from(h.block.corrected_bits > 0);
            let wall_ms = (h.t * 1000.0).round() as u64;
            let (message, _) = store.add(
                &h.block,
                h.channel,
                h.frequency_hz,
                h.level_db,
                h.t,
                wall_ms,
                &tracks,
            );
            completed.extend(message.map(|m| (m, h.t, h.level_db)));
        }
        for f in heard.vdl2.drain(..) {
            summary.vdl2_frames += 1;
            let Payload::Acars { block, .. } = payload(&f.frame) else {
                continue;
            };
            let origin = Origin {
                source: "vdlm2",
                channel: f.channel,
                frequency_hz: f.frequency_hz,
                signal_dbfs: f.level_db,
                aircraft: f.frame.aircraft(),
                ground_station: f.frame.ground_station(),
            };
            let wall_ms = (f.t * 1000.0).round() as u64;
            let (message, _) = store.add_from(&block, origin, f.t, wall_ms, &tracks);
            completed.extend(message.map(|m| (m, f.t, f.level_db)));
        }
        for (m, t, level_db) in completed {
            summary.messages += 1;
            if args.json {
                serde_json::to_writer(&mut out, &AcarsJson::new(&m))
                    .map_err(|e| CliError::Input(e.to_string()))?;
                out.write_all(b"\n")?;
            } else {
                let a = &m.message;
                writeln!(
                    out,
                    "{:9.3} {:7.3} {:>6.1} dB {:<5} {} {:<7} {:<7} {:<2} {} {:<4} {}",
                    t,
                    m.frequency_hz / 1e6,
                    level_db,
                    m.source,
                    a.mode,
                    a.registration,
                    a.flight.as_deref().unwrap_or("-"),
                    a.label,
                    a.block_id.unwrap_or('-'),
                    a.msg_num.as_deref().unwrap_or("-"),
                    a.text.escape_debug()
                )?;
            }
        }
        Ok(())
    })?;
    out.flush()?;
    summary.iq_seconds = summary.samples as f64 / plan.rate_hz;
    if let Some(t0) = cpu0 {
        summary.cpu_seconds = t0.elapsed().as_secs_f64();
        summary.cpu_seconds_per_iq_second = summary.cpu_seconds / summary.iq_seconds.max(1e-9);
    }
    if !args.quiet {
        eprint!("{}", plan.describe());
        eprintln!(
            "samples: {} ({:.3} s of IQ)\nACARS: {} blocks ({} corrected); VDL2: {} frames; {} messages; voice: {} transmissions\ncpu: {:.3} s ({:.4} s per IQ second)",
            summary.samples,
            summary.iq_seconds,
            summary.blocks,
            summary.corrected,
            summary.vdl2_frames,
            summary.messages,
            summary.transmissions,
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

/// One transmission: its clip written to `--audio-dir` (a 16-bit PCM WAV) and a line, or with
/// `--json` an object `{frequency, start_s, end_s, audio, snr_db}` (`frequency` is the channel
/// as given, e.g. 127.105; `audio` is null without `--audio-dir`).
fn voice_line(
    out: &mut impl Write,
    args: &DecodeArgs,
    label_mhz: f64,
    v: &VoiceHeard,
) -> Result<(), CliError> {
    let audio = match &args.audio_dir {
        Some(dir) => {
            let path = dir.join(format!("{label_mhz:.3}-{:010.3}.wav", v.t));
            std::fs::write(&path, clip::wav(&v.audio))?;
            Some(path)
        }
        None => None,
    };
    if args.json {
        let line = serde_json::json!({
            "frequency": label_mhz,
            "frequency_hz": v.frequency_hz.round(),
            "start_s": (v.t * 1000.0).round() / 1000.0,
            "end_s": (v.end_t * 1000.0).round() / 1000.0,
            "snr_db": (f64::from(v.snr_db) * 10.0).round() / 10.0,
            "audio": audio,
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(
            out,
            "{:9.3} {:7.3} {:>6.1} dB voice {:.2} s{}",
            v.t,
            label_mhz,
            v.snr_db,
            v.end_t - v.t,
            audio
                .map(|p| format!("  {}", p.display()))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
