//! A burst's bits after the training sequence (descrambled): the header and its FEC, then
//! the data — de-interleaved and corrected block by block — as the AVLC bit stream.
//!
//! ```text
//!  header: 3 reserved bits, transmission length TL (17 bits, least significant first),
//!          5 parity bits of a (25, 20) code that corrects one error
//!  data:   N = ⌈TL / 8⌉ octets in blocks of 249 (the last one shorter), sent a column at a
//!          time across the blocks, then each block's Reed–Solomon check octets, likewise
//!          (6 a full block; a short block of L octets sends 0, 2, 4 or 6 as L < 3, 31, 68)
//! ```

use super::avlc;
use crate::rs::ReedSolomon;

/// Bits of the header: reserved (3), transmission length (17), FEC (5).
pub const HEADER_BITS: usize = 25;
/// Data octets a Reed–Solomon block carries.
pub const BLOCK: usize = 249;
/// Check octets of a full block.
pub const CHECKS: usize = 6;
/// The longest transmission length taken (bits), and when the header needed a correction
/// (a corrupt length would make the receiver wait for a long burst that is not there).
const MAX_LENGTH_BITS: u32 = 0x3fff;
const MAX_CORRECTED_LENGTH_BITS: u32 = 0x1fff;
/// An octet is a candidate erasure when its least reliable bit's margin is below this
/// (1: a symbol on its constellation point; 0: on the decision boundary).
const ERASE_BELOW: f32 = 0.35;

/// The header code's parity checks, one row each, bit 24 for the first header bit (ICAO
/// Annex 10: the (25, 20) code VDL2 shares with GBAS): each parity bit is the parity of its
/// row over the 20 bits it protects.
// Grouped as the 20 protected bits and the 5 parity bits.
#[allow(clippy::unusual_byte_groupings)]
pub const PARITY_ROWS: [u32; 5] = [
    0b00000000111111111111_10000,
    0b00111111000011111111_01000,
    0b11000111001100001111_00100,
    0b11011011010100110011_00010,
    0b01101001111001010101_00001,
];

/// The code shared with UAT (the field x⁸ + x⁷ + x² + x + 1, first root α¹²⁰).
const RS: ReedSolomon = ReedSolomon::new(255, BLOCK);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Transmission length: the bits of the AVLC stream, flags and stuffing included.
    pub length_bits: u32,
    /// Header bits the FEC corrected (0 or 1).
    pub corrected: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BurstError {
    BadHeader,
    Truncated,
    Uncorrectable,
}

/// A decoded burst.
#[derive(Clone, Debug, PartialEq)]
pub struct Burst {
    pub header: Header,
    /// Octets the Reed–Solomon code corrected.
    pub corrected: usize,
    /// The data's length in octets (before the check octets).
    pub length_octets: usize,
    /// The frames whose FCS checked (FCS removed), and how many did not.
    pub frames: Vec<Vec<u8>>,
    pub bad_frames: usize,
}

fn syndrome(word: u32) -> u8 {
    PARITY_ROWS.iter().fold(0u8, |s, &row| {
        (s << 1) | ((row & word).count_ones() & 1) as u8
    })
}

impl Header {
    /// The 25 header bits (descrambled, in the order sent).
    pub fn decode(bits: &[u8]) -> Result<Header, BurstError> {
        if bits.len() < HEADER_BITS {
            return Err(BurstError::BadHeader);
        }
        let mut word = bits[..HEADER_BITS]
            .iter()
            .fold(0u32, |w, &b| (w << 1) | u32::from(b & 1));
        let mut corrected = 0;
        let s = syndrome(word);
        if s != 0 {
            // A single error: the column of the parity checks that equals the syndrome.
            let bit = (0..HEADER_BITS).find(|&i| syndrome(1 << i) == s);
            match bit {
                Some(i) => {
                    word ^= 1 << i;
                    corrected = 1;
                }
                None => return Err(BurstError::BadHeader),
            }
        }
        if word >> 22 != 0 {
            return Err(BurstError::BadHeader);
        }
        // TL's first bit (header bit 4, word bit 21) is its least significant.
        let length_bits = (((word >> 5) & 0x1_ffff).reverse_bits()) >> 15;
        let limit = if corrected == 0 {
            MAX_LENGTH_BITS
        } else {
            MAX_CORRECTED_LENGTH_BITS
        };
        if length_bits == 0 || length_bits > limit {
            return Err(BurstError::BadHeader);
        }
        Ok(Header {
            length_bits,
            corrected,
        })
    }

    /// Data octets.
    pub fn data_octets(&self) -> usize {
        (self.length_bits as usize).div_ceil(8)
    }

