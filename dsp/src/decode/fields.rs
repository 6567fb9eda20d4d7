//! Field codes shared by several formats: altitude (AC), identity (squawk), callsign, and a
//! bit reader that takes positions as the spec tables number them.

use crate::consts::AIS_CHARSET;

/// Bits of a reply addressed as the ICAO tables do: 1-based, MSB first.
#[derive(Clone, Copy)]
pub struct Bits(u128);

impl Bits {
    pub fn new(data: &[u8]) -> Self {
        let mut b = [0u8; 16];
        let n = data.len().min(14);
        b[..n].copy_from_slice(&data[..n]);
        Bits(u128::from_be_bytes(b))
    }

    /// Bits `first..=first+len-1` (1-based, as in Annex 10 Vol IV), `len` ≤ 64.
    #[inline]
    pub fn get(&self, first: u32, len: u32) -> u64 {
        let shift = 128 - (first - 1) - len;
        ((self.0 >> shift) & ((1u128 << len) - 1)) as u64
    }

    #[inline]
    pub fn bit(&self, pos: u32) -> bool {
        self.get(pos, 1) == 1
    }

    /// Bit of the 56-bit ME/MB field (message bits 33–88), 1-based as in Doc 9871.
    #[inline]
    pub fn me(&self, first: u32, len: u32) -> u64 {
        self.get(32 + first, len)
    }

    #[inline]
    pub fn me_bit(&self, pos: u32) -> bool {
        self.me(pos, 1) == 1
    }
}

fn gray_to_binary(mut n: u32) -> u32 {
    n ^= n >> 8;
    n ^= n >> 4;
    n ^= n >> 2;
    n ^= n >> 1;
    n
}

/// Decodes a 13-bit altitude code C1 A1 C2 A2 C4 A4 M B1 Q B2 D2 B4 D4 to feet. Q = 1 is
/// 25 ft steps; Q = 0 is the Gillham (Gray) code of old encoding altimeters in 100 ft steps;
/// M = 1 (metric) and all-zero are unknown.
pub fn altitude_code(ac: u32) -> Option<i32> {
    if ac == 0 || ac & 0x40 != 0 {
        return None;
    }
    if ac & 0x10 != 0 {
        let n = ((ac & 0x1F80) >> 2) | ((ac & 0x20) >> 1) | (ac & 0x0F);
        return Some(n as i32 * 25 - 1000);
    }
    gillham(ac)
}

/// The 12-bit altitude of extended squitter positions: the AC code without its M bit.
pub fn altitude_12bit(ac12: u32) -> Option<i32> {
    altitude_code(((ac12 & 0xFC0) << 1) | (ac12 & 0x3F))
}

fn gillham(ac: u32) -> Option<i32> {
    let b = |pos: u32| (ac >> (12 - pos)) & 1;
    let (c1, a1, c2, a2, c4, a4) = (b(0), b(1), b(2), b(3), b(4), b(5));
    let (b1, b2, d2, b4, d4) = (b(7), b(9), b(10), b(11), b(12));
    let gc500 =
        (d2 << 7) | (d4 << 6) | (a1 << 5) | (a2 << 4) | (a4 << 3) | (b1 << 2) | (b2 << 1) | b4;
    let gc100 = (c1 << 2) | (c2 << 1) | c4;
    let n500 = gray_to_binary(gc500) as i32;
    let mut n100 = gray_to_binary(gc100) as i32;
    if matches!(n100, 0 | 5 | 6) {
        return None;
    }
    if n100 == 7 {
        n100 = 5;
    }
    if n500 % 2 == 1 {
        n100 = 6 - n100;
    }
    Some(n500 * 500 + n100 * 100 - 1300)
}

/// Encodes feet as a Q-bit (25 ft) altitude code; for the test signal generator.
pub fn encode_altitude_code(feet: i32) -> u32 {
    let n = ((feet + 1000 + 12) / 25).clamp(0, 2047) as u32;
    ((n & 0x7E0) << 2) | ((n & 0x10) << 1) | 0x10 | (n & 0x0F)
}

