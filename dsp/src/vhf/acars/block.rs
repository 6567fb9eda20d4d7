//! The ACARS block (ARINC 618 air–ground character protocol): 7-bit characters with an odd
//! parity bit, sent least significant bit first, closed by a 16-bit block check sequence.
//!
//! ```text
//!  pre-key      bit sync  char sync  SOH  mode addr(7) TAK label(2) BID  STX text… ETX|ETB  BCS(2)  DEL
//!  128 × '1'    '+' '*'   SYN SYN    ─────────────── covered by the BCS ───────────────     lo hi
//! ```
//!
//! The BCS is CRC-16/KERMIT (CCITT polynomial, reflected, initial value 0) over everything
//! from the mode character to the suffix, parity bits included, sent low byte first; the
//! pre-key and the BCS carry no parity. A block without text has ETX where STX would be.
//!
//! Repair uses what the demodulator knows of each bit: a character whose parity fails has
//! its least reliable bit flipped (its next least reliable, if that fails), a block whose
//! parity holds but whose BCS does not has the two least reliable bits of one of its least
//! reliable characters flipped (an even number of errors in one character). Every attempt
//! must make the BCS check; the attempts are few ([`MAX_ATTEMPTS`]), so a damaged block is
//! taken for a good one about once in 65,536 / [`MAX_ATTEMPTS`] damaged blocks, before the
//! parity checks that must also pass.

use crc::{Crc, CRC_16_KERMIT};

pub const SOH: u8 = 0x01;
pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const ETB: u8 = 0x17;
pub const SYN: u8 = 0x16;
pub const NAK: u8 = 0x15;
pub const DEL: u8 = 0x7f;
/// The pre-key: 16 characters of ones.
pub const PREKEY_BITS: usize = 128;
/// Longest text of one block.
pub const MAX_TEXT: usize = 220;
/// Mode, address (7), technical acknowledgement, label (2), block id, STX or ETX.
pub const HEADER: usize = 13;
/// Most parity failures a block may have and still be repaired.
pub const MAX_PARITY_ERRORS: usize = 3;
/// Most repair attempts (candidate bit patterns checked against the BCS) per block.
pub const MAX_ATTEMPTS: usize = 32;

const BCS: Crc<u16> = Crc::<u16>::new(&CRC_16_KERMIT);

/// A 7-bit character with its odd parity bit.
pub fn with_parity(c: u8) -> u8 {
    let c = c & 0x7f;
    if c.count_ones().is_multiple_of(2) {
        c | 0x80
    } else {
        c
    }
}

/// True if the 8-bit character has odd parity.
pub fn parity_ok(c: u8) -> bool {
    c.count_ones() % 2 == 1
}

/// The BCS of the characters from mode to suffix (with their parity bits).
pub fn bcs(chars: &[u8]) -> u16 {
    BCS.checksum(chars)
}

/// The fields of a block, as 7-bit characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockFields {
    pub mode: u8,
    /// The aircraft's registration, right-aligned, padded with '.' (".N123AB").
    pub address: [u8; 7],
    /// Technical acknowledgement: NAK, or the block id acknowledged.
    pub ack: u8,
    pub label: [u8; 2],
    pub block_id: u8,
    /// `None`: no text (ETX follows the block id).
    pub text: Option<Vec<u8>>,
    /// More blocks of this message follow (ETB instead of ETX).
    pub more: bool,
}

impl BlockFields {
    /// The characters from mode to suffix, each with its parity bit.
    pub fn covered(&self) -> Vec<u8> {
        let mut out = vec![self.mode];
        out.extend_from_slice(&self.address);
        out.push(self.ack);
        out.extend_from_slice(&self.label);
        out.push(self.block_id);
        match &self.text {
            Some(t) => {
                out.push(STX);
                out.extend(t.iter().take(MAX_TEXT));
                out.push(if self.more { ETB } else { ETX });
            }
            None => out.push(ETX),
        }
        out.into_iter().map(with_parity).collect()
    }

