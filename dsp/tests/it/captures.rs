//! The demodulator against real over-the-air captures and what readsb and dump1090-fa made
//! of them (../shared/testdata/modes, see its README for the caveats).

use crate::common::*;
use dsp::crc::syndrome;
use dsp::frame::df_of;
use dsp::{IqFormat, SampleRate};
use std::collections::BTreeSet;

/// Each capture with the forms of it the peers decoded (`modes1_2400k` exists only as cu8).
const CAPTURES: [(&str, &[&str]); 4] = [
    ("modes1_2400k", &["cu8"]),
    ("test_1641427457780", &["cu8", "iq"]),
    ("test_1641428106243", &["cu8", "iq"]),
    ("test_1641428165033", &["cu8", "iq"]),
];

/// Known misses, each explained. Both are in the resampled copy of a snipped recording
/// (README: "an approximation of a real 2.4 MS/s capture"): bursts butt against each other
/// with the quiet between them cut out, so the quiet-gap tests of the preamble and of the
/// DF11 interrogator-code check see a neighbouring burst.
const KNOWN_MISSES: [&str; 2] = [
    // DF11 whose parity carries interrogator code 0x09; the next burst starts on its tail.
    "5d4d20237a55af",
    // DF21 address/parity reply that follows another burst with no gap.
    "a8001024fb8103000000009ad764",
];

/// Truth per the test data README: messages both readsb and dump1090-fa output, with a clean
/// CRC (DF11/17/18 syndrome 0, or a DF11 interrogator overlay below 0x50; address/parity
/// formats have no separate check).
fn truth(capture: &str, forms: &[&str]) -> BTreeSet<String> {
    let readsb: BTreeSet<String> = forms
        .iter()
        .flat_map(|f| expected(&format!("{capture}.{f}.readsb.txt")))
        .collect();
    let fa: BTreeSet<String> = forms
        .iter()
        .map(|f| format!("{capture}.{f}.dump1090-fa.txt"))
        .chain([format!("{capture}.cu8.dump1090-fa-nofix.txt")])
        .flat_map(|name| expected(&name))
        .collect();
    readsb
        .intersection(&fa)
        .filter(|h| {
            let b = from_hex(h);
            let s = syndrome(&b).unwrap_or(u32::MAX);
            match df_of(b[0]) {
                17 | 18 => s == 0,
                11 => s < 0x50,
                _ => true,
            }
        })
        .cloned()
        .collect()
}

#[test]
fn every_message_both_peers_decoded_is_decoded() {
    let mut report = Vec::new();
    for (cap, forms) in CAPTURES {
        let mine = hexes(&decode_all(
            &read(&format!("{cap}.cu8")),
            IqFormat::Cu8,
            SampleRate::Msps2_4,
            1 << 16,
        ));
        let truth = truth(cap, forms);
        assert!(!truth.is_empty(), "{cap}: no truth");
        let missing: Vec<_> = truth
            .difference(&mine)
            .filter(|h| !KNOWN_MISSES.contains(&h.as_str()))
            .cloned()
            .collect();
        report.push(format!(
            "{cap}: {} of {} (+{} more)",
            truth.intersection(&mine).count(),
            truth.len(),
            mine.difference(&truth).count()
        ));
        assert!(missing.is_empty(), "{cap}: missing {missing:?}");
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn every_extra_message_is_crc_valid_and_not_a_repair_of_an_unknown_address() {
    for (cap, _) in CAPTURES {
        let frames = decode_all(
            &read(&format!("{cap}.cu8")),
            IqFormat::Cu8,
            SampleRate::Msps2_4,
            1 << 16,
        );
        let clean: BTreeSet<u32> = frames
            .iter()
            .filter(|f| f.announces_address())
            .map(|f| f.address)
            .collect();
        for f in &frames {
            let s = syndrome(f.data()).expect("whole frame");
            match f.df() {
                17 | 18 => assert_eq!(s, 0, "{cap}: {} does not check", f.hex()),
                11 => assert!(s < 0x50, "{cap}: {}", f.hex()),
                _ => assert_eq!(s, f.address, "{cap}: {} address/parity", f.hex()),
            }
            if f.address_recovered || f.corrected_bits > 1 {
                assert!(
                    clean.contains(&f.address),
                    "{cap}: {} from an address never seen clean",
                    f.hex()
                );
            }
        }
    }
}

#[test]
fn cs16_input_decodes_like_cu8() {
    // The .iq files are the same captures as signed 16-bit pairs in (Q, I) order; swapping I
    // and Q conjugates the signal, which leaves every magnitude unchanged.
    for (cap, _) in CAPTURES.iter().filter(|(_, forms)| forms.contains(&"iq")) {
        let a = hexes(&decode_all(
            &read(&format!("{cap}.cu8")),
            IqFormat::Cu8,
            SampleRate::Msps2_4,
            1 << 16,
        ));
        let b = hexes(&decode_all(
            &read(&format!("{cap}.iq")),
            IqFormat::Cs16,
            SampleRate::Msps2_4,
            1 << 16,
        ));
        assert_eq!(a, b, "{cap}");
    }
}

#[test]
fn block_size_does_not_change_the_result() {
    let bytes = read("modes1_2400k.cu8");
    let reference = decode_all(&bytes, IqFormat::Cu8, SampleRate::Msps2_4, 1 << 20);
    for block in [1001, 4096, 77_777] {
        let frames = decode_all(&bytes, IqFormat::Cu8, SampleRate::Msps2_4, block);
        assert_eq!(hexes(&frames), hexes(&reference), "block {block}");
        assert_eq!(frames.len(), reference.len(), "block {block}");
    }
}

#[test]
fn two_megasample_capture_matches_the_original_dump1090() {
    // modes1.bin is the 2.0 MS/s original that antirez's dump1090 was written against.
    let mine = hexes(&decode_all(
        &read("modes1.bin"),
        IqFormat::Cu8,
        SampleRate::Msps2_0,
        1 << 16,
    ));
    let antirez = expected("modes1.bin.dump1090-antirez.txt");
    let clean: BTreeSet<String> = antirez
        .into_iter()
        .filter(|h| {
            let b = from_hex(h);
            !matches!(df_of(b[0]), 11 | 17 | 18) || syndrome(&b) == Some(0)
        })
        .collect();
    let found = clean.intersection(&mine).count();
    eprintln!(
        "modes1.bin at 2.0 MS/s: {found} of {} clean antirez messages, {} in all",
        clean.len(),
        mine.len()
    );
    assert!(
        found * 100 >= clean.len() * 95,
        "{found} of {}",
        clean.len()
    );
}

#[test]
fn frames_carry_levels_and_a_12mhz_timestamp() {
    let frames = decode_all(
        &read("test_1641427457780.cu8"),
        IqFormat::Cu8,
        SampleRate::Msps2_4,
        1 << 16,
    );
    assert!(!frames.is_empty());
    for f in &frames {
        assert!(
            f.signal_dbfs < 0.0 && f.signal_dbfs > -40.0,
            "{}",
            f.signal_dbfs
        );
        assert!(f.noise_dbfs < f.signal_dbfs);
        // 2.4 MS/s: five 12 MHz ticks per sample.
        assert!((f.timestamp_12mhz as f64 - f.sample * 5.0).abs() <= 0.5);
    }
}