/// Encodes feet as the 12-bit extended squitter altitude (Q = 1).
pub fn encode_altitude_12bit(feet: i32) -> u32 {
    let ac = encode_altitude_code(feet);
    ((ac >> 1) & 0xFC0) | (ac & 0x3F)
}

/// Decodes a 13-bit identity code C1 A1 C2 A2 C4 A4 X B1 D1 B2 D2 B4 D4 to the four-digit
/// Mode A code, returned as the number whose decimal digits are the octal digits (7700).
pub fn squawk(id: u32) -> u16 {
    let b = |pos: u32| ((id >> (12 - pos)) & 1) as u16;
    let a = b(5) << 2 | b(3) << 1 | b(1);
    let bb = b(11) << 2 | b(9) << 1 | b(7);
    let c = b(4) << 2 | b(2) << 1 | b(0);
    let d = b(12) << 2 | b(10) << 1 | b(8);
    a * 1000 + bb * 100 + c * 10 + d
}

/// Encodes a squawk (decimal digits 0–7, e.g. 7700) as the 13-bit identity code.
pub fn encode_squawk(code: u16) -> u32 {
    let digit = |div: u16| u32::from(((code / div) % 10) & 7);
    let (a, b, c, d) = (digit(1000), digit(100), digit(10), digit(1));
    let bit = |v: u32, k: u32| (v >> k) & 1;
    let mut id = 0u32;
    for (pos, v) in [
        (0, bit(c, 0)),
        (1, bit(a, 0)),
        (2, bit(c, 1)),
        (3, bit(a, 1)),
        (4, bit(c, 2)),
        (5, bit(a, 2)),
        (7, bit(b, 0)),
        (8, bit(d, 0)),
        (9, bit(b, 1)),
        (10, bit(d, 1)),
        (11, bit(b, 2)),
        (12, bit(d, 2)),
    ] {
        id |= v << (12 - pos);
    }
    id
}

/// Eight 6-bit characters of aircraft identification, trailing spaces trimmed. `None` if a
/// character is outside the ICAO set (a sign the register is not identification).
pub fn callsign(chars48: u64) -> Option<heapless::String<8>> {
    let mut s = heapless::String::new();
    for k in (0..8).rev() {
        let c = AIS_CHARSET[((chars48 >> (6 * k)) & 0x3F) as usize];
        if c == b'#' {
            return None;
        }
        s.push(char::from(c)).ok()?;
    }
    while s.ends_with(' ') {
        s.pop();
    }
    Some(s)
}

/// Encodes up to eight characters of A–Z, 0–9 and space.
pub fn encode_callsign(s: &str) -> u64 {
    let mut v = 0u64;
    for k in 0..8 {
        let c = s
            .as_bytes()
            .get(k)
            .copied()
            .unwrap_or(b' ')
            .to_ascii_uppercase();
        let code = AIS_CHARSET
            .iter()
            .position(|&x| x == c && x != b'#')
            .unwrap_or(32) as u64;
        v = (v << 6) | code;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_bit_altitude_round_trips() {
        for ft in (-1000..50_000).step_by(25) {
            assert_eq!(altitude_code(encode_altitude_code(ft)), Some(ft));
            assert_eq!(altitude_12bit(encode_altitude_12bit(ft)), Some(ft));
        }
    }

    #[test]
    fn gillham_altitude_from_known_code() {
        // DF4 0x20001838CA3E51 carries AC 0x1838 & 0x1FFF = 6200 in Q=1: 38000 ft (pyModeS).
        assert_eq!(altitude_code(0x1838 & 0x1FFF), Some(38000));
        // Gillham: C1 A1 C2 A2 C4 A4 = 0 0 1 0 0 0, B/D = 0 → n500 0, n100 gray(010)=3 → -1000 ft.
        assert_eq!(altitude_code(0b0_0100_0000_0000), Some(-1000));
    }

    #[test]
    fn squawk_round_trips() {
        for code in [0u16, 1200, 7500, 7600, 7700, 2000, 1234, 7777, 4567] {
            assert_eq!(squawk(encode_squawk(code)), code);
        }
    }

    #[test]
    fn callsign_round_trips() {
        assert_eq!(
            callsign(encode_callsign("KLM1023")).as_deref(),
            Some("KLM1023")
        );
    }
}