    /// Every byte after the pre-key, as sent: bit sync, char sync, SOH, the covered
    /// characters, the BCS (low byte first) and DEL.
    pub fn encode(&self) -> Vec<u8> {
        let covered = self.covered();
        let crc = bcs(&covered);
        let mut out: Vec<u8> = [b'+', b'*', SYN, SYN, SOH]
            .into_iter()
            .map(with_parity)
            .collect();
        out.extend_from_slice(&covered);
        out.extend_from_slice(&crc.to_le_bytes());
        out.push(with_parity(DEL));
        out
    }
}

/// The bits of bytes, least significant first (as ACARS sends them).
pub fn bits_lsb_first(bytes: &[u8]) -> impl Iterator<Item = bool> + '_ {
    bytes
        .iter()
        .flat_map(|b| (0..8).map(move |i| (b >> i) & 1 == 1))
}

/// A received character: the bits as decided, and how reliable each one was (|soft value|).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SoftChar {
    pub byte: u8,
    pub reliability: [f32; 8],
}

impl SoftChar {
    /// Bit indices by rising reliability.
    fn weakest(&self) -> [usize; 8] {
        let mut idx = [0, 1, 2, 3, 4, 5, 6, 7];
        idx.sort_by(|&a, &b| self.reliability[a].total_cmp(&self.reliability[b]));
        idx
    }
}

/// A block whose BCS checked, parity bits removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawBlock {
    /// Mode through suffix, 7-bit.
    pub chars: Vec<u8>,
    /// Bits the repair flipped.
    pub corrected_bits: u8,
}

/// Why a block was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    TooShort,
    TooManyParityErrors,
    Unrepairable,
}

