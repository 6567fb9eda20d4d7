//! The recent ACARS messages: blocks parsed, multi-block messages reassembled, each message
//! linked to its aircraft, kept for `acars-snapshot` (bounded by count and age).
//!
//! Linking: a VDL2 message carries its aircraft's ICAO address in the AVLC header, which is
//! the track's key. An ACARS message names its aircraft by registration and, on downlinks, by
//! flight id. The flight id is matched to a track's call sign: exactly (after removing spaces and the
//! zeros ACARS pads flight numbers with), or with the airline's two-letter IATA code read as
//! its three-letter ICAO code ("UA0123" is "UAL123"; a short table of airlines). A match by
//! registration needs an aircraft database, which the daemon does not have yet.

use super::track::{TrackKey, TrackTable};
use dsp::vhf::acars::message::{self, AcarsMessage, Oooi};
use dsp::vhf::acars::reassembly::{Outcome, Reassembler};
use std::collections::VecDeque;
use std::sync::Arc;

/// A message as the product shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AcarsRecord {
    pub id: u64,
    pub wall_ms: u64,
    /// "acars" or "vdlm2" (ACARS over VDL Mode 2).
    pub source: &'static str,
    /// The VDL2 ground station in the exchange.
    pub ground_station: Option<u32>,
    pub channel: usize,
    pub frequency_hz: f64,
    pub message: AcarsMessage,
    /// Blocks the message came in.
    pub blocks: usize,
    pub signal_dbfs: f32,
    pub error_count: u8,
    /// The aircraft it was linked to, and that aircraft's call sign.
    pub icao: Option<TrackKey>,
    pub callsign: Option<String>,
    pub label_name: Option<&'static str>,
    pub position: Option<(f64, f64)>,
    pub oooi: Option<Oooi>,
}

/// One block, for the feeds (acarsdec's JSON is per block).
#[derive(Clone, Debug, PartialEq)]
pub struct AcarsBlock {
    pub wall_ms: u64,
    pub channel: usize,
    pub frequency_hz: f64,
    pub signal_dbfs: f32,
    pub error_count: u8,
    pub message: AcarsMessage,
}

/// Where a block came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// "acars" or "vdlm2".
    pub source: &'static str,
    pub channel: usize,
    pub frequency_hz: f64,
    pub signal_dbfs: f32,
    /// VDL2: the aircraft's and the ground station's addresses from the AVLC header.
    pub aircraft: Option<u32>,
    pub ground_station: Option<u32>,
}

pub struct AcarsStore {
    recent: VecDeque<Arc<AcarsRecord>>,
    keep: usize,
    max_age_ms: u64,
    reassembler: Reassembler,
    next_id: u64,
}

/// IATA → ICAO airline designators, for linking flight ids to call signs (major carriers
/// only; a flight id that already uses the ICAO code needs no table).
const AIRLINES: [(&str, &str); 39] = [
    ("AA", "AAL"),
    ("AC", "ACA"),
    ("AF", "AFR"),
    ("AS", "ASA"),
    ("AY", "FIN"),
    ("AZ", "ITY"),
    ("B6", "JBU"),
    ("BA", "BAW"),
    ("CX", "CPA"),
    ("DL", "DAL"),
    ("EI", "EIN"),
    ("EK", "UAE"),
    ("EY", "ETD"),
    ("F9", "FFT"),
    ("FX", "FDX"),
    ("G4", "AAY"),
    ("HA", "HAL"),
    ("IB", "IBE"),
    ("JL", "JAL"),
    ("KL", "KLM"),
    ("LH", "DLH"),
    ("LX", "SWR"),
    ("NH", "ANA"),
    ("NK", "NKS"),
    ("OS", "AUA"),
    ("QF", "QFA"),
    ("QR", "QTR"),
    ("SK", "SAS"),
    ("SN", "BEL"),
    ("SQ", "SIA"),
    ("TK", "THY"),
    ("TP", "TAP"),
    ("U2", "EZY"),
    ("UA", "UAL"),
    ("5X", "UPS"),
    ("VS", "VIR"),
    ("WN", "SWA"),
    ("WS", "WJA"),
    ("FR", "RYR"),
];

/// A call sign or flight id in one form: no spaces, the number without leading zeros.
fn normal(id: &str) -> String {
    let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    let split = id
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(id.len(), |(i, _)| i);
    let (prefix, digits) = id.split_at(split);
    let number = match digits.trim_start_matches('0') {
        "" if !digits.is_empty() => "0",
        n => n,
    };
    format!("{}{number}", prefix.to_ascii_uppercase())
}

/// The call signs a flight id may be flown under.
fn callsigns_of(flight: &str) -> Vec<String> {
    let n = normal(flight);
    let mut out = vec![n.clone()];
    for (iata, icao) in AIRLINES {
        if let Some(rest) = n.strip_prefix(iata) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(format!("{icao}{rest}"));
            }
        }
    }
    out
}

