//! CRC-24 parity of Mode S replies, and the syndrome tables that locate bit errors.
//!
//! The parity field of a reply is the CRC remainder of the bits before it. For DF11/17/18 it is
//! sent in the clear, so a clean reply has syndrome 0; the address/parity formats XOR the
//! aircraft address into it, so their syndrome *is* the address. Because the code is linear,
//! the syndrome of a damaged reply is the XOR of the syndromes of its flipped bits: a table of
//! single-bit syndromes locates one error by lookup and any small set of suspect bits by XOR.

use crate::consts::{CRC_MASK, CRC_POLY, LONG_BITS, PARITY_BITS, SHORT_BITS};

const fn byte_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 16;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x80_0000 != 0 {
                (c << 1) ^ CRC_POLY
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c & CRC_MASK;
        i += 1;
    }
    table
}

/// CRC remainder of each byte value, computed at compile time.
const BYTE_TABLE: [u32; 256] = byte_table();

/// CRC-24 remainder of `data` (the bits before the parity field).
pub fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |crc, &b| {
        ((crc << 8) ^ BYTE_TABLE[(((crc >> 16) as u8) ^ b) as usize]) & CRC_MASK
    })
}

/// Syndrome of a whole reply: its CRC remainder XOR its parity field. `frame` must be 7 or 14
/// bytes; other lengths have no parity field and give `None`.
pub fn syndrome(frame: &[u8]) -> Option<u32> {
    if frame.len() != SHORT_BITS / 8 && frame.len() != LONG_BITS / 8 {
        return None;
    }
    let (data, parity) = frame.split_at(frame.len() - PARITY_BITS / 8);
    let p = (u32::from(parity[0]) << 16) | (u32::from(parity[1]) << 8) | u32::from(parity[2]);
    Some(checksum(data) ^ p)
}

/// Syndrome of a single flipped bit at each position of a 112-bit reply. A 56-bit reply's bit
/// `i` has the syndrome of bit `i + 56` here (leading zeros do not change a CRC).
const fn bit_syndromes() -> [u32; LONG_BITS] {
    let mut out = [0u32; LONG_BITS];
    let mut i = 0;
    while i < LONG_BITS {
        // The syndrome of a lone 1 at position i: CRC of the data bits, XOR the parity bits.
        let mut frame = [0u8; LONG_BITS / 8];
        frame[i / 8] = 0x80 >> (i % 8);
        let mut crc = 0u32;
        let mut b = 0;
        while b < (LONG_BITS - PARITY_BITS) / 8 {
            crc = ((crc << 8) ^ BYTE_TABLE[(((crc >> 16) as u8) ^ frame[b]) as usize]) & CRC_MASK;
            b += 1;
        }
        let parity = ((frame[11] as u32) << 16) | ((frame[12] as u32) << 8) | frame[13] as u32;
        out[i] = crc ^ parity;
        i += 1;
    }
    out
}

const BIT_SYNDROMES: [u32; LONG_BITS] = bit_syndromes();

/// Syndrome of flipping bit `bit` of a reply `bits` long.
#[inline]
pub fn bit_syndrome(bits: usize, bit: usize) -> u32 {
    BIT_SYNDROMES[LONG_BITS - bits + bit]
}

/// Up to two bit positions whose flip explains a syndrome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorPattern {
    pub bits: [u8; 2],
    pub count: u8,
}

/// Sorted syndrome → error-pattern table for one reply length, for 1- or 2-bit repair.
/// Built once by its owner (the demodulator's configuration); no global state.
#[derive(Clone, Debug)]
pub struct SyndromeTable {
    bits: usize,
    entries: Vec<(u32, ErrorPattern)>,
}

impl SyndromeTable {
    /// Patterns of up to `max_errors` (1 or 2) flipped bits among positions `first_bit..bits`
    /// (repair never touches the DF field, which decided the length in the first place).
    pub fn new(bits: usize, first_bit: usize, max_errors: u8) -> Self {
        let mut entries = Vec::new();
        for a in first_bit..bits {
            let sa = bit_syndrome(bits, a);
            entries.push((
                sa,
                ErrorPattern {
                    bits: [a as u8, 0],
                    count: 1,
                },
            ));
            if max_errors >= 2 {
                for b in a + 1..bits {
                    let pattern = ErrorPattern {
                        bits: [a as u8, b as u8],
                        count: 2,
                    };
                    entries.push((sa ^ bit_syndrome(bits, b), pattern));
                }
            }
        }
        entries.sort_unstable_by_key(|e| e.0);
        // A syndrome that two patterns share cannot say which one happened: drop both.
        let mut unique: Vec<(u32, ErrorPattern)> = Vec::with_capacity(entries.len());
        let mut i = 0;
        while i < entries.len() {
            let mut j = i + 1;
            while j < entries.len() && entries[j].0 == entries[i].0 {
                j += 1;
            }
            if j == i + 1 {
                unique.push(entries[i]);
            }
            i = j;
        }
        Self {
            bits,
            entries: unique,
        }
    }

    pub fn bits(&self) -> usize {
        self.bits
    }

    pub fn lookup(&self, syndrome: u32) -> Option<ErrorPattern> {
        self.entries
            .binary_search_by_key(&syndrome, |e| e.0)
            .ok()
            .map(|i| self.entries[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_util::hex;

    #[test]
    fn clean_extended_squitters_have_zero_syndrome() {
        for m in [
            "8D4840D6202CC371C32CE0576098",
            "8D40621D58C382D690C8AC2863A7",
        ] {
            assert_eq!(syndrome(&hex(m)), Some(0), "{m}");
        }
    }

    #[test]
    fn address_parity_syndrome_is_the_address() {
        // DF4 from pyModeS's examples: address DBBD0A.
        assert_eq!(syndrome(&hex("20001838CA3E51")), Some(0xDBBD0A));
    }

    #[test]
    fn single_flip_is_located_by_table() {
        let table = SyndromeTable::new(112, 5, 1);
        let mut m = hex("8D4840D6202CC371C32CE0576098");
        for bit in 5..112 {
            m[bit / 8] ^= 0x80 >> (bit % 8);
            let p = table.lookup(syndrome(&m).unwrap()).unwrap();
            assert_eq!((p.count, p.bits[0] as usize), (1, bit));
            m[bit / 8] ^= 0x80 >> (bit % 8);
        }
    }

    #[test]
    fn double_flips_are_unique_in_long_replies() {
        let table = SyndromeTable::new(112, 5, 2);
        let pairs = (107 * 106) / 2 + 107;
        assert_eq!(
            table.entries.len(),
            pairs,
            "every 1- and 2-bit pattern has its own syndrome"
        );
    }

    #[test]
    fn wrong_lengths_have_no_syndrome() {
        assert_eq!(syndrome(&[0u8; 5]), None);
    }
}
