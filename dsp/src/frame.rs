//! Frame validation: CRC check, error repair and address recovery.
//!
//! A demodulated bit string becomes a [`Frame`] only if its parity checks out:
//!
//! | DF            | parity field        | accepted when                                        |
//! |---------------|---------------------|------------------------------------------------------|
//! | 17, 18, 19    | CRC in clear        | syndrome 0; or (17/18) 1 bit repaired by table from a known |
//! |               |                     | address, or from a new one if DF17 with capability 0 or 4–7; |
//! |               |                     | or soft/2-bit repair and the address is known            |
//! | 11            | CRC ⊕ interrogator  | syndrome 0; or interrogator overlay (syndrome below 0x50) |
//! |               |                     | or 1-bit repair, from a known address                    |
//! | 0,4,5,16,20,21,24 | CRC ⊕ address   | syndrome is a known address                              |
//!
//! The demodulator adds signal-quality conditions where the parity alone vouches for little
//! (see `docs/receive-chain.md`, "Guarding against invented messages").
//!
//! "Known" means present in the caller's [`AddressFilter`]; only clean DF11/17/18 replies
//! add to it (the caller does that, with [`Frame::announces_address`]).
//!
//! Soft repair: the demodulator hands over a reliability per bit (how far apart the two chip
//! energies were). The few least reliable bits are the likely errors; the syndromes of every
//! subset of up to three of them are XORed and compared with the frame's syndrome. This finds
//! errors a blind 1–2 bit syndrome search cannot, while testing far fewer hypotheses than a
//! 3-bit search over all 112 positions would (which would accept noise).

use crate::consts::{reply_bits, LONG_BITS, SHORT_BITS};
use crate::crc::{bit_syndrome, syndrome, SyndromeTable};
use crate::filter::AddressFilter;

/// A reply whose parity checked out, with where it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// The reply bits, MSB first; only the first `len_bits / 8` bytes are meaningful.
    pub bytes: [u8; 14],
    /// 56 or 112.
    pub len_bits: u8,
    /// The aircraft address (from the AA field, or recovered from address/parity).
    pub address: u32,
    /// Bits flipped to make the parity check (0 for a clean reply).
    pub corrected_bits: u8,
    /// The address came out of an address/parity field, checked against the filter.
    pub address_recovered: bool,
    /// Start of the preamble in samples since the stream began, fractional.
    pub sample: f64,
    /// Beast-style 12 MHz counter at the start of the preamble.
    pub timestamp_12mhz: u64,
    /// Mean pulse amplitude in dB relative to full scale.
    pub signal_dbfs: f32,
    /// Mean level of the empty chips in dBFS (noise plus interference).
    pub noise_dbfs: f32,
}

impl Frame {
    pub fn data(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len_bits) / 8]
    }

    pub fn df(&self) -> u8 {
        df_of(self.bytes[0])
    }

    /// Whether this frame may add its address to the filter: a clean reply whose CRC covers
    /// the address in the clear.
    pub fn announces_address(&self) -> bool {
        self.corrected_bits == 0 && matches!(self.df(), 11 | 17 | 18) && !self.address_recovered
    }

    /// Lowercase hex of the reply, as dump1090's raw output prints it.
    pub fn hex(&self) -> String {
        ::hex::encode(self.data())
    }
}

/// Downlink format of a reply from its first byte (DF24 uses only two bits: `11xxx`).
pub fn df_of(first: u8) -> u8 {
    let df = first >> 3;
    if df >= 24 {
        24
    } else {
        df
    }
}

/// Whether a downlink format is one that transponders send.
pub fn is_known_df(df: u8) -> bool {
    matches!(df, 0 | 4 | 5 | 11 | 16 | 17 | 18 | 19 | 20 | 21 | 24)
}

/// Why a candidate was not a frame. Cheap to return on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    UnknownFormat,
    CrcMismatch,
    UnknownAddress,
}

/// What validation found: the address, how many bits were flipped, and whether the address
/// was recovered from address/parity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    pub address: u32,
    pub corrected_bits: u8,
    pub address_recovered: bool,
    /// DF11 whose parity carries a non-zero interrogator code: as good as clean for a known
    /// address, but indistinguishable from an error in the last seven bits, so a clean
    /// reading at another phase is preferred.
    pub iid_overlay: bool,
    /// Repaired, and from an address not in the filter: the repair introduces the aircraft.
    pub new_address: bool,
}