impl AcarsStore {
    pub fn new(keep: usize, max_age_s: f64) -> Self {
        Self {
            recent: VecDeque::new(),
            keep: keep.max(1),
            max_age_ms: (max_age_s * 1000.0) as u64,
            reassembler: Reassembler::new(),
            next_id: 1,
        }
    }

    /// Takes one checked block heard at `now_s` (core time) and `wall_ms`; returns the
    /// message it completed, if any, and the block for the feeds.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        block: &dsp::vhf::acars::RawBlock,
        channel: usize,
        frequency_hz: f64,
        signal_dbfs: f32,
        now_s: f64,
        wall_ms: u64,
        table: &TrackTable,
    ) -> (Option<Arc<AcarsRecord>>, AcarsBlock) {
        let origin = Origin {
            source: "acars",
            channel,
            frequency_hz,
            signal_dbfs,
            aircraft: None,
            ground_station: None,
        };
        self.add_from(block, origin, now_s, wall_ms, table)
    }

    /// Takes one checked block from `origin` (for VDL2, its frame's addresses).
    pub fn add_from(
        &mut self,
        block: &dsp::vhf::acars::RawBlock,
        origin: Origin,
        now_s: f64,
        wall_ms: u64,
        table: &TrackTable,
    ) -> (Option<Arc<AcarsRecord>>, AcarsBlock) {
        let Origin {
            source,
            channel,
            frequency_hz,
            signal_dbfs,
            aircraft,
            ground_station,
        } = origin;
        let parsed = message::parse(block);
        let fed = AcarsBlock {
            wall_ms,
            channel,
            frequency_hz,
            signal_dbfs,
            error_count: block.corrected_bits,
            message: parsed.clone(),
        };
        let (message, blocks) = match self.reassembler.add(parsed, now_s) {
            Outcome::Complete { message, blocks } => (message, blocks),
            Outcome::Held => return (None, fed),
        };
        let linked = match aircraft {
            // The AVLC address is the track's key; its call sign if it is tracked.
            Some(address) => {
                let key = TrackKey {
                    address,
                    non_icao: false,
                };
                let cs = table.get(&key).and_then(|a| a.flight.get());
                Some((key, cs.map(|c| c.trim().to_string())))
            }
            None => message.flight.as_deref().and_then(|f| {
                let wanted = callsigns_of(f);
                table.iter().find_map(|a| {
                    let cs = a.flight.get()?;
                    wanted
                        .contains(&normal(&cs))
                        .then(|| (a.key, Some(cs.trim().to_string())))
                })
            }),
        };
        let record = Arc::new(AcarsRecord {
            id: self.next_id,
            wall_ms,
            source,
            ground_station,
            channel,
            frequency_hz,
            label_name: message::label_name(&message.label),
            position: message::position(&message.text),
            oooi: message::oooi(&message.label, &message.text),
            icao: linked.as_ref().map(|l| l.0),
            callsign: linked.and_then(|l| l.1),
            blocks,
            signal_dbfs,
            error_count: block.corrected_bits,
            message,
        });
        self.next_id += 1;
        if self.recent.len() == self.keep {
            self.recent.pop_front();
        }
        self.recent.push_back(record.clone());
        (Some(record), fed)
    }

    /// Drops messages older than the age limit, and reassembly that timed out; true if a
    /// message went.
    pub fn expire(&mut self, now_s: f64, wall_ms: u64) -> bool {
        self.reassembler.expire(now_s);
        let before = self.recent.len();
        while self
            .recent
            .front()
            .is_some_and(|r| wall_ms.saturating_sub(r.wall_ms) > self.max_age_ms)
        {
            self.recent.pop_front();
        }
        self.recent.len() != before
    }

    /// Every message kept, oldest first.
    pub fn all(&self) -> Vec<Arc<AcarsRecord>> {
        self.recent.iter().cloned().collect()
    }

    /// Messages given up for want of their last block.
    pub fn timed_out(&self) -> u64 {
        self.reassembler.timed_out
    }

    /// The newest `limit` messages (newest first), of one aircraft if `icao` is given.
    pub fn latest(&self, limit: usize, icao: Option<TrackKey>) -> Vec<Arc<AcarsRecord>> {
        self.recent
            .iter()
            .rev()
            .filter(|r| icao.is_none_or(|k| r.icao == Some(k)))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flight_ids_match_call_signs_in_either_code() {
        assert_eq!(normal("UA0123"), "UA123");
        assert_eq!(normal("KLM 1023"), "KLM1023");
        assert!(callsigns_of("UA0123").contains(&"UAL123".to_string()));
        assert!(callsigns_of("KLM123").contains(&"KLM123".to_string()));
        assert_eq!(callsigns_of("UAX12"), vec!["UAX12".to_string()]);
        assert_eq!(callsigns_of("N123AB"), vec!["N123AB".to_string()]);
    }
}
