//! VDL Mode 2: dumpvdl2's own test burst decoded field for field as dumpvdl2 decodes it, the
//! generator's bursts through the real channelizer and receiver with exact truth, the
//! header and Reed–Solomon codes at their limits, and the adjacent channel.

use dsp::gen::vdl2::{burst_bits, Carried, Vdl2Burst, Vdl2TestSet};
use dsp::vhf::vdl2::{self, burst, payload, AddressType, Frame, Payload, Vdl2Receiver};
use dsp::vhf::{ChannelSpec, Channelizer};
use dsp::IqFormat;
use num_complex::Complex32;
use std::path::PathBuf;

fn vdl2_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/vdl2")
}

fn read(name: &str) -> Vec<u8> {
    let p = vdl2_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("test data {} is missing: {e}", p.display()))
}

/// Every burst the receiver finds on each channel of a stream.
fn receive(rate: f64, offsets: &[f64], iq: &[Complex32]) -> Vec<Vec<vdl2::Received>> {
    let specs: Vec<ChannelSpec> = offsets
        .iter()
        .map(|&o| vdl2::channel(o, rate).expect("a VDL2 rate"))
        .collect();
    let mut ch = Channelizer::new(rate, &specs).expect("plan");
    let mut out = vec![Vec::new(); offsets.len()];
    // In pieces, as a radio delivers them.
    let mut found = vec![Vec::new(); offsets.len()];
    let mut rxs: Vec<Vdl2Receiver> = offsets.iter().map(|_| Vdl2Receiver::new()).collect();
    for piece in iq.chunks(262_144) {
        ch.push(piece, &mut out);
        for ((rx, o), f) in rxs.iter_mut().zip(&mut out).zip(&mut found) {
            rx.push(o, f);
            o.clear();
        }
    }
    for (rx, f) in rxs.iter_mut().zip(&mut found) {
        rx.finish(f);
    }
    found
}

/// The hex dumps of `raw_frames.txt`, one per frame.
fn raw_frames() -> Vec<Vec<u8>> {
    let text = String::from_utf8(read("expected/raw_frames.txt")).expect("text");
    let mut frames = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    for line in text.lines() {
        if line.starts_with('[') {
            cur = Some(Vec::new());
        } else if let Some(c) = cur.as_mut() {
            if line.starts_with(' ') && line.contains('|') {
                let hex = line.split('|').next().unwrap_or("");
                c.extend(
                    hex.split_whitespace()
                        .map(|h| u8::from_str_radix(h, 16).expect("hex")),
                );
            } else if !c.is_empty() {
                frames.push(cur.take().expect("frame"));
            }
        }
    }
    frames
}

