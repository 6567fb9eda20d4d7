//! The UAT chain against ../shared/testdata/uat: the DO-282B FEC vectors and real bursts
//! (the fisb-978 eye samples), checked against what libfec with dump978-fa's parameters made
//! of them.

use crate::common::*;
use dsp::uat::consts::*;
use dsp::uat::frame::{correct_downlink, correct_uplink, parse_raw, Kind};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex in test vector")
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

/// The 1143 real payloads of dump978's sample data (704 uplinks, 439 downlinks), in order.
fn sample_payloads() -> Vec<(Kind, Vec<u8>)> {
    use std::io::Read;
    let gz = read_uat("dump978/sample-data.txt.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .expect("gzip text");
    text.lines().filter_map(parse_raw).collect()
}

struct Recovery {
    downlinks: (usize, usize),
    uplinks: (usize, usize),
    false_frames: usize,
}

fn recovery(snr_db: f64, seed: u64) -> Recovery {
    let payloads = sample_payloads();
    let cfg = dsp::gen::uat::UatConfig::new(snr_db, seed);
    let (iq, truth) = dsp::gen::uat::generate(&payloads, &cfg);
    let mut demod = dsp::uat::demod::UatDemodulator::new(dsp::IqFormat::Cu8);
    let mut out = Vec::new();
    for chunk in iq.chunks(131_072) {
        demod.push(chunk, &mut out);
    }
    demod.finish(&mut out);
    // Match each decoded frame to the burst that starts within a few samples of it.
    let mut found = vec![false; truth.len()];
    let mut false_frames = 0;
    for m in &out {
        let hit = truth
            .iter()
            .position(|b| (b.start - m.sample as f64).abs() < 3.0 && b.payload == m.frame.payload);
        match hit {
            Some(i) => found[i] = true,
            None => false_frames += 1,
        }
    }
    let count = |kind: Kind| {
        let total = truth.iter().filter(|b| b.kind == kind).count();
        let got = truth
            .iter()
            .zip(&found)
            .filter(|(b, f)| b.kind == kind && **f)
            .count();
        (got, total)
    };
    Recovery {
        downlinks: count(Kind::Downlink),
        uplinks: count(Kind::Uplink),
        false_frames,
    }
}

/// Recovered fraction by SNR on the README's method, with dump978-fa's figures from the same
/// method beside it (testdata/uat/README.md: 92.3 % / 10.7 % at 8 dB). Targets: ≥ 99 % of
/// downlinks and ≥ 90 % of uplinks at 8 dB, and no frame that was not sent at any SNR.
#[test]
fn sensitivity_by_snr() {
    for (snr, fa_down, fa_up) in [
        (4.0, 0.0, 0.0),
        (6.0, 7.7, 0.0),
        (8.0, 92.3, 10.7),
        (10.0, 99.8, 100.0),
    ] {
        let r = recovery(snr, 78);
        let pct = |(got, total): (usize, usize)| 100.0 * got as f64 / total as f64;
        println!(
            "uat {snr:>4} dB: downlinks {:.1} % of {} (dump978-fa {fa_down} %), uplinks {:.1} % of {} (dump978-fa {fa_up} %), false {}",
            pct(r.downlinks),
            r.downlinks.1,
            pct(r.uplinks),
            r.uplinks.1,
            r.false_frames
        );
        assert_eq!(r.false_frames, 0, "{snr} dB: frames that were never sent");
        assert!(
            pct(r.downlinks) >= fa_down,
            "{snr} dB: downlinks below dump978-fa"
        );
        assert!(
            pct(r.uplinks) >= fa_up,
            "{snr} dB: uplinks below dump978-fa"
        );
        if snr >= 8.0 {
            assert!(pct(r.downlinks) >= 99.0, "{snr} dB downlinks");
            assert!(pct(r.uplinks) >= 90.0, "{snr} dB uplinks");
        }
    }
}

/// Noise alone, and bytes that are not IQ at all, decode to nothing.
#[test]
fn noise_and_garbage_make_no_frames() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    let mut demod = dsp::uat::demod::UatDemodulator::new(dsp::IqFormat::Cu8);
    let mut out = Vec::new();
    // 10 s of Gaussian-ish noise (sum of uniforms) around mid-scale, then 2 s of uniform bytes.
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..20 {
        for b in block.iter_mut() {
            let v: f64 = (0..4).map(|_| rng.random_range(-1.0..1.0)).sum::<f64>() * 12.0;
            *b = (127.5 + v).clamp(0.0, 255.0) as u8;
        }
        demod.push(&block, &mut out);
    }
    for _ in 0..4 {
        rng.fill(&mut block[..]);
        demod.push(&block, &mut out);
    }
    demod.finish(&mut out);
    println!(
        "noise: {} sync candidates in {} samples",
        demod.stats.syncs, demod.stats.samples
    );
    assert!(demod.stats.syncs > 0, "the sync search ran on near-misses");
    assert_eq!(out, Vec::new());
}

