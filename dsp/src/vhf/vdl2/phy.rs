//! The VDL Mode 2 physical layer as ICAO Annex 10 Vol III Part I §6.3 defines it: D8PSK at
//! 10,500 symbols/s, a burst of ramp-up, a 16-symbol training sequence, a 25-bit header
//! (3 reserved bits, the 17-bit transmission length, 5 bits of FEC), then the data:
//! scrambled, Reed–Solomon coded and interleaved.

/// Symbols per second.
pub const SYMBOL_RATE: f64 = 10_500.0;
/// Bits per symbol.
pub const BITS: usize = 3;
/// Symbols of power ramp-up before the training sequence.
pub const RAMP_UP: usize = 5;

/// The training sequence, as 3-bit groups (first bit sent in bit 2: "000 010 011 …").
pub const SYNC: [u8; 16] = [
    0b000, 0b010, 0b011, 0b110, 0b000, 0b001, 0b101, 0b110, 0b001, 0b100, 0b011, 0b111, 0b101,
    0b111, 0b100, 0b010,
];

/// The phase change, in eighths of a turn, for each 3-bit group (Gray coded: neighbouring
/// phases differ in one bit): 000 → 0, 001 → 1, 011 → 2, 010 → 3, 110 → 4, 111 → 5, 101 → 6,
/// 100 → 7.
pub const PHASE_OF: [u8; 8] = {
    let mut t = [0u8; 8];
    let mut k = 0;
    while k < 8 {
        t[(k ^ (k >> 1)) as usize] = k;
        k += 1;
    }
    t
};

/// The 3-bit group for each phase change (eighths of a turn): the inverse of [`PHASE_OF`].
pub const GROUP_OF: [u8; 8] = [0, 1, 3, 2, 6, 7, 5, 4];

/// The phase changes of the training sequence: change `k` is symbol `k`'s phase less symbol
/// `k − 1`'s (change 0 is from the last ramp-up symbol).
pub const SYNC_PHASES: [u8; 16] = {
    let mut t = [0u8; 16];
    let mut k = 0;
    while k < 16 {
        t[k] = PHASE_OF[SYNC[k] as usize];
        k += 1;
    }
    t
};

/// The scrambler's register at the start of every burst's header.
pub const SCRAMBLER_SEED: u16 = 0x6959;

/// The additive scrambler (x¹⁵ + x + 1, restarted at every burst): every bit after the
/// training sequence, header included, is sent XOR this sequence, so descrambling is the
/// same operation.
#[derive(Clone, Copy, Debug)]
pub struct Scrambler(u16);

impl Default for Scrambler {
    fn default() -> Self {
        Scrambler(SCRAMBLER_SEED)
    }
}

impl Scrambler {
    /// The next bit of the sequence.
    pub fn next_bit(&mut self) -> u8 {
        let r = self.0;
        let out = ((r ^ (r >> 14)) & 1) as u8;
        self.0 = (r >> 1) | (u16::from(out) << 14);
        out
    }
}
