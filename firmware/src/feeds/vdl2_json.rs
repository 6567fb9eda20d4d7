//! VDL2 frames as dumpvdl2 writes them with `--output decoded:json:udp:…`: one JSON object
//! per AVLC frame, one UDP datagram each, under dumpvdl2's field names — what acarshub reads
//! on its VDLM2 port, so an existing install takes SkySpy's VDL2 unchanged.
//!
//! `{"vdl2": {app, t {sec, usec}, freq (Hz), burst_len_octets, hdr_bits_fixed,
//! octets_corrected_by_fec, idx, sig_level, noise_level (dBFS), freq_skew (ppm), avlc {src
//! {addr, type, status}, dst {addr, type}, cr, frame_type, …, and one of acars {…}, xid {…},
//! unknown_proto {data}}}}`. Two differences from dumpvdl2, both deliberate: an I-frame's
//! `sseq` is its N(S) and `rseq` its N(R) (dumpvdl2 writes them the other way round), and
//! the `app` names SkySpy.

use super::acars_json::{send_udp, UdpCounters};
use crate::core::{HeardBatch, HeardVdl2};
use dsp::vhf::vdl2::avlc::{Address, Control};
use dsp::vhf::vdl2::{payload, Payload};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::broadcast;

fn address(a: &Address) -> Value {
    json!({"addr": format!("{:06X}", a.addr), "type": a.kind.name()})
}

/// One frame in dumpvdl2's JSON.
pub fn frame_json(v: &HeardVdl2) -> Value {
    let h = &v.heard;
    let f = &h.frame;
    let mut avlc = Map::new();
    let mut src = address(&f.src);
    src["status"] = if f.sender_on_ground() {
        "On ground"
    } else {
        "Airborne"
    }
    .into();
    avlc.insert("src".into(), src);
    avlc.insert("dst".into(), address(&f.dst));
    avlc.insert(
        "cr".into(),
        if f.is_response() {
            "Response"
        } else {
            "Command"
        }
        .into(),
    );
    avlc.insert("frame_type".into(), f.control.frame_type().into());
    match f.control {
        Control::I { ns, nr, poll } => {
            avlc.insert("sseq".into(), ns.into());
            avlc.insert("rseq".into(), nr.into());
            avlc.insert("poll".into(), poll.into());
        }
        Control::S { function, nr, pf } => {
            let cmd = [
                "Receive Ready",
                "Receive not Ready",
                "Reject",
                "Selective Reject",
            ];
            avlc.insert("cmd".into(), cmd[usize::from(function & 3)].into());
            avlc.insert("pf".into(), pf.into());
            avlc.insert("rseq".into(), nr.into());
        }
        Control::U { modifier, pf } => {
            let name = f
                .control
                .u_name()
                .map_or_else(|| format!("(0x{modifier:02x})"), String::from);
            avlc.insert("cmd".into(), name.into());
            avlc.insert("pf".into(), pf.into());
        }
    }
    match payload(f) {
        Payload::Acars { block, crc_ok } => {
            let m = dsp::vhf::acars::message::parse(&block);
            let reg: String = block
                .chars
                .get(1..8)
                .map_or_else(String::new, |r| r.iter().map(|&c| char::from(c)).collect());
            let mut a = json!({
                "err": false,
                "crc_ok": crc_ok,
                "more": m.more,
                "reg": reg,
                "mode": m.mode.to_string(),
                "label": m.label,
                "blk_id": m.block_id.unwrap_or(' ').to_string(),
                "ack": m.ack.unwrap_or('!').to_string(),
            });
            if let Some(flight) = &m.flight {
                a["flight"] = flight.as_str().into();
            }
            if let Some(n) = &m.msg_num {
                // Three characters of number, then the sequence letter.
                let (num, seq) = n.split_at(n.len().min(3));
                a["msg_num"] = num.into();
                a["msg_num_seq"] = seq.into();
            }
            a["msg_text"] = m.text.as_str().into();
            avlc.insert("acars".into(), a);
        }
        Payload::Xid(x) => {
            let mut params = Vec::new();
            if let Some((lat, lon)) = x.gs_location {
                params.push(json!({"name": "gs_location", "value": {"lat": lat, "lon": lon}}));
            }
            if let Some((lat, lon, alt)) = x.ac_location {
                params.push(json!({"name": "ac_location", "value": {"loc": {"lat": lat, "lon": lon}, "alt": alt}}));
            }
            if let Some(apt) = &x.dst_airport {
                params.push(json!({"name": "dst_airport", "value": apt}));
            }
            avlc.insert(
                "xid".into(),
                json!({"err": false, "type": x.kind, "vdl_params": params}),
            );
        }
        Payload::Other => {
            avlc.insert("unknown_proto".into(), json!({"data": f.info}));
        }
    }
    json!({"vdl2": {
        "app": {"name": "skyspy", "ver": env!("CARGO_PKG_VERSION")},
        "t": {"sec": v.wall_ms / 1000, "usec": v.wall_ms % 1000 * 1000},
        "freq": h.frequency_hz.round() as u64,
        "burst_len_octets": h.burst_len_octets,
        "hdr_bits_fixed": h.hdr_bits_fixed,
        "octets_corrected_by_fec": h.octets_corrected,
        "idx": h.idx,
        "sig_level": (f64::from(h.level_db) * 10.0).round() / 10.0,
        "noise_level": (f64::from(h.noise_db) * 10.0).round() / 10.0,
        "freq_skew": (f64::from(h.freq_skew_ppm) * 100.0).round() / 100.0,
        "avlc": avlc,
    }})
}

/// Sends every VDL2 frame the core hears to `dest` (HOST:PORT) until `shutdown`.
pub async fn send(
    dest: String,
    heard: broadcast::Sender<Arc<HeardBatch>>,
    counters: Arc<UdpCounters>,
    shutdown: impl Future<Output = ()>,
) {
    let encode = |batch: &HeardBatch| -> Vec<Vec<u8>> {
        batch
            .vdl2
            .iter()
            .filter_map(|v| serde_json::to_vec(&frame_json(v)).ok())
            .collect()
    };
    send_udp("vdl2_json", dest, heard, counters, shutdown, encode).await;
}
