//! UAT (978 MHz) protocol constants, all in one place (RTCA DO-282B). Everything derived
//! from them (lengths in bits, samples per frame) is computed here too, so a figure is
//! stated once.

/// Bit rate: 1.041667 Mbit/s.
pub const BIT_RATE: f64 = 1_041_666.666_666_666_7;
/// The sample rate the demodulator is built for: two samples per bit.
pub const SAMPLE_RATE: f64 = 2.0 * BIT_RATE;
/// CPFSK deviation: ±312.5 kHz (modulation index 0.6); bit 1 is the higher frequency.
pub const DEVIATION_HZ: f64 = 312_500.0;

/// Sync words, 36 bits, sent most significant bit first.
pub const SYNC_BITS: usize = 36;
pub const DOWNLINK_SYNC: u64 = 0xE_ACDD_A4E2;
pub const UPLINK_SYNC: u64 = 0x1_5322_5B1D;

/// Reed–Solomon over GF(256): field polynomial x^8 + x^7 + x^2 + x + 1, generator roots
/// α^120 … α^(120 + n − k − 1), α = x.
pub const GF_POLY: u16 = 0x187;
pub const RS_FIRST_ROOT: u32 = 120;

/// Basic ADS-B message (payload type 0): RS(30,18).
pub const BASIC_PAYLOAD: usize = 18;
pub const BASIC_CODEWORD: usize = 30;
/// Long ADS-B message (payload types 1–31 as used): RS(48,34).
pub const LONG_PAYLOAD: usize = 34;
pub const LONG_CODEWORD: usize = 48;
/// Ground uplink: six RS(92,72) blocks, byte-interleaved into 552 bytes.
pub const UPLINK_BLOCKS: usize = 6;
pub const UPLINK_BLOCK_PAYLOAD: usize = 72;
pub const UPLINK_BLOCK_CODEWORD: usize = 92;
pub const UPLINK_PAYLOAD: usize = UPLINK_BLOCKS * UPLINK_BLOCK_PAYLOAD; // 432
pub const UPLINK_CODEWORD: usize = UPLINK_BLOCKS * UPLINK_BLOCK_CODEWORD; // 552

/// Bits after the sync word: the longest downlink and the uplink.
pub const DOWNLINK_BITS: usize = LONG_CODEWORD * 8;
pub const UPLINK_BITS: usize = UPLINK_CODEWORD * 8;

/// The UAT frame: one second, a ground segment for uplinks then an ADS-B segment.
pub const FRAME_S: f64 = 1.0;
/// Ground segment: 32 uplink slots of 5.5 ms after a 6 ms guard.
pub const GROUND_GUARD_S: f64 = 0.006;
pub const UPLINK_SLOTS: u8 = 32;
pub const UPLINK_SLOT_S: f64 = 0.0055;
/// ADS-B segment: message start opportunities (MSO) of 250 µs from 188 ms into the frame;
/// a transmitter picks one pseudo-randomly each second among the 3200 of the segment.
pub const ADSB_SEGMENT_S: f64 = 0.188;
pub const MSO_S: f64 = 250e-6;
pub const ADSB_MSOS: u32 = 3200;