impl Checked {
    /// Ranks readings of one candidate: lower is more trustworthy.
    pub fn rank(&self) -> u8 {
        if self.corrected_bits > 0 {
            1 + self.corrected_bits
        } else {
            u8::from(self.iid_overlay || self.address_recovered)
        }
    }
}

/// Repair options; the defaults are what the daemon runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepairConfig {
    /// 1-bit repair of DF11/17/18 by syndrome table (peers' `--fix`).
    pub fix_1bit: bool,
    /// 2-bit repair of DF17/18 by syndrome table, known addresses only (off by default).
    pub fix_2bit: bool,
    /// Soft-decision repair of up to 3 of the least reliable bits of DF17/18, known addresses only.
    pub soft: bool,
}

impl Default for RepairConfig {
    fn default() -> Self {
        Self {
            fix_1bit: true,
            fix_2bit: false,
            soft: true,
        }
    }
}

/// Number of least-reliable bits whose subsets soft repair tries.
const SOFT_CANDIDATES: usize = 8;
/// Largest subset soft repair flips.
const SOFT_MAX_FLIPS: usize = 3;

/// Validates demodulated replies. Owns its syndrome tables; holds no per-stream state.
#[derive(Clone, Debug)]
pub struct FrameChecker {
    repair: RepairConfig,
    long_1bit: SyndromeTable,
    long_2bit: Option<SyndromeTable>,
    short_1bit: SyndromeTable,
}

impl FrameChecker {
    pub fn new(repair: RepairConfig) -> Self {
        Self {
            repair,
            long_1bit: SyndromeTable::new(LONG_BITS, 5, 1),
            long_2bit: repair.fix_2bit.then(|| SyndromeTable::new(LONG_BITS, 5, 2)),
            short_1bit: SyndromeTable::new(SHORT_BITS, 5, 1),
        }
    }

    pub fn repair(&self) -> RepairConfig {
        self.repair
    }

    /// Checks (and where allowed repairs, in place) the reply in `bytes`. `soft` holds the
    /// reliability of each bit (larger is surer); it may be empty, which disables soft repair.
    pub fn check(
        &self,
        bytes: &mut [u8; 14],
        soft: &[u32],
        filter: &AddressFilter,
        now: u64,
    ) -> Result<Checked, Reject> {
        let df = df_of(bytes[0]);
        if !is_known_df(df) {
            return Err(Reject::UnknownFormat);
        }
        let bits = reply_bits(df);
        let s = syndrome(&bytes[..bits / 8]).ok_or(Reject::CrcMismatch)?;
        let clean = |address| Checked {
            address,
            corrected_bits: 0,
            address_recovered: false,
            iid_overlay: false,
            new_address: false,
        };
        match df {
            17..=19 => {
                if s == 0 {
                    return Ok(clean(aa_field(bytes)));
                }
                if df == 19 {
                    return Err(Reject::CrcMismatch);
                }
                self.repair_long(bytes, s, soft, filter, now)
            }
            11 => {
                let aa = aa_field(bytes);
                if s == 0 {
                    return Ok(clean(aa));
                }
                // Replies to interrogators overlay 17 zeros, CL (3 bits, 0–4) and IC (4 bits)
                // on the parity (Annex 10 Vol IV §3.1.2.3.3.2), so the syndrome is below 0x50;
                // as good as clean when the address is known.
                if s < 0x50 && filter.contains(aa, now) {
                    return Ok(Checked {
                        iid_overlay: true,
                        ..clean(aa)
                    });
                }
                if self.repair.fix_1bit {
                    if let Some(p) = self.short_1bit.lookup(s) {
                        flip(bytes, usize::from(p.bits[0]));
                        let aa = aa_field(bytes);
                        if filter.contains(aa, now) {
                            return Ok(Checked {
                                address: aa,
                                corrected_bits: 1,
                                address_recovered: false,
                                iid_overlay: false,
                                new_address: false,
                            });
                        }
                        flip(bytes, usize::from(p.bits[0]));
                    }
                }
                Err(Reject::CrcMismatch)
            }
            _ => {
                // Address/parity: the syndrome is the address, believed only if known.
                if filter.contains(s, now) {
                    Ok(Checked {
                        address: s,
                        corrected_bits: 0,
                        address_recovered: true,
                        iid_overlay: false,
                        new_address: false,
                    })
                } else {
                    Err(Reject::UnknownAddress)
                }
            }
        }
    }

