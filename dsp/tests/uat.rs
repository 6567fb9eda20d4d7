//! The UAT chain against ../shared/testdata/uat: the DO-282B FEC vectors and real bursts
//! (the fisb-978 eye samples), checked against what libfec with dump978-fa's parameters made
//! of them.

mod common;

use common::*;
use dsp::uat::consts::*;
use dsp::uat::frame::{correct_downlink, correct_uplink, parse_raw, Kind};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in test vector"))
        .collect()
}

#[test]
fn do282b_downlink_fec_vectors_all_98() {
    let text =
        String::from_utf8(read_uat("expected/do282b-downlink-fec-vectors.tsv")).expect("utf-8");
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, input, kind, payload) = (cols[0], hex(cols[1]), cols[2], cols[3]);
        let got = correct_downlink(&input);
        match kind {
            "-1" => assert_eq!(got, None, "{name}: should be uncorrectable"),
            "1" | "2" => {
                let f = got.unwrap_or_else(|| panic!("{name}: not corrected"));
                let want_len = if kind == "1" {
                    BASIC_PAYLOAD
                } else {
                    LONG_PAYLOAD
                };
                assert_eq!(f.payload.len(), want_len, "{name}: frame type");
                assert_eq!(f.payload, hex(payload), "{name}: payload");
            }
            other => panic!("{name}: unknown expected type {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 98);
}

/// Eye samples: int32 discriminator output, 2 per bit, data bits at 1 + 2k, sign = bit.
fn eye_bytes(name: &str) -> Vec<u8> {
    let raw = read_uat(&format!("fisb-978-eye/{name}"));
    let values: Vec<i32> = raw
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let bits: Vec<u8> = values
        .iter()
        .skip(1)
        .step_by(2)
        .map(|&v| u8::from(v > 0))
        .collect();
    bits.chunks_exact(8)
        .map(|b| b.iter().fold(0u8, |acc, &bit| (acc << 1) | bit))
        .collect()
}

#[test]
fn real_bursts_decode_as_libfec_did() {
    let text =
        String::from_utf8(read_uat("expected/fisb-978-eye.libfec-decoded.tsv")).expect("utf-8");
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (file, want) = line.split_once('\t').expect("two columns");
        let (kind, payload) = parse_raw(want).expect("expected raw line parses");
        let rs: usize = want
            .split(';')
            .find_map(|kv| kv.strip_prefix("rs="))
            .map_or(0, |v| v.parse().expect("rs=N"));
        let bytes = eye_bytes(file);
        let frame = match kind {
            Kind::Downlink => correct_downlink(&bytes),
            Kind::Uplink => correct_uplink(&bytes),
        }
        .unwrap_or_else(|| panic!("{file}: not corrected"));
        assert_eq!(frame.payload, payload, "{file}");
        assert_eq!(frame.corrected, rs, "{file}: corrections");
        checked += 1;
    }
    assert_eq!(checked, 7);
}