/// Output does not depend on how the stream is cut into blocks.
#[test]
fn chunking_does_not_change_the_output() {
    let payloads: Vec<(Kind, Vec<u8>)> = sample_payloads().into_iter().take(120).collect();
    let (iq, _) = dsp::gen::uat::generate(&payloads, &dsp::gen::uat::UatConfig::new(9.0, 3));
    let run = |chunk: usize| {
        let mut demod = dsp::uat::demod::UatDemodulator::new(dsp::IqFormat::Cu8);
        let mut out = Vec::new();
        for c in iq.chunks(chunk) {
            demod.push(c, &mut out);
        }
        demod.finish(&mut out);
        out
    };
    let summary = |out: Vec<dsp::uat::demod::UatMessage>| -> Vec<String> {
        out.iter()
            .map(|m| {
                format!(
                    "{} {} {} {:.2}",
                    m.sample,
                    m.frame.raw(),
                    m.frame.corrected,
                    m.rssi_dbfs
                )
            })
            .collect()
    };
    let whole = summary(run(iq.len()));
    assert!(whole.len() > 100);
    for chunk in [2, 1001, 16_384, 262_144] {
        let got = summary(run(chunk));
        let first_diff = got.iter().zip(&whole).position(|(a, b)| a != b);
        assert!(
            got.len() == whole.len() && first_diff.is_none(),
            "chunks of {chunk} bytes: {} vs {} frames, first difference at {first_diff:?}",
            got.len(),
            whole.len()
        );
    }
}

/// The test data's own synthetic files (made by another generator, README "Synthetic IQ"):
/// what we decode against the truth, beside what dump978-fa decoded from the same file.
#[test]
fn synthetic_files_against_dump978_fa() {
    for (name, fa_min) in [("uat-synth-clean", 220), ("uat-synth-mixed", 403)] {
        let iq = read_uat(&format!("synthetic/{name}.cu8"));
        let truth: Vec<(Kind, Vec<u8>)> =
            String::from_utf8(read_uat(&format!("synthetic/{name}.truth.txt")))
                .expect("utf-8")
                .lines()
                .filter_map(parse_raw)
                .collect();
        let fa: Vec<(Kind, Vec<u8>)> =
            String::from_utf8(read_uat(&format!("expected/{name}.dump978-fa.txt")))
                .expect("utf-8")
                .lines()
                .filter_map(parse_raw)
                .collect();
        assert_eq!(
            fa.len(),
            fa_min,
            "{name}: dump978-fa's count in the test data"
        );
        let mut demod = dsp::uat::demod::UatDemodulator::new(dsp::IqFormat::Cu8);
        let mut out = Vec::new();
        for chunk in iq.chunks(65_536) {
            demod.push(chunk, &mut out);
        }
        demod.finish(&mut out);
        let ours: Vec<(Kind, Vec<u8>)> = out
            .iter()
            .map(|m| (m.frame.kind, m.frame.payload.clone()))
            .collect();
        let invented = ours.iter().filter(|f| !truth.contains(f)).count();
        let fa_only = fa.iter().filter(|f| !ours.contains(f)).count();
        println!(
            "{name}: {} of {} sent decoded (dump978-fa {}), {} that dump978-fa has and we miss, {} invented",
            ours.len(),
            truth.len(),
            fa.len(),
            fa_only,
            invented
        );
        assert_eq!(invented, 0, "{name}: frames that were never sent");
        assert_eq!(
            fa_only, 0,
            "{name}: frames dump978-fa decodes and we do not"
        );
        assert!(
            ours.len() > fa.len() || ours.len() == truth.len(),
            "{name}: no better than dump978-fa"
        );
    }
}