    fn repair_long(
        &self,
        bytes: &mut [u8; 14],
        s: u32,
        soft: &[u32],
        filter: &AddressFilter,
        now: u64,
    ) -> Result<Checked, Reject> {
        let fixed = |bytes: &[u8; 14], n: u8| Checked {
            address: aa_field(bytes),
            corrected_bits: n,
            address_recovered: false,
            iid_overlay: false,
            new_address: false,
        };
        if self.repair.fix_1bit {
            if let Some(p) = self.long_1bit.lookup(s) {
                flip(bytes, usize::from(p.bits[0]));
                // As the peers do, a 1-bit repair may introduce a new aircraft, but only a
                // DF17 with a defined capability (1–3 are reserved): one noise burst in
                // 100,000 passes a 1-bit syndrome lookup, and these checks halve that again.
                let known = filter.contains(aa_field(bytes), now);
                let ca = bytes[0] & 7;
                if known || (df_of(bytes[0]) == 17 && !(1..=3).contains(&ca)) {
                    return Ok(Checked {
                        new_address: !known,
                        ..fixed(bytes, 1)
                    });
                }
                flip(bytes, usize::from(p.bits[0]));
            }
        }
        if self.repair.soft && soft.len() >= LONG_BITS {
            if let Some((flips, n)) = soft_repair(s, soft) {
                for &b in &flips[..n] {
                    flip(bytes, b);
                }
                if filter.contains(aa_field(bytes), now) {
                    return Ok(fixed(bytes, n as u8));
                }
                for &b in &flips[..n] {
                    flip(bytes, b);
                }
            }
        }
        if let Some(table) = &self.long_2bit {
            if let Some(p) = table.lookup(s) {
                let flips = &p.bits[..usize::from(p.count)];
                flips.iter().for_each(|&b| flip(bytes, usize::from(b)));
                if filter.contains(aa_field(bytes), now) {
                    return Ok(fixed(bytes, p.count));
                }
                flips.iter().for_each(|&b| flip(bytes, usize::from(b)));
            }
        }
        Err(Reject::CrcMismatch)
    }
}

/// Finds the smallest subset of the least reliable bits (DF field excluded) whose syndromes
/// XOR to `s`. Returns the bit positions and how many.
fn soft_repair(s: u32, soft: &[u32]) -> Option<([usize; SOFT_MAX_FLIPS], usize)> {
    // Partial selection of the SOFT_CANDIDATES smallest reliabilities, allocation-free.
    let mut weak = [(u32::MAX, 0usize); SOFT_CANDIDATES];
    for (bit, &r) in soft.iter().enumerate().take(LONG_BITS).skip(5) {
        if r < weak[SOFT_CANDIDATES - 1].0 {
            let mut i = SOFT_CANDIDATES - 1;
            while i > 0 && weak[i - 1].0 > r {
                weak[i] = weak[i - 1];
                i -= 1;
            }
            weak[i] = (r, bit);
        }
    }
    let syn = weak.map(|(_, b)| bit_syndrome(LONG_BITS, b));
    let k = SOFT_CANDIDATES;
    for a in 0..k {
        if syn[a] == s {
            return Some(([weak[a].1, 0, 0], 1));
        }
    }
    for a in 0..k {
        for b in a + 1..k {
            if syn[a] ^ syn[b] == s {
                return Some(([weak[a].1, weak[b].1, 0], 2));
            }
        }
    }
    for a in 0..k {
        for b in a + 1..k {
            for c in b + 1..k {
                if syn[a] ^ syn[b] ^ syn[c] == s {
                    return Some(([weak[a].1, weak[b].1, weak[c].1], 3));
                }
            }
        }
    }
    None
}

#[inline]
fn flip(bytes: &mut [u8; 14], bit: usize) {
    bytes[bit / 8] ^= 0x80 >> (bit % 8);
}