/// Checks a received block (`chars`: mode through suffix; `bcs`: the two BCS bytes) and
/// repairs it if a few flips of its least reliable bits make it check.
pub fn check(chars: &[SoftChar], bcs_bytes: [SoftChar; 2]) -> Result<RawBlock, Reject> {
    if chars.len() < HEADER {
        return Err(Reject::TooShort);
    }
    let bytes: Vec<u8> = chars.iter().map(|c| c.byte).collect();
    let sent = u16::from_le_bytes([bcs_bytes[0].byte, bcs_bytes[1].byte]);
    let failing: Vec<usize> = (0..chars.len()).filter(|&i| !parity_ok(bytes[i])).collect();
    if failing.len() > MAX_PARITY_ERRORS {
        return Err(Reject::TooManyParityErrors);
    }
    let done = |bytes: Vec<u8>, flips: u8| RawBlock {
        chars: bytes.into_iter().map(|b| b & 0x7f).collect(),
        corrected_bits: flips,
    };
    if failing.is_empty() && bcs(&bytes) == sent {
        return Ok(done(bytes, 0));
    }
    let mut attempts = 0;
    if !failing.is_empty() {
        // One flip per failing character: its weakest bit, then its second weakest.
        let choices: Vec<[usize; 2]> = failing
            .iter()
            .map(|&i| {
                let w = chars[i].weakest();
                [w[0], w[1]]
            })
            .collect();
        for pattern in 0..(1usize << failing.len()) {
            if attempts == MAX_ATTEMPTS {
                break;
            }
            attempts += 1;
            let mut b = bytes.clone();
            for (k, &i) in failing.iter().enumerate() {
                b[i] ^= 1 << choices[k][(pattern >> k) & 1];
            }
            if bcs(&b) == sent {
                return Ok(done(b, failing.len() as u8));
            }
        }
        return Err(Reject::Unrepairable);
    }
    // Parity holds everywhere, the BCS does not: two errors in one character (or errors in
    // the BCS itself, which carries no parity). Try the characters whose two weakest bits
    // are the least reliable.
    let mut candidates: Vec<(f32, usize, usize, usize)> = chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let w = c.weakest();
            (c.reliability[w[0]] + c.reliability[w[1]], i, w[0], w[1])
        })
        .collect();
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    for &(_, i, a, b2) in candidates.iter().take(MAX_ATTEMPTS / 2) {
        let mut b = bytes.clone();
        b[i] ^= (1 << a) | (1 << b2);
        if bcs(&b) == sent {
            return Ok(done(b, 2));
        }
    }
    // One bit of the BCS itself.
    for (k, c) in bcs_bytes.iter().enumerate() {
        let w = c.weakest()[0];
        let mut s = [bcs_bytes[0].byte, bcs_bytes[1].byte];
        s[k] ^= 1 << w;
        if bcs(&bytes) == u16::from_le_bytes(s) {
            return Ok(done(bytes, 1));
        }
    }
    Err(Reject::Unrepairable)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn fields() -> BlockFields {
        BlockFields {
            mode: b'2',
            address: *b".N123AB",
            ack: NAK,
            label: *b"H1",
            block_id: b'3',
            text: Some(b"M01AUA1234#DFBA380,1200,REMARK".to_vec()),
            more: false,
        }
    }

    fn soft(bytes: &[u8]) -> Vec<SoftChar> {
        bytes
            .iter()
            .map(|&byte| SoftChar {
                byte,
                reliability: [1.0; 8],
            })
            .collect()
    }

    fn split(f: &BlockFields) -> (Vec<SoftChar>, [SoftChar; 2]) {
        let e = f.encode();
        // After '+', '*', SYN, SYN, SOH; before the BCS and DEL.
        let covered = soft(&e[5..e.len() - 3]);
        let b = soft(&e[e.len() - 3..e.len() - 1]);
        (covered, [b[0], b[1]])
    }

    #[test]
    fn the_bcs_is_crc16_kermit_and_a_whole_block_checks_to_zero() {
        // CRC-16/KERMIT's check value.
        assert_eq!(bcs(b"123456789"), 0x2189);
        let covered = fields().covered();
        let mut whole = covered.clone();
        whole.extend_from_slice(&bcs(&covered).to_le_bytes());
        assert_eq!(bcs(&whole), 0);
    }

    #[test]
    fn characters_carry_odd_parity() {
        assert_eq!(with_parity(b'+'), 0xab);
        assert_eq!(with_parity(b'*'), 0x2a);
        assert_eq!(with_parity(ETX), 0x83);
        assert_eq!(with_parity(ETB), 0x97);
        assert_eq!(with_parity(DEL), 0x7f);
        assert!((0..128u8).all(|c| parity_ok(with_parity(c))));
    }

    #[test]
    fn a_clean_block_checks_and_loses_its_parity_bits() {
        let f = fields();
        let (chars, b) = split(&f);
        let r = check(&chars, b).unwrap();
        assert_eq!(r.corrected_bits, 0);
        assert_eq!(&r.chars[1..8], b".N123AB");
        assert_eq!(*r.chars.last().unwrap(), ETX);
    }

    #[test]
    fn weak_single_bit_errors_are_repaired_up_to_three() {
        let f = fields();
        let (mut chars, b) = split(&f);
        for &(i, bit) in &[(4usize, 3usize), (15, 0), (30, 6)] {
            chars[i].byte ^= 1 << bit;
            chars[i].reliability[bit] = 0.1;
        }
        let r = check(&chars, b).unwrap();
        assert_eq!(r.corrected_bits, 3);
        assert_eq!(
            r.chars,
            f.covered().iter().map(|c| c & 0x7f).collect::<Vec<_>>()
        );
        // A fourth parity failure is too many.
        chars[20].byte ^= 1;
        assert_eq!(check(&chars, b), Err(Reject::TooManyParityErrors));
    }

    #[test]
    fn an_error_on_a_confident_bit_is_not_guessed_at() {
        let f = fields();
        let (mut chars, b) = split(&f);
        chars[5].byte ^= 1 << 2;
        chars[5].reliability[6] = 0.1;
        chars[5].reliability[1] = 0.2;
        assert_eq!(check(&chars, b), Err(Reject::Unrepairable));
    }

    #[test]
    fn a_double_error_in_one_character_is_repaired_from_its_two_weakest_bits() {
        let f = fields();
        let (mut chars, b) = split(&f);
        chars[10].byte ^= 0b0000_0110;
        chars[10].reliability[1] = 0.05;
        chars[10].reliability[2] = 0.1;
        let r = check(&chars, b).unwrap();
        assert_eq!(r.corrected_bits, 2);
    }
}