/// The same signal as cs16 and cf32 decodes to the same frames as cu8.
#[test]
fn cs16_and_cf32_decode_like_cu8() {
    let payloads: Vec<(Kind, Vec<u8>)> = sample_payloads().into_iter().take(60).collect();
    let (iq, truth) = dsp::gen::uat::generate(&payloads, &dsp::gen::uat::UatConfig::new(10.0, 4));
    let decode = |format: dsp::IqFormat, bytes: &[u8]| {
        let mut demod = dsp::uat::demod::UatDemodulator::new(format);
        let mut out = Vec::new();
        for c in bytes.chunks(10_007) {
            demod.push(c, &mut out);
        }
        demod.finish(&mut out);
        out.iter().map(|m| m.frame.raw()).collect::<Vec<_>>()
    };
    let centred = |b: u8| (f32::from(b) - 127.5) / 127.5;
    let cs16: Vec<u8> = iq
        .iter()
        .flat_map(|&b| (((centred(b) * 32767.0).round()) as i16).to_le_bytes())
        .collect();
    let cf32: Vec<u8> = iq.iter().flat_map(|&b| centred(b).to_le_bytes()).collect();
    let want = decode(dsp::IqFormat::Cu8, &iq);
    assert_eq!(want.len(), truth.len());
    assert_eq!(decode(dsp::IqFormat::Cs16, &cs16), want);
    assert_eq!(decode(dsp::IqFormat::Cf32, &cf32), want);
}

