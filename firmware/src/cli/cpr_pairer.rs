//! CPR pairing for a stream of messages outside a track table (the `decode` and `demo`
//! commands): one [`CprState`] per address, bounded in number.

use crate::core::track::position::CprState;
use dsp::cpr::{CprFrame, CprKind, Position};
use dsp::decode::Message;
use std::collections::HashMap;

const MAX_AIRCRAFT: usize = 8192;
/// Positions farther than this from the receiver (when it is known) are refused.
const MAX_RANGE_NM: f64 = 500.0;

/// Pairs CPR frames per address. Past `MAX_AIRCRAFT` addresses the stalest is forgotten.
#[derive(Default)]
pub struct CprPairer {
    entries: HashMap<u32, CprState>,
    receiver: Option<Position>,
}

impl CprPairer {
    pub fn new(receiver: Option<Position>) -> Self {
        Self {
            entries: HashMap::new(),
            receiver,
        }
    }

    /// Adds the position in a decoded message (if it carries one) at time `t` (seconds);
    /// returns the position if it resolves.
    pub fn add_message(&mut self, m: &Message, t: f64) -> Option<Position> {
        let (fmt, lat, lon, tc) = (m.cpr_format?, m.cpr_lat?, m.cpr_lon?, m.typecode?);
        let kind = if (5..=8).contains(&tc) {
            CprKind::Surface
        } else {
            CprKind::Airborne
        };
        if self.entries.len() >= MAX_AIRCRAFT && !self.entries.contains_key(&m.icao.0) {
            let stalest = self
                .entries
                .iter()
                .min_by(|a, b| {
                    a.1.last_frame()
                        .unwrap_or(f64::MIN)
                        .total_cmp(&b.1.last_frame().unwrap_or(f64::MIN))
                })
                .map(|(&a, _)| a);
            if let Some(a) = stalest {
                self.entries.remove(&a);
            }
        }
        let state = self.entries.entry(m.icao.0).or_default();
        state
            .add(
                CprFrame {
                    lat,
                    lon,
                    odd: fmt == 1,
                },
                kind,
                t,
                self.receiver,
                MAX_RANGE_NM,
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp::decode::Icao;

    #[test]
    fn memory_is_bounded() {
        let mut p = CprPairer::new(None);
        for a in 0..(MAX_AIRCRAFT as u32 + 100) {
            let m = Message {
                icao: Icao(a),
                typecode: Some(11),
                cpr_format: Some(0),
                cpr_lat: Some(1000),
                cpr_lon: Some(2000),
                ..Message::default()
            };
            p.add_message(&m, f64::from(a));
        }
        assert_eq!(p.entries.len(), MAX_AIRCRAFT);
    }
}
