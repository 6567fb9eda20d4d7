//! An ACARS block's fields, and what its text says where the format is public.
//!
//! Downlinks (aircraft to ground) carry a block id `0`–`9` and begin their text with a
//! 4-character message sequence number and a 6-character flight id; uplinks carry a letter.
//! OOOI reports (labels `QA`–`QF`: out of the gate, off the ground, on the ground, into the
//! gate) and the FMS position report (`POS` followed by latitude and longitude in degrees
//! and tenths of minutes, as ARINC 702A defines for the `H1` downlink and airlines use in
//! free text) are parsed; everything else is text.

use super::block::{RawBlock, ETB, HEADER, NAK, STX};

/// One ACARS block, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct AcarsMessage {
    pub mode: char,
    /// The aircraft's registration, without the leading dots ("N123AB").
    pub registration: String,
    /// The technical acknowledgement: the block id acknowledged, `None` for NAK.
    pub ack: Option<char>,
    pub label: String,
    /// `None` for a block with no id (a general response or squitter).
    pub block_id: Option<char>,
    /// Downlinks: the message sequence number ("M01A") and the flight id ("UA1234").
    pub msg_num: Option<String>,
    pub flight: Option<String>,
    pub text: String,
    /// More blocks of this message follow (the block ended with ETB).
    pub more: bool,
    pub downlink: bool,
}

/// What a label means, where it is well known (ARINC 620 Appendix's label list as commonly
/// published; a short table, not every airline's use).
pub fn label_name(label: &str) -> Option<&'static str> {
    Some(match label {
        "_d" => "General response / no information",
        "H1" => "Message to/from an avionics terminal (FMS, ATS, CMU)",
        "Q0" => "Link test",
        "SQ" => "Squitter (ground station beacon)",
        "QA" => "OOOI: out of the gate",
        "QB" => "OOOI: off the ground",
        "QC" => "OOOI: on the ground",
        "QD" => "OOOI: into the gate",
        "QE" => "OOOI: out, with destination",
        "QF" => "OOOI: off, with destination",
        "5Z" => "Airline-designated downlink",
        "10" => "Delay / estimate report",
        "16" => "Position / weather report",
        "20" => "Delay report",
        "80" => "Aircrew-initiated position report",
        "B9" => "General aviation message",
        "C1" => "Cabin terminal message",
        "RA" => "Uplink to an onboard printer",
        "SA" => "Media advisory (link status)",
        "4X" => "Weather request",
        _ => return None,
    })
}

/// Parses a checked block (characters from mode to suffix). A shorter one — which `check`
/// never passes on — is read as if padded with NULs.
pub fn parse(block: &RawBlock) -> AcarsMessage {
    let mut padded;
    let c = if block.chars.len() < HEADER + 1 {
        padded = block.chars.clone();
        padded.resize(HEADER + 1, 0);
        &padded
    } else {
        &block.chars
    };
    let text_of = |b: &[u8]| -> String { b.iter().map(|&x| char::from(x & 0x7f)).collect() };
    let registration = text_of(&c[1..8]).trim_start_matches('.').to_string();
    let ack = (c[8] != NAK).then(|| char::from(c[8]));
    let mut label = text_of(&c[9..11]);
    if c[10] == 0x7f {
        // The label "_DEL" is written "_d" (what acarsdec and acarshub show).
        label = format!("{}d", char::from(c[9]));
    }
    let block_id = (c[11] != 0).then(|| char::from(c[11]));
    let downlink = c[11].is_ascii_digit();
    let more = c.last() == Some(&ETB);
    let mut text = if c[12] == STX && c.len() > 14 {
        text_of(&c[13..c.len() - 1])
    } else {
        String::new()
    };
    let (mut msg_num, mut flight) = (None, None);
    if downlink && text.len() >= 10 && text.is_char_boundary(10) {
        msg_num = Some(text[..4].to_string());
        flight = Some(text[4..10].trim().to_string()).filter(|f| !f.is_empty());
        text = text[10..].to_string();
    }
    AcarsMessage {
        mode: char::from(c[0]),
        registration,
        ack,
        label,
        block_id,
        msg_num,
        flight,
        text,
        more,
        downlink,
    }
}

/// OOOI times of a `QA`–`QF` report: the station and the event's time (HHMM).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Oooi {
    pub station: Option<String>,
    pub destination: Option<String>,
    pub out: Option<String>,
    pub off: Option<String>,
    pub on: Option<String>,
    pub r#in: Option<String>,
}

