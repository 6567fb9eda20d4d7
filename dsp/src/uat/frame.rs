//! UAT frames after the sync word: Reed–Solomon correction of downlink (basic or long) and
//! uplink (six interleaved blocks) codewords, and the raw-line form dump978 uses.

use super::consts::*;
use crate::rs::ReedSolomon;

const BASIC: ReedSolomon = ReedSolomon::new(BASIC_CODEWORD, BASIC_PAYLOAD);
const LONG: ReedSolomon = ReedSolomon::new(LONG_CODEWORD, LONG_PAYLOAD);
const UPLINK_BLOCK: ReedSolomon = ReedSolomon::new(UPLINK_BLOCK_CODEWORD, UPLINK_BLOCK_PAYLOAD);

/// Which of the two frame kinds a corrected frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ADS-B downlink, basic (18 bytes) or long (34 bytes).
    Downlink,
    /// Ground uplink (432 bytes).
    Uplink,
}

/// A frame that passed Reed–Solomon: its payload (parity removed) and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UatFrame {
    pub kind: Kind,
    /// 18 or 34 bytes (downlink), 432 (uplink).
    pub payload: Vec<u8>,
    /// Bytes the Reed–Solomon decoder changed (uplink: over all six blocks).
    pub corrected: usize,
}

impl UatFrame {
    /// The payload type of a downlink (the first 5 bits): 0 means basic.
    pub fn payload_type(&self) -> u8 {
        self.payload.first().map_or(0, |b| b >> 3)
    }

    /// dump978's raw line without metadata: `-HEX;` (downlink) or `+HEX;` (uplink),
    /// lowercase hex of the payload.
    pub fn raw(&self) -> String {
        let mut s = String::with_capacity(self.payload.len() * 2 + 2);
        s.push(if self.kind == Kind::Downlink {
            '-'
        } else {
            '+'
        });
        s.push_str(&::hex::encode(&self.payload));
        s.push(';');
        s
    }
}

/// Corrects a 48-byte downlink codeword. The long code is tried first and kept if the payload
/// type says long (non-zero); otherwise the first 30 bytes must be a basic codeword of type 0.
pub fn correct_downlink(raw: &[u8]) -> Option<UatFrame> {
    downlink(raw, None)
}

/// For a frame [`correct_downlink`] could not correct: decoding again with the bytes of the
/// least confident bits (`confidence`, one per byte) marked as erasures, half the parity's
/// worth.
pub fn correct_downlink_soft(raw: &[u8], confidence: &[u16]) -> Option<UatFrame> {
    if confidence.len() < LONG_CODEWORD {
        return None;
    }
    downlink(raw, Some(confidence))
}

/// One downlink attempt: long first, then basic, each with the erasures `confidence` picks.
fn downlink(raw: &[u8], confidence: Option<&[u16]>) -> Option<UatFrame> {
    if raw.len() < LONG_CODEWORD {
        return None;
    }
    // (code, codeword length, payload length, whether the payload type must be non-zero)
    let attempts = [
        (&LONG, LONG_CODEWORD, LONG_PAYLOAD, true),
        (&BASIC, BASIC_CODEWORD, BASIC_PAYLOAD, false),
    ];
    for (code, n, k, long) in attempts {
        let mut cw = raw[..n].to_vec();
        let erase = confidence.map_or_else(Vec::new, |c| least_confident(&c[..n], (n - k) / 2));
        if let Ok(corrected) = code.decode_with_erasures(&mut cw, &erase) {
            if (cw[0] >> 3 != 0) == long {
                cw.truncate(k);
                return Some(UatFrame {
                    kind: Kind::Downlink,
                    payload: cw,
                    corrected,
                });
            }
        }
    }
    None
}

/// The `count` positions of `confidence` with the lowest values (ties: the earlier first).
fn least_confident(confidence: &[u16], count: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..confidence.len()).collect();
    idx.sort_by_key(|&i| (confidence[i], i));
    idx.truncate(count);
    idx
}

/// Corrects a 552-byte uplink: de-interleaves the six blocks (byte `i·6 + b` belongs to
/// block `b`), corrects each, and joins their data bytes.
pub fn correct_uplink(raw: &[u8]) -> Option<UatFrame> {
    uplink(raw, None)
}

/// [`correct_uplink`] with soft information: a block that errors-only decoding cannot
/// correct is tried again with its least confident bytes (half the parity's worth) erased.
pub fn correct_uplink_soft(raw: &[u8], confidence: &[u16]) -> Option<UatFrame> {
    if confidence.len() < UPLINK_CODEWORD {
        return None;
    }
    uplink(raw, Some(confidence))
}