/// Every downlink of the two real message logs decodes field for field as dump978-fa decoded
/// it (expected/*.downlink.dump978-fa.jsonl: 439 + 303 messages).
#[test]
fn downlink_fields_agree_with_dump978_fa() {
    use std::collections::BTreeMap;
    let mut checked = 0;
    let mut mismatches: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for file in [
        "expected/dump978.sample-data.downlink.dump978-fa.jsonl",
        "expected/stratux.gms5002-problem-uat.downlink.dump978-fa.jsonl",
    ] {
        let text = String::from_utf8(read_uat(file)).expect("utf-8");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            let raw = v["raw"].as_str().expect("raw");
            let (_, payload) = parse_raw(raw).expect("raw line");
            let want = v["decoded"].as_object().expect("decoded");
            let got =
                serde_json::to_value(dsp::uat::decode::decode_downlink(&payload).expect("decodes"))
                    .expect("serialises");
            let got = got.as_object().expect("object");
            for key in want.keys().chain(got.keys()) {
                if want.get(key) != got.get(key) {
                    let e = mismatches.entry(key.clone()).or_insert((0, String::new()));
                    e.0 += 1;
                    if e.1.is_empty() {
                        e.1 = format!("{raw}: want {:?}, got {:?}", want.get(key), got.get(key));
                    }
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 742);
    assert!(
        mismatches.is_empty(),
        "fields that differ (count, first example): {mismatches:#?}"
    );
}

/// Every uplink of dump978's sample data against the legacy `uat2text`'s reading of it
/// (expected/dump978.sample-data.uat2text.txt): site, UTC coupling, slot and TIS-B site of
/// the header; length and type of each information frame; product id and time of each FIS-B
/// APDU; and the words of every generic text product (413).
#[test]
fn uplinks_agree_with_uat2text() {
    use dsp::uat::uplink::{decode_apdu, decode_product, decode_uplink, Product};
    #[derive(Default, Debug)]
    struct Want {
        fields: Vec<(String, String)>,
        text: Vec<String>,
    }
    // Split the expected file into UPLINK blocks: each a list of (field, value) in order.
    let text =
        String::from_utf8(read_uat("expected/dump978.sample-data.uat2text.txt")).expect("utf-8");
    let mut blocks: Vec<Want> = Vec::new();
    let (mut in_uplink, mut in_text) = (false, false);
    for line in text.lines() {
        if line == "UPLINK:" {
            blocks.push(Want::default());
            (in_uplink, in_text) = (true, false);
            continue;
        }
        if line.starts_with("HDR:") {
            (in_uplink, in_text) = (false, false);
            continue;
        }
        if line.trim().is_empty() {
            continue; // text products have blank lines of their own
        }
        if matches!(line, "INFORMATION FRAME:" | "FIS-B:") {
            in_text = false;
        }
        let Some(b) = blocks.last_mut().filter(|_| in_uplink) else {
            continue;
        };
        if in_text {
            b.text.extend(line.split_whitespace().map(String::from));
            continue;
        }
        if line.trim() == "Text:" {
            in_text = true;
            continue;
        }
        if let Some((k, v)) = line.trim().split_once(':') {
            b.fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let uplinks: Vec<Vec<u8>> = sample_payloads()
        .into_iter()
        .filter(|(k, _)| *k == Kind::Uplink)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(blocks.len(), uplinks.len());
    let (mut frames, mut apdus, mut texts) = (0, 0, 0);
    for (i, (p, want)) in uplinks.iter().zip(&blocks).enumerate() {
        let up = decode_uplink(p).expect("decodes");
        let field = |name: &str| -> Vec<&str> {
            want.fields
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        let lat: f64 = field("Site Latitude")[0]
            .split(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("lat");
        let lon: f64 = field("Site Longitude")[0]
            .split(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("lon");
        assert!(
            (up.header.site.lat - lat).abs() < 1e-4 && (up.header.site.lon - lon).abs() < 1e-4,
            "uplink {i}"
        );
        assert_eq!(
            field("UTC coupled")[0] == "yes",
            up.header.utc_coupled,
            "uplink {i}"
        );
        assert_eq!(
            field("Slot ID")[0],
            up.header.slot_id.to_string(),
            "uplink {i}"
        );
        assert_eq!(
            field("TIS-B Site ID")[0],
            up.header.tisb_site_id.to_string(),
            "uplink {i}"
        );
        let lengths: Vec<String> = up
            .frames
            .iter()
            .map(|f| format!("{} bytes", f.data.len()))
            .collect();
        assert_eq!(field("Length"), lengths, "uplink {i}: frame lengths");
        let types: Vec<String> = up.frames.iter().map(|f| f.frame_type.to_string()).collect();
        let want_types: Vec<String> = field("Type")
            .iter()
            .map(|t| t.split(' ').next().unwrap_or("").to_string())
            .collect();
        assert_eq!(want_types, types, "uplink {i}: frame types");
        frames += up.frames.len();
        let mut ids = Vec::new();
        let mut times = Vec::new();
        let mut words = Vec::new();
        for f in up.frames.iter().filter(|f| f.frame_type == 0) {
            let apdu = decode_apdu(&f.data).expect("apdu");
            ids.push(apdu.product_id.to_string());
            let t = apdu.time;
            times.push(match (t.month, t.day) {
                (Some(m), Some(d)) => format!("{m}/{d} {:02}:{:02}", t.hour, t.minute),
                _ => format!("{:02}:{:02}", t.hour, t.minute),
            });
            if let Product::Text { text } = decode_product(apdu.product_id, &apdu.payload) {
                words.extend(text.split_whitespace().map(String::from));
                texts += 1;
            }
            apdus += 1;
        }
        let want_ids: Vec<String> = field("Product ID")
            .iter()
            .map(|t| t.split(' ').next().unwrap_or("").to_string())
            .collect();
        assert_eq!(want_ids, ids, "uplink {i}: product ids");
        let want_times: Vec<String> = field("Product time")
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(want_times, times, "uplink {i}: product times");
        // uat2text prints the first three words of each text product as type, location and
        // time, then the rest; compare all of an uplink's words as a sorted list.
        let mut want_words: Vec<String> = want.text.clone();
        for name in ["Report type", "Report location", "Report time"] {
            want_words.extend(
                field(name)
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| s.to_string()),
            );
        }
        want_words.sort();
        words.sort();
        assert_eq!(words, want_words, "uplink {i}: text product words");
    }
    println!("uplinks: {} checked, {frames} information frames, {apdus} FIS-B APDUs, {texts} text products", uplinks.len());
    assert_eq!((frames, apdus, texts), (565, 563, 224));
}

/// The FIS-B capture (fisb-decode tg30: 963 uplinks, Indiana, 2020): segmented products
/// reassemble, NOTAM texts come out as text, and TFR and other overlays become shapes in the
/// North American domain (G-AIRMET contours reach the eastern Pacific) with sane altitude limits.
#[test]
fn fisb_capture_yields_notams_and_shapes() {
    use dsp::uat::uplink::{
        decode_apdu, decode_product, decode_uplink, Geometry, Product, Reassembler,
    };
    use std::collections::BTreeMap;
    let text = String::from_utf8(read_uat("fisb-decode/tg30.978")).expect("utf-8");
    let mut reasm = Reassembler::default();
    let (mut notams, mut tfr_texts, mut shapes, mut segmented) = (0, 0, 0, 0);
    let mut by_product: BTreeMap<u16, usize> = BTreeMap::new();
    let mut uplinks = 0;
    for (kind, payload) in text.lines().filter_map(parse_raw) {
        assert_eq!(kind, Kind::Uplink);
        uplinks += 1;
        let up = decode_uplink(&payload).expect("uplink");
        for f in up.frames.iter().filter(|f| f.frame_type == 0) {
            let Some(apdu) = decode_apdu(&f.data) else {
                continue;
            };
            segmented += usize::from(apdu.segment.is_some());
            let Some(whole) = reasm.add(&apdu) else {
                continue;
            };
            *by_product.entry(apdu.product_id).or_default() += 1;
            if let Product::Twgo(t) = decode_product(apdu.product_id, &whole) {
                for r in &t.text {
                    if apdu.product_id == 8 && r.text.starts_with("NOTAM-") {
                        notams += 1;
                        tfr_texts += usize::from(r.text.starts_with("NOTAM-TFR"));
                    }
                }
                for g in &t.graphics {
                    let check = |lat: f64, lon: f64| {
                        assert!(
                            (0.0..72.0).contains(&lat) && (-180.0..-40.0).contains(&lon),
                            "{lat},{lon} in {g:?}"
                        );
                    };
                    match &g.geometry {
                        Geometry::Polygon { vertices, .. }
                        | Geometry::Polyline { vertices, .. } => {
                            assert!(!vertices.is_empty());
                            vertices.iter().for_each(|v| check(v.lat, v.lon));
                            shapes += 1;
                        }
                        Geometry::Circle {
                            lat,
                            lon,
                            radius_nm,
                            bottom_ft,
                            top_ft,
                            ..
                        } => {
                            check(*lat, *lon);
                            assert!(*radius_nm > 0.0 && bottom_ft <= top_ft, "{g:?}");
                            shapes += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    println!("tg30: {uplinks} uplinks, {segmented} segments, products {by_product:?}, {notams} NOTAM texts ({tfr_texts} TFR), {shapes} shapes, {} awaiting segments", reasm.pending());
    assert_eq!(uplinks, 963);
    assert!(
        notams > 50 && tfr_texts > 0 && shapes > 20,
        "{notams} NOTAMs, {tfr_texts} TFRs, {shapes} shapes"
    );
}

/// The simulator's live UAT traffic (DO-282B frame timing: one uplink in the station's slot
/// and one downlink per aircraft each second) through the real demodulator in 50 ms blocks:
/// every downlink above 10 dB that overlaps no other is recovered with the sent payload, and
/// so is every uplink; nothing is invented; the FIS-B products decode to the TFR and NOTAM
/// that were put in, with their shapes.
#[test]
fn live_uat_traffic_through_the_demodulator() {
    use dsp::cpr::Position;
    use dsp::gen::fisb::{demo_products, Station};
    use dsp::gen::uat_traffic::{FisbConfig, UatTrafficConfig, UatTrafficSim};
    use dsp::uat::decode::decode_downlink;
    use dsp::uat::demod::UatDemodulator;
    use dsp::uat::uplink::RecordTime;
    use dsp::uat::uplink::{decode_apdu, decode_product, decode_uplink, Geometry, Product};
    use dsp::IqFormat;
    use std::collections::HashSet;

    let centre = Position {
        lat: 40.64,
        lon: -73.78,
    };
    let at = |day, hour, minute| RecordTime {
        month: None,
        day: Some(day),
        hour,
        minute,
    };
    let mut cfg = UatTrafficConfig::new(centre, 30, 7);
    cfg.fisb = Some(FisbConfig {
        station: Station {
            lat: 40.9,
            lon: -73.5,
            slot: 9,
            tisb_site_id: 2,
        },
        snr_db: 20.0,
        apdus: demo_products(centre, (14, 5), at(28, 14, 0), at(28, 17, 0)),
    });
    let mut sim = UatTrafficSim::new(cfg);
    let mut demod = UatDemodulator::new(IqFormat::Cu8);
    let (mut iq, mut sent, mut heard) = (Vec::new(), Vec::new(), Vec::new());
    let block = (SAMPLE_RATE * 0.05) as usize;
    for _ in 0..200 {
        iq.clear();
        sim.next_block(block, &mut iq, &mut sent);
        demod.push(&iq, &mut heard);
    }
    demod.finish(&mut heard);

    let downlinks = sent.iter().filter(|b| b.kind == Kind::Downlink).count();
    let uplinks = sent.iter().filter(|b| b.kind == Kind::Uplink).count();
    assert_eq!(
        (downlinks, uplinks),
        (300, 10),
        "one per aircraft and one uplink a second"
    );
    let got: HashSet<&[u8]> = heard.iter().map(|m| m.frame.payload.as_slice()).collect();
    let sent_set: HashSet<&[u8]> = sent.iter().map(|b| b.payload.as_slice()).collect();
    assert!(
        got.iter().all(|p| sent_set.contains(p)),
        "an invented frame"
    );
    let bits = |b: &dsp::gen::uat::UatBurst| {
        let codeword = match b.payload.len() {
            BASIC_PAYLOAD => BASIC_CODEWORD,
            LONG_PAYLOAD => LONG_CODEWORD,
            _ => UPLINK_CODEWORD,
        };
        2.0 * (SYNC_BITS + 8 * codeword) as f64
    };
    let clear: Vec<_> = sent
        .iter()
        .filter(|b| {
            !sent.iter().any(|o| {
                !std::ptr::eq(*b, o)
                    && o.start < b.start + bits(b) + 100.0
                    && b.start < o.start + bits(o) + 100.0
            })
        })
        .collect();
    assert!(clear.len() > 250, "{} clear bursts", clear.len());
    for b in clear.iter().filter(|b| b.snr_db >= 10.0) {
        assert!(
            got.contains(b.payload.as_slice()),
            "lost a {:.1} dB burst",
            b.snr_db
        );
    }
    // Decoded downlinks carry the aircraft's identity.
    let callsigns: HashSet<String> = heard
        .iter()
        .filter(|m| m.frame.kind == Kind::Downlink)
        .filter_map(|m| decode_downlink(&m.frame.payload)?.callsign)
        .collect();
    assert!(callsigns.len() >= 25, "{callsigns:?}");
    assert!(
        callsigns.iter().all(|c| c.starts_with('N')),
        "{callsigns:?}"
    );
    let with_target_state = heard
        .iter()
        .filter_map(|m| decode_downlink(&m.frame.payload))
        .filter(|d| d.selected_altitude.is_some())
        .count();
    assert!(with_target_state > 10, "{with_target_state} target states");

    let mut products = Vec::new();
    for m in heard.iter().filter(|m| m.frame.kind == Kind::Uplink) {
        let up = decode_uplink(&m.frame.payload).expect("uplink");
        assert_eq!(up.header.slot_id, 9);
        for f in &up.frames {
            let a = decode_apdu(&f.data).expect("apdu");
            products.push((a.product_id, decode_product(a.product_id, &a.payload)));
        }
    }
    let texts: Vec<&str> = products
        .iter()
        .filter_map(|(_, p)| match p {
            Product::Twgo(t) => Some(t.text.iter().map(|r| r.text.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("NOTAM-TFR 6/4321")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("NOTAM-D SIM 11/4322")),
        "{texts:?}"
    );
    let tfr = products
        .iter()
        .find_map(|(_, p)| match p {
            Product::Twgo(t) => t.graphics.iter().find(|g| g.report_number == 4321),
            _ => None,
        })
        .expect("the TFR's shape");
    let Geometry::Polygon { vertices, .. } = &tfr.geometry else {
        panic!("{:?}", tfr.geometry);
    };
    assert_eq!(vertices.len(), 4);
    assert!(vertices
        .iter()
        .all(|v| (v.lat - 40.8).abs() < 0.1 && (v.lon + 73.56).abs() < 0.1));
    assert_eq!(tfr.end, Some(at(28, 17, 0)));
    assert!(products.iter().any(|(id, p)| *id == 413
        && matches!(p, Product::Text { text } if text.starts_with("METAR SIMU"))));
}