pub fn oooi(label: &str, text: &str) -> Option<Oooi> {
    let field = |a: usize, b: usize| text.get(a..b).map(str::to_string);
    let mut o = Oooi {
        station: field(0, 4),
        ..Oooi::default()
    };
    match label {
        "QA" => o.out = field(4, 8),
        "QB" => o.off = field(4, 8),
        "QC" => o.on = field(4, 8),
        "QD" => o.r#in = field(4, 8),
        "QE" => {
            o.out = field(4, 8);
            o.destination = field(8, 12);
        }
        "QF" => {
            o.off = field(4, 8);
            o.destination = field(8, 12);
        }
        _ => return None,
    }
    o.station.is_some().then_some(o)
}

/// The first `POS` position in the text: `POS` then `N`/`S` and DDMMm (degrees, minutes,
/// tenths), then `E`/`W` and DDDMMm.
pub fn position(text: &str) -> Option<(f64, f64)> {
    let mut from = 0;
    while let Some(i) = text[from..].find("POS") {
        let s = &text[from + i + 3..];
        if let Some(p) = pos_fields(s) {
            return Some(p);
        }
        from += i + 3;
    }
    None
}

fn pos_fields(s: &str) -> Option<(f64, f64)> {
    let b = s.as_bytes();
    if b.len() < 13 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<f64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse::<f64>().ok())?
    };
    let lat_sign = match b[0] {
        b'N' => 1.0,
        b'S' => -1.0,
        _ => return None,
    };
    let lat = digits(1..3)? + digits(3..6)? / 600.0;
    let lon_sign = match b[6] {
        b'E' => 1.0,
        b'W' => -1.0,
        _ => return None,
    };
    let lon = digits(7..10)? + digits(10..13)? / 600.0;
    ((0.0..=90.0).contains(&lat) && (0.0..=180.0).contains(&lon))
        .then_some((lat_sign * lat, lon_sign * lon))
}

#[cfg(test)]
mod tests {
    use super::super::block::{with_parity, BlockFields};
    use super::*;

    fn raw(f: &BlockFields) -> RawBlock {
        RawBlock {
            chars: f.covered().iter().map(|c| c & 0x7f).collect(),
            corrected_bits: 0,
        }
    }

    #[test]
    fn a_downlink_splits_its_sequence_number_and_flight() {
        let f = BlockFields {
            mode: b'2',
            address: *b"..N5130",
            ack: NAK,
            label: *b"H1",
            block_id: b'4',
            text: Some(b"M12AUA0123#M1BPOSN47374W122186,AUBRN,204723".to_vec()),
            more: true,
        };
        let m = parse(&raw(&f));
        assert_eq!(m.registration, "N5130");
        assert_eq!(m.ack, None);
        assert_eq!(m.block_id, Some('4'));
        assert!(m.downlink && m.more);
        assert_eq!(m.msg_num.as_deref(), Some("M12A"));
        assert_eq!(m.flight.as_deref(), Some("UA0123"));
        assert_eq!(m.text, "#M1BPOSN47374W122186,AUBRN,204723");
        let (lat, lon) = position(&m.text).unwrap();
        assert!((lat - (47.0 + 37.4 / 60.0)).abs() < 1e-9);
        assert!((lon + (122.0 + 18.6 / 60.0)).abs() < 1e-9);
    }

    #[test]
    fn an_uplink_without_text_and_the_del_label() {
        let f = BlockFields {
            mode: b'2',
            address: *b".G-ABCD",
            ack: b'3',
            label: [b'_', 0x7f],
            block_id: b'A',
            text: None,
            more: false,
        };
        let m = parse(&raw(&f));
        assert_eq!(m.label, "_d");
        assert_eq!(m.ack, Some('3'));
        assert!(!m.downlink);
        assert_eq!(m.text, "");
        assert_eq!(m.msg_num, None);
        let _ = with_parity(0);
    }

    #[test]
    fn oooi_reports_and_malformed_positions() {
        let o = oooi("QE", "KSFO1432KLAX").unwrap();
        assert_eq!(o.station.as_deref(), Some("KSFO"));
        assert_eq!(o.out.as_deref(), Some("1432"));
        assert_eq!(o.destination.as_deref(), Some("KLAX"));
        assert_eq!(oooi("H1", "KSFO1432"), None);
        assert_eq!(position("POSX47374W122186"), None);
        assert_eq!(position("POSN99374W122186"), None);
        assert_eq!(position("POSN4737"), None);
        assert_eq!(position("POSN47374W12218"), None);
        assert!(position("xxPOSN1 POSS33540E151120").is_some());
    }
}