#[test]
fn dumpvdl2s_test_burst_decodes_as_dumpvdl2_decodes_it() {
    let bytes = read("vdl2_model_16b_1050kHz.wav");
    // The whole file as samples, as dumpvdl2 reads it (the 44-byte header is 11 samples).
    let mut iq = Vec::new();
    dsp::vhf::to_complex(IqFormat::Cs16, &bytes, &mut iq);
    let found = receive(1_050_000.0, &[0.0], &iq);
    let bursts = &found[0];
    assert_eq!(bursts.len(), 1, "one burst: {bursts:?}");
    let b = &bursts[0];
    let raw = raw_frames();
    assert_eq!(raw.len(), 2);
    let expected: Vec<serde_json::Value> = String::from_utf8(read("expected/decoded.jsonl"))
        .expect("text")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(b.burst.frames.len(), expected.len());
    for (idx, (frame, want)) in b.burst.frames.iter().zip(&expected).enumerate() {
        let v = &want["vdl2"];
        // The raw dump includes the FCS, which the receiver checked and removed.
        assert_eq!(
            frame[..],
            raw[idx][..raw[idx].len() - 2],
            "frame {idx} octets"
        );
        assert_eq!(v["burst_len_octets"], b.burst.length_octets);
        assert_eq!(v["hdr_bits_fixed"], b.burst.header.corrected);
        assert_eq!(v["octets_corrected_by_fec"], b.burst.corrected);
        assert_eq!(v["idx"], idx);
        let level = v["sig_level"].as_f64().expect("level");
        assert!(
            (f64::from(b.level_db) - level).abs() < 1.0,
            "level {} vs {level}",
            b.level_db
        );
        let f = Frame::parse(frame).expect("frame");
        let avlc = &v["avlc"];
        let hex = |a: u32| format!("{a:06X}");
        assert_eq!(avlc["src"]["addr"], hex(f.src.addr));
        assert_eq!(avlc["src"]["type"], f.src.kind.name());
        assert_eq!(avlc["dst"]["addr"], hex(f.dst.addr));
        assert_eq!(avlc["dst"]["type"], f.dst.kind.name());
        let status = if f.sender_on_ground() {
            "On ground"
        } else {
            "Airborne"
        };
        assert_eq!(avlc["src"]["status"], status);
        assert_eq!(
            avlc["cr"],
            if f.is_response() {
                "Response"
            } else {
                "Command"
            }
        );
        assert_eq!(avlc["frame_type"], f.control.frame_type());
        let vdl2::avlc::Control::I { ns, nr, poll } = f.control else {
            panic!("an I-frame: {:?}", f.control)
        };
        // dumpvdl2's JSON writes N(S) as "rseq" and N(R) as "sseq".
        assert_eq!(avlc["rseq"], ns);
        assert_eq!(avlc["sseq"], nr);
        assert_eq!(avlc["poll"], poll);
        // Neither ACARS nor XID: dumpvdl2 shows the information field as data.
        assert_eq!(payload(&f), Payload::Other);
        let data: Vec<u8> = avlc["x25"]["unknown_proto"]["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|x| x.as_u64().expect("octet") as u8)
            .collect();
        assert_eq!(f.info, data);
    }
    assert_eq!(b.burst.frames.len(), 2);
    assert_eq!(
        Frame::parse(&b.burst.frames[0]).map(|f| f.aircraft()),
        Some(Some(0xA23721))
    );
    assert_eq!(
        Frame::parse(&b.burst.frames[0]).map(|f| f.ground_station()),
        Some(Some(0x345678))
    );
}

/// True if `b` overlaps another burst on its channel (a hidden terminal's collision).
fn collided(set: &Vdl2TestSet, i: usize) -> bool {
    let b = &set.bursts[i];
    set.bursts.iter().enumerate().any(|(j, o)| {
        j != i
            && o.channel_hz == b.channel_hz
            && o.start_s < b.start_s + b.duration_s()
            && b.start_s < o.start_s + o.duration_s()
    })
}

#[test]
fn generated_bursts_on_four_channels_decode_exactly() {
    let rate = 2_100_000.0;
    let offsets = [-300e3, -225e3, 150e3, 175e3];
    let set = Vdl2TestSet::new(rate, &offsets, 48, 3.0, (22.0, 30.0), 21);
    let mut iq = vec![Complex32::new(0.0, 0.0); (3.0 * rate) as usize];
    set.render_into(0, &mut iq, -30.0, 5);
    let found = receive(rate, &offsets, &iq);
    let mut got: Vec<(usize, Vec<u8>)> = Vec::new();
    for (c, bursts) in found.iter().enumerate() {
        for b in bursts {
            assert_eq!(b.burst.bad_frames, 0);
            got.extend(b.burst.frames.iter().map(|f| (c, f.clone())));
        }
    }
    let mut missed = 0;
    let mut expected = 0;
    for (i, b) in set.bursts.iter().enumerate() {
        let c = offsets
            .iter()
            .position(|&o| o == b.channel_hz)
            .expect("channel");
        for spec in &b.frames {
            let mut octets = spec.octets();
            octets.truncate(octets.len() - 2);
            let hit = got.iter().position(|(gc, f)| *gc == c && *f == octets);
            match hit {
                Some(k) => {
                    got.remove(k);
                }
                None if collided(&set, i) => {}
                None => missed += 1,
            }
            expected += 1;
        }
    }
    println!(
        "VDL2 at 22–30 dB: {} of {expected} frames missed (collisions aside)",
        missed
    );
    assert_eq!(missed, 0);
    assert!(got.is_empty(), "frames nobody sent: {got:?}");
}

#[test]
fn what_the_generator_sends_reads_back_as_acars_and_gsif() {
    let set = Vdl2TestSet::new(2_100_000.0, &[0.0], 40, 10.0, (30.0, 30.0), 3);
    let mut acars = 0;
    let mut gsif = 0;
    for b in &set.bursts {
        for spec in &b.frames {
            let mut octets = spec.octets();
            octets.truncate(octets.len() - 2);
            let f = Frame::parse(&octets).expect("frame");
            assert_eq!(f.src.addr, spec.src.addr);
            assert_eq!(f.dst.addr, spec.dst.addr);
            match (&spec.carried, payload(&f)) {
                (Carried::Acars(fields), Payload::Acars { block, crc_ok }) => {
                    assert!(crc_ok);
                    let want: Vec<u8> = fields.covered().iter().map(|c| c & 0x7f).collect();
                    assert_eq!(block.chars, want);
                    let downlink = fields.block_id.is_ascii_digit();
                    assert_eq!(f.src.kind == AddressType::Aircraft, downlink);
                    assert!(f.aircraft().is_some() && f.ground_station().is_some());
                    acars += 1;
                }
                (Carried::Gsif { lat, lon }, Payload::Xid(x)) => {
                    assert_eq!(x.kind, "GSIF");
                    let (la, lo) = x.gs_location.expect("location");
                    assert!((la - lat).abs() < 0.051 && (lo - lon).abs() < 0.051);
                    gsif += 1;
                }
                (c, p) => panic!("sent {c:?}, read {p:?}"),
            }
        }
    }
    assert!(acars > 20 && gsif > 0, "{acars} ACARS, {gsif} GSIF");
}

/// The header's bits for a burst (descrambled).
fn header_and_data(b: &Vdl2Burst) -> Vec<u8> {
    burst_bits(&b.frames)
}

#[test]
fn the_header_code_corrects_any_single_error() {
    let set = Vdl2TestSet::new(2_100_000.0, &[0.0], 3, 1.0, (30.0, 30.0), 8);
    let bits = header_and_data(&set.bursts[0]);
    let clean = burst::Header::decode(&bits).expect("header");
    assert_eq!(clean.corrected, 0);
    for i in 0..burst::HEADER_BITS {
        let mut b = bits.clone();
        b[i] ^= 1;
        let h = burst::Header::decode(&b).unwrap_or_else(|e| panic!("bit {i}: {e:?}"));
        assert_eq!(h.length_bits, clean.length_bits, "bit {i}");
        assert_eq!(h.corrected, 1);
    }
}

#[test]
fn reed_solomon_corrects_three_octets_a_block_and_more_with_erasures() {
    // A burst long enough for two full blocks and a short one: many frames in one.
    let set = Vdl2TestSet::new(2_100_000.0, &[0.0], 12, 10.0, (30.0, 30.0), 4);
    let frames: Vec<_> = set.bursts.iter().flat_map(|b| b.frames.clone()).collect();
    let bits = burst_bits(&frames);
    let h = burst::Header::decode(&bits).expect("header");
    let data = &bits[burst::HEADER_BITS..];
    assert!(
        h.blocks().iter().filter(|b| b.0 == burst::BLOCK).count() >= 2,
        "{:?}",
        h.blocks()
    );
    let sure = vec![1.0f32; data.len()];
    let clean = burst::decode(&h, data, &sure).expect("clean");
    assert_eq!(clean.corrected, 0);
    let blocks = h.blocks().len();
    let short = h.blocks().last().map_or(0, |b| b.0);
    // Where octet `k` of block `b` (a full one) is sent: a column at a time across the
    // blocks, the short last block dropping out after its last octet.
    let at = |b: usize, k: usize| {
        if k < short {
            b + k * blocks
        } else {
            short * blocks + b + (k - short) * (blocks - 1)
        }
    };
    // Three octets wrong in each of the two full blocks.
    let mut bad = data.to_vec();
    for b in 0..2 {
        for k in [0, 5, 9] {
            bad[8 * at(b, k) + 3] ^= 1;
        }
    }
    let fixed = burst::decode(&h, &bad, &sure).expect("three a block");
    assert_eq!(fixed.frames, clean.frames);
    assert_eq!(fixed.corrected, 6);
    // Four wrong octets in block 0: beyond the code alone, within reach when the receiver
    // says which octets it doubts.
    let mut worse = data.to_vec();
    let mut doubt = sure.clone();
    for k in [0, 5, 9, 14] {
        worse[8 * at(0, k)] ^= 1;
        doubt[8 * at(0, k)] = 0.1;
    }
    assert_eq!(
        burst::decode(&h, &worse, &sure),
        Err(burst::BurstError::Uncorrectable)
    );
    let erased = burst::decode(&h, &worse, &doubt).expect("erasures");
    assert_eq!(erased.frames, clean.frames);
}

#[test]
fn a_strong_burst_does_not_decode_on_the_adjacent_channel() {
    let rate = 1_050_000.0;
    let offsets = [100e3, 125e3];
    let mut set = Vdl2TestSet::new(rate, &[125e3], 6, 1.5, (60.0, 60.0), 12);
    for b in &mut set.bursts {
        b.carrier_offset_hz = 600.0 * b.carrier_offset_hz.signum();
    }
    let mut iq = vec![Complex32::new(0.0, 0.0); (1.5 * rate) as usize];
    set.render_into(0, &mut iq, -50.0, 2);
    let found = receive(rate, &offsets, &iq);
    let on_own: usize = found[1].iter().map(|b| b.burst.frames.len()).sum();
    let sent: usize = set.bursts.iter().map(|b| b.frames.len()).sum();
    assert_eq!(on_own, sent, "the strong channel itself");
    assert!(
        found[0].is_empty(),
        "heard on the neighbour: {:?}",
        found[0]
    );
}

#[test]
fn rates_that_are_not_a_multiple_of_52_5_khz_are_refused() {
    assert!(vdl2::channel(0.0, 2_100_000.0).is_ok());
    assert!(vdl2::channel(0.0, 1_050_000.0).is_ok());
    let e = vdl2::channel(0.0, 2_400_000.0).expect_err("2.4 MS/s");
    assert!(e.to_string().contains("52.5 kHz"), "{e}");
}
