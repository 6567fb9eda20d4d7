//! The Beast binary format of readsb/dump1090 feeds (port 30005 out, 30004 in): `0x1a`, a
//! type byte ('1' Mode A/C, '2' short, '3' long), a 6-byte 12 MHz timestamp, a signal byte,
//! the message; every `0x1a` after the first byte is doubled. Pure byte handling: the firmware
//! owns the sockets.

use crate::Frame;

/// Beast binary: 0x1a, type ('2' short, '3' long), 6-byte timestamp of a 12 MHz clock, one
/// signal byte (amplitude × 255), the message; every 0x1a inside is doubled.
pub fn beast_frame(frame: &Frame, t_s: f64, signal_dbfs: f32, out: &mut Vec<u8>) {
    let data = frame.data();
    out.push(0x1a);
    out.push(if data.len() == 7 { b'2' } else { b'3' });
    let ticks = (t_s.max(0.0) * 12e6) as u64 & 0xffff_ffff_ffff;
    let amplitude = 10f32.powf(signal_dbfs / 20.0);
    let signal = (amplitude * 255.0).round().clamp(0.0, 255.0) as u8;
    let ticks = ticks.to_be_bytes();
    let body = ticks[2..]
        .iter()
        .copied()
        .chain([signal])
        .chain(data.iter().copied());
    for b in body {
        out.push(b);
        if b == 0x1a {
            out.push(0x1a);
        }
    }
}

/// A message in a Beast stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeastMessage {
    /// 12 MHz counter of the sender.
    pub timestamp: u64,
    pub signal: u8,
    /// 7 or 14 bytes (Mode A/C frames are skipped).
    pub data: Vec<u8>,
}

/// Beast binary stream → messages, across reads of any size. Bounded: it holds at most one
/// partial frame; bytes outside a frame are skipped.
#[derive(Default)]
pub struct BeastParser {
    frame: Vec<u8>,
    kind: Option<u8>,
    escape: bool,
    /// Bytes skipped because they were not inside a frame (a sign of a wrong format).
    pub skipped: u64,
}

impl BeastParser {
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<BeastMessage>) {
        for &b in bytes {
            if self.escape {
                self.escape = false;
                if b != 0x1a {
                    // 0x1a then something else: a new frame of type `b` starts.
                    self.start(b);
                    continue;
                }
            } else if b == 0x1a {
                self.escape = true;
                continue;
            }
            let Some(kind) = self.kind else {
                self.skipped += 1;
                continue;
            };
            self.frame.push(b);
            let len = match kind {
                b'1' => 2,
                b'2' => 7,
                _ => 14,
            };
            if self.frame.len() == 7 + len {
                if kind != b'1' {
                    let ts = self.frame[..6]
                        .iter()
                        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
                    out.push(BeastMessage {
                        timestamp: ts,
                        signal: self.frame[6],
                        data: self.frame[7..].to_vec(),
                    });
                }
                self.kind = None;
                self.frame.clear();
            }
        }
    }

    fn start(&mut self, kind: u8) {
        self.frame.clear();
        self.kind = matches!(kind, b'1' | b'2' | b'3').then_some(kind);
        if self.kind.is_none() {
            self.skipped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(hex: &str, address: u32) -> Frame {
        let bytes = ::hex::decode(hex).expect("hex");
        let mut f = Frame {
            bytes: [0; 14],
            len_bits: (bytes.len() * 8) as u8,
            address,
            corrected_bits: 0,
            address_recovered: false,
            sample: 0.0,
            timestamp_12mhz: 0,
            signal_dbfs: -10.0,
            noise_dbfs: -40.0,
        };
        f.bytes[..bytes.len()].copy_from_slice(&bytes);
        f
    }

    #[test]
    fn beast_escapes_0x1a_and_counts_twelve_megahertz() {
        let f = frame("8D1A1A1A58C382D690C8AC2863A7", 0x1a1a1a);
        let mut out = Vec::new();
        beast_frame(&f, 1.0, 0.0, &mut out);
        // 12,000,000 ticks = 0x00_00_00_B7_1B_00; full-scale signal = 255.
        assert_eq!(&out[..2], &[0x1a, b'3']);
        assert_eq!(&out[2..9], &[0, 0, 0, 0xb7, 0x1b, 0, 255]);
        assert_eq!(&out[9..15], &[0x8d, 0x1a, 0x1a, 0x1a, 0x1a, 0x1a]);
        assert_eq!(out.len(), 2 + 7 + 14 + 3);
    }

    #[test]
    fn beast_round_trips_through_the_parser_in_any_chunking() {
        let frames = [
            frame("8D1A1A1A58C382D690C8AC2863A7", 0x1a1a1a),
            frame("5D4840D6C3A7A2", 0x4840d6),
        ];
        let mut stream = b"junk".to_vec();
        for (i, f) in frames.iter().enumerate() {
            beast_frame(f, 1.0 + i as f64, -6.0, &mut stream);
        }
        stream.extend_from_slice(&[0x1a, b'1', 0, 0, 0, 0, 0, 1, 9, 0x12, 0x34]); // Mode A/C
        stream.extend_from_slice(&[0x1a, b'3', 1, 2]); // cut short at the end
        for chunk in [1, 3, 7, stream.len()] {
            let mut p = BeastParser::default();
            let mut out = Vec::new();
            for c in stream.chunks(chunk) {
                p.push(c, &mut out);
            }
            assert_eq!(out.len(), 2, "chunks of {chunk}");
            assert_eq!(out[0].data, frames[0].data());
            assert_eq!(out[0].timestamp, 12_000_000);
            assert_eq!(out[0].signal, 128); // −6 dBFS
            assert_eq!(
                (out[1].data.as_slice(), out[1].timestamp),
                (frames[1].data(), 24_000_000)
            );
            assert_eq!(p.skipped, 4);
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes at all: no panic, and the partial frame never outgrows one message.
        #[test]
        fn arbitrary_bytes_are_parsed_in_bounded_memory(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut p = BeastParser::default();
            let mut out = Vec::new();
            p.push(&bytes, &mut out);
            prop_assert!(p.frame.len() < 7 + 14);
            prop_assert!(out.iter().all(|m| m.data.len() == 7 || m.data.len() == 14));
        }

        /// Any messages, any timestamps and signals, cut anywhere: what comes out is what
        /// went in.
        #[test]
        fn frames_round_trip_through_any_chunking(
            msgs in proptest::collection::vec((any::<bool>(), any::<[u8; 14]>(), 0.0f64..1e6, -60.0f32..0.0), 1..20),
            cut in 1usize..64,
        ) {
            let mut stream = Vec::new();
            let mut sent = Vec::new();
            for (long, bytes, t, dbfs) in &msgs {
                let f = Frame {
                    bytes: *bytes,
                    len_bits: if *long { 112 } else { 56 },
                    address: 0,
                    corrected_bits: 0,
                    address_recovered: false,
                    sample: 0.0,
                    timestamp_12mhz: 0,
                    signal_dbfs: *dbfs,
                    noise_dbfs: -40.0,
                };
                beast_frame(&f, *t, *dbfs, &mut stream);
                sent.push(f.data().to_vec());
            }
            let mut p = BeastParser::default();
            let mut out = Vec::new();
            for c in stream.chunks(cut) {
                p.push(c, &mut out);
            }
            let got: Vec<Vec<u8>> = out.into_iter().map(|m| m.data).collect();
            prop_assert_eq!(got, sent);
        }
    }
}