/// The 24-bit address field of DF11/17/18 (bits 9–32).
pub fn aa_field(bytes: &[u8]) -> u32 {
    (u32::from(bytes[1]) << 16) | (u32::from(bytes[2]) << 8) | u32::from(bytes[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(h: &str) -> [u8; 14] {
        let mut b = [0u8; 14];
        ::hex::decode_to_slice(h, &mut b[..h.len() / 2]).expect("hex test vector");
        b
    }

    #[test]
    fn clean_df17_passes_and_announces() {
        let c = FrameChecker::new(RepairConfig::default());
        let f = AddressFilter::new(16, 100);
        let mut b = frame("8D4840D6202CC371C32CE0576098");
        let r = c.check(&mut b, &[], &f, 0).unwrap();
        assert_eq!((r.address, r.corrected_bits), (0x4840D6, 0));
    }

    #[test]
    fn address_parity_needs_a_known_address() {
        let c = FrameChecker::new(RepairConfig::default());
        let mut f = AddressFilter::new(16, 100);
        let mut b = frame("20001838CA3E51");
        assert_eq!(c.check(&mut b, &[], &f, 0), Err(Reject::UnknownAddress));
        f.insert(0xDBBD0A, 0);
        let r = c.check(&mut b, &[], &f, 0).unwrap();
        assert_eq!((r.address, r.address_recovered), (0xDBBD0A, true));
    }

    #[test]
    fn soft_repair_fixes_three_weak_bits_of_a_known_aircraft() {
        let c = FrameChecker::new(RepairConfig::default());
        let mut f = AddressFilter::new(16, 100);
        let good = frame("8D4840D6202CC371C32CE0576098");
        let mut b = good;
        let mut soft = [1000u32; 112];
        for bit in [40, 77, 101] {
            flip(&mut b, bit);
            soft[bit] = 3;
        }
        assert_eq!(
            c.check(&mut b.clone(), &soft, &f, 0),
            Err(Reject::CrcMismatch),
            "unknown address"
        );
        f.insert(0x4840D6, 0);
        let r = c.check(&mut b, &soft, &f, 0).unwrap();
        assert_eq!(r.corrected_bits, 3);
        assert_eq!(b, good);
    }

    #[test]
    fn one_bit_repair_restores_the_reply() {
        let c = FrameChecker::new(RepairConfig::default());
        let f = AddressFilter::new(16, 100);
        let good = frame("8D4840D6202CC371C32CE0576098");
        let mut b = good;
        flip(&mut b, 60);
        let r = c.check(&mut b, &[], &f, 0).unwrap();
        assert_eq!((r.corrected_bits, b), (1, good));
    }

    #[test]
    fn two_bit_repair_only_with_the_flag_and_a_known_address() {
        let good = frame("8D4840D6202CC371C32CE0576098");
        let mut bad = good;
        flip(&mut bad, 20);
        flip(&mut bad, 90);
        let mut f = AddressFilter::new(16, 100);
        let off = FrameChecker::new(RepairConfig {
            soft: false,
            ..RepairConfig::default()
        });
        assert_eq!(
            off.check(&mut bad.clone(), &[], &f, 0),
            Err(Reject::CrcMismatch)
        );
        let on = FrameChecker::new(RepairConfig {
            soft: false,
            fix_2bit: true,
            ..RepairConfig::default()
        });
        assert_eq!(
            on.check(&mut bad.clone(), &[], &f, 0),
            Err(Reject::CrcMismatch),
            "unknown address"
        );
        f.insert(0x4840D6, 0);
        let mut b = bad;
        let r = on.check(&mut b, &[], &f, 0).unwrap();
        assert_eq!((r.corrected_bits, b), (2, good));
    }

    #[test]
    fn no_fix_accepts_only_clean_replies() {
        let c = FrameChecker::new(RepairConfig {
            fix_1bit: false,
            fix_2bit: false,
            soft: false,
        });
        let f = AddressFilter::new(16, 100);
        let mut b = frame("8D4840D6202CC371C32CE0576098");
        flip(&mut b, 60);
        assert_eq!(c.check(&mut b, &[1; 112], &f, 0), Err(Reject::CrcMismatch));
    }

    #[test]
    fn one_bit_repair_never_introduces_reserved_capability_or_df18() {
        let c = FrameChecker::new(RepairConfig::default());
        let f = AddressFilter::new(16, 100);
        // DF18 from an unknown address: a 1-bit repair would introduce an aircraft.
        let mut b = frame("924840D658C382D690C8AC9CEB66");
        flip(&mut b, 70);
        assert_eq!(c.check(&mut b, &[], &f, 0), Err(Reject::CrcMismatch));
    }

    #[test]
    fn invalid_formats_are_rejected() {
        let c = FrameChecker::new(RepairConfig::default());
        let f = AddressFilter::new(16, 100);
        let mut b = frame("08000000000000");
        assert_eq!(c.check(&mut b, &[], &f, 0), Err(Reject::UnknownFormat));
    }
}