fn uplink(raw: &[u8], confidence: Option<&[u16]>) -> Option<UatFrame> {
    if raw.len() < UPLINK_CODEWORD {
        return None;
    }
    let mut payload = vec![0u8; UPLINK_PAYLOAD];
    let mut corrected = 0;
    let mut block = [0u8; UPLINK_BLOCK_CODEWORD];
    for b in 0..UPLINK_BLOCKS {
        for (i, byte) in block.iter_mut().enumerate() {
            *byte = raw[i * UPLINK_BLOCKS + b];
        }
        let received = block;
        corrected += match (UPLINK_BLOCK.decode(&mut block), confidence) {
            (Ok(c), _) => c,
            (Err(_), None) => return None,
            (Err(_), Some(conf)) => {
                block = received;
                let conf: Vec<u16> = (0..UPLINK_BLOCK_CODEWORD)
                    .map(|i| conf[i * UPLINK_BLOCKS + b])
                    .collect();
                let erase =
                    least_confident(&conf, (UPLINK_BLOCK_CODEWORD - UPLINK_BLOCK_PAYLOAD) / 2);
                UPLINK_BLOCK.decode_with_erasures(&mut block, &erase).ok()?
            }
        };
        payload[b * UPLINK_BLOCK_PAYLOAD..(b + 1) * UPLINK_BLOCK_PAYLOAD]
            .copy_from_slice(&block[..UPLINK_BLOCK_PAYLOAD]);
    }
    Some(UatFrame {
        kind: Kind::Uplink,
        payload,
        corrected,
    })
}

/// The transmitted codeword of a downlink payload (18 → 30 bytes, 34 → 48), for the generator
/// and tests. `None` for other lengths.
pub fn encode_downlink(payload: &[u8]) -> Option<Vec<u8>> {
    let rs = match payload.len() {
        BASIC_PAYLOAD => &BASIC,
        LONG_PAYLOAD => &LONG,
        _ => return None,
    };
    let mut cw = vec![0u8; rs.n()];
    cw[..rs.k()].copy_from_slice(payload);
    rs.encode(&mut cw);
    Some(cw)
}

/// The transmitted 552 bytes of a 432-byte uplink payload (six blocks, interleaved).
pub fn encode_uplink(payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() != UPLINK_PAYLOAD {
        return None;
    }
    let mut out = vec![0u8; UPLINK_CODEWORD];
    let mut block = [0u8; UPLINK_BLOCK_CODEWORD];
    for b in 0..UPLINK_BLOCKS {
        block[..UPLINK_BLOCK_PAYLOAD]
            .copy_from_slice(&payload[b * UPLINK_BLOCK_PAYLOAD..(b + 1) * UPLINK_BLOCK_PAYLOAD]);
        UPLINK_BLOCK.encode(&mut block);
        for (i, &byte) in block.iter().enumerate() {
            out[i * UPLINK_BLOCKS + b] = byte;
        }
    }
    Some(out)
}

/// Parses the hex payload of a dump978 raw line (`-HEX;…` or `+HEX;…`): kind and bytes.
/// Metadata after the first `;` is ignored. `None` for anything else.
pub fn parse_raw(line: &str) -> Option<(Kind, Vec<u8>)> {
    let line = line.trim();
    let kind = match line.as_bytes().first()? {
        b'-' => Kind::Downlink,
        b'+' => Kind::Uplink,
        _ => return None,
    };
    let hex = line[1..].split(';').next()?;
    let bytes = ::hex::decode(hex).ok()?;
    let ok = match kind {
        Kind::Downlink => bytes.len() == BASIC_PAYLOAD || bytes.len() == LONG_PAYLOAD,
        Kind::Uplink => bytes.len() == UPLINK_PAYLOAD,
    };
    ok.then_some((kind, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_repairs() {
        let mut long = [0u8; LONG_PAYLOAD];
        long[0] = 1 << 3;
        long[5] = 0xab;
        let mut cw = encode_downlink(&long).unwrap_or_default();
        cw[3] ^= 0x55;
        cw[40] ^= 0x01;
        let f = correct_downlink(&cw).expect("long frame");
        assert_eq!((f.payload.as_slice(), f.corrected), (&long[..], 2));

        let basic = [0u8; BASIC_PAYLOAD];
        let mut cw = encode_downlink(&basic).unwrap_or_default();
        cw.resize(LONG_CODEWORD, 0x5a); // what follows a basic frame on the air is noise
        let f = correct_downlink(&cw).expect("basic frame");
        assert_eq!(f.payload, basic);

        let up: Vec<u8> = (0..UPLINK_PAYLOAD).map(|i| (i * 7) as u8).collect();
        let mut cw = encode_uplink(&up).unwrap_or_default();
        // Ten errors in every block, the most RS(92,72) corrects, spread by the interleaver.
        for b in 0..UPLINK_BLOCKS {
            for j in 0..10 {
                cw[(j * 9 + b) * UPLINK_BLOCKS + b] ^= 0xff;
            }
        }
        let f = correct_uplink(&cw).expect("uplink");
        assert_eq!(f.payload, up);
        assert_eq!(f.corrected, 60);
        cw[5 * UPLINK_BLOCKS] ^= 0x0f; // an eleventh error in block 0
        assert_eq!(correct_uplink(&cw), None);
        assert_eq!(parse_raw(&f.raw()), Some((Kind::Uplink, up)));
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        assert_eq!(correct_downlink(&[0u8; 10]), None);
        assert_eq!(correct_uplink(&[0u8; 100]), None);
        assert_eq!(parse_raw("-zz;"), None);
        assert_eq!(parse_raw("-00;"), None);
        assert_eq!(parse_raw("*8d4840d6202cc371c32ce0576098;"), None);
        assert_eq!(parse_raw("-é1;"), None);
    }
}