    /// The blocks: each one's data octets and check octets.
    pub fn blocks(&self) -> Vec<(usize, usize)> {
        let n = self.data_octets();
        let mut blocks = vec![(BLOCK, CHECKS); n / BLOCK];
        let last = n % BLOCK;
        if last > 0 {
            blocks.push((last, checks_for(last)));
        }
        blocks
    }

    /// Bits after the header: data and check octets.
    pub fn coded_bits(&self) -> usize {
        8 * self.blocks().iter().map(|(d, c)| d + c).sum::<usize>()
    }
}

/// Check octets of a last block of `len` data octets.
pub fn checks_for(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=30 => 2,
        31..=67 => 4,
        _ => CHECKS,
    }
}

/// Octets from bits sent least significant first, each octet's reliability the least of
/// its bits'.
fn octets(bits: &[u8], reliability: &[f32]) -> (Vec<u8>, Vec<f32>) {
    bits.chunks_exact(8)
        .zip(reliability.chunks_exact(8))
        .map(|(b, r)| {
            let v = b.iter().rev().fold(0u8, |v, &x| (v << 1) | (x & 1));
            (v, r.iter().copied().fold(f32::INFINITY, f32::min))
        })
        .unzip()
}

/// Decodes the bits after the header (`coded_bits` of them, descrambled) with each bit's
/// reliability (for erasures: the least reliable octets of a block that does not correct
/// are erased and tried again).
pub fn decode(h: &Header, bits: &[u8], reliability: &[f32]) -> Result<Burst, BurstError> {
    let need = h.coded_bits();
    if bits.len() < need || reliability.len() < need {
        return Err(BurstError::Truncated);
    }
    let (stream, weights) = octets(&bits[..need], &reliability[..need]);
    let blocks = h.blocks();
    // De-interleave: data a column at a time across the blocks, then the checks likewise.
    let mut words: Vec<([u8; 255], [f32; 255])> =
        vec![([0u8; 255], [f32::INFINITY; 255]); blocks.len()];
    let mut at = 0usize;
    for col in 0..BLOCK {
        for (b, &(len, _)) in blocks.iter().enumerate() {
            if col < len {
                words[b].0[col] = stream[at];
                words[b].1[col] = weights[at];
                at += 1;
            }
        }
    }
    for col in 0..CHECKS {
        for (b, &(_, checks)) in blocks.iter().enumerate() {
            if col < checks {
                words[b].0[BLOCK + col] = stream[at];
                words[b].1[BLOCK + col] = weights[at];
                at += 1;
            }
        }
    }
    let mut corrected = 0;
    let mut data = Vec::with_capacity(h.data_octets());
    for ((word, weight), &(len, checks)) in words.iter_mut().zip(&blocks) {
        if checks > 0 {
            corrected += correct(word, weight, len, checks)?;
        }
        data.extend_from_slice(&word[..len]);
    }
    let stream_bits: Vec<u8> = crate::vhf::acars::block::bits_lsb_first(&data)
        .take(h.length_bits as usize)
        .map(u8::from)
        .collect();
    let mut bad_frames = 0;
    let frames = avlc::deframe(&stream_bits, &mut bad_frames);
    Ok(Burst {
        header: *h,
        corrected,
        length_octets: h.data_octets(),
        frames,
        bad_frames,
    })
}

/// Corrects one block (`len` data octets, zeros to 249, `checks` check octets, the checks
/// not sent erased); returns the octets changed.
fn correct(
    word: &mut [u8; 255],
    weight: &[f32; 255],
    len: usize,
    checks: usize,
) -> Result<usize, BurstError> {
    let unsent: Vec<usize> = (BLOCK + checks..BLOCK + CHECKS).collect();
    let before = *word;
    let changed =
        |w: &[u8; 255]| -> usize { (0..BLOCK + checks).filter(|&i| w[i] != before[i]).count() };
    let mut trial = *word;
    if RS.decode_with_erasures(&mut trial, &unsent).is_ok() {
        *word = trial;
        return Ok(changed(word));
    }
    // Erase the least reliable of the octets sent, two more at a time, keeping two checks
    // spare: erasures that use up every check always "decode", to anything.
    let mut doubted: Vec<usize> = (0..len)
        .chain(BLOCK..BLOCK + checks)
        .filter(|&i| weight[i] < ERASE_BELOW)
        .collect();
    doubted.sort_by(|&a, &b| weight[a].total_cmp(&weight[b]));
    let mut extra = 2;
    while extra + 2 <= checks && extra <= doubted.len() {
        let mut erasures = unsent.clone();
        erasures.extend_from_slice(&doubted[..extra]);
        let mut trial = *word;
        if RS.decode_with_erasures(&mut trial, &erasures).is_ok() {
            *word = trial;
            return Ok(changed(word));
        }
        extra += 2;
    }
    Err(BurstError::Uncorrectable)
}
