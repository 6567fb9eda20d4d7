//! Every Mode S protocol constant, defined once and derived from each other.
//!
//! References: ICAO Annex 10 Vol IV (Mode S downlink formats, §3.1.2), ICAO Doc 9871
//! (extended squitter and Comm-B register layouts), RTCA DO-260B §A.1.7 (CPR).

/// Data rate of the Mode S downlink: one bit per microsecond (Annex 10 Vol IV §3.1.2.2).
pub const BIT_US: f64 = 1.0;
/// Each bit is two 0.5 µs chips; pulse position modulation puts the pulse in the first chip for a 1.
pub const CHIPS_PER_BIT: usize = 2;
/// The preamble lasts 8 µs: pulses at 0, 1.0, 3.5 and 4.5 µs, each 0.5 µs long (§3.1.2.2.1).
pub const PREAMBLE_US: f64 = 8.0;
/// Start of each preamble pulse, in µs from the start of the reply.
pub const PREAMBLE_PULSES_US: [f64; 4] = [0.0, 1.0, 3.5, 4.5];
/// Length of one chip (and one preamble pulse) in µs.
pub const CHIP_US: f64 = BIT_US / CHIPS_PER_BIT as f64;

/// Short replies (DF0, 4, 5, 11) carry 56 bits, long ones (DF16 and up) 112.
pub const SHORT_BITS: usize = 56;
pub const LONG_BITS: usize = 112;
pub const SHORT_BYTES: usize = SHORT_BITS / 8;
pub const LONG_BYTES: usize = LONG_BITS / 8;
/// Parity field: the last 24 bits of every reply.
pub const PARITY_BITS: usize = 24;
/// Chips in the longest reply, preamble included (the demodulator's window).
pub const LONG_REPLY_US: f64 = PREAMBLE_US + LONG_BITS as f64 * BIT_US;

/// CRC-24 generator polynomial G(x) with the x^24 term implied (Annex 10 Vol IV §3.1.2.3.3.1.2).
pub const CRC_POLY: u32 = 0x00FF_F409;
pub const CRC_MASK: u32 = 0x00FF_FFFF;

/// Beast output timestamps count a 12 MHz clock.
pub const BEAST_CLOCK_HZ: u64 = 12_000_000;

/// Number of latitude zones between equator and pole (DO-260B §A.1.7.1).
pub const CPR_NZ: f64 = 15.0;
/// CPR encodes 17 bits of latitude and longitude.
pub const CPR_BITS: u32 = 17;
pub const CPR_MAX: f64 = (1u32 << CPR_BITS) as f64;
/// Latitude zone sizes for airborne even and odd frames: 360 / (4·NZ − i).
pub const AIR_DLAT_EVEN: f64 = 360.0 / (4.0 * CPR_NZ);
pub const AIR_DLAT_ODD: f64 = 360.0 / (4.0 * CPR_NZ - 1.0);
/// Surface frames pack the same bits into a quarter of the globe (90° instead of 360°).
pub const SURFACE_DLAT_EVEN: f64 = 90.0 / (4.0 * CPR_NZ);
pub const SURFACE_DLAT_ODD: f64 = 90.0 / (4.0 * CPR_NZ - 1.0);

/// Downlink formats whose parity field is overlaid with the aircraft address (address/parity).
pub const AP_FORMATS: [u8; 6] = [0, 4, 5, 16, 20, 21];

/// Number of bits in a reply with this downlink format (§3.1.2.3.2.1.1: DF ≥ 16 are long).
pub const fn reply_bits(df: u8) -> usize {
    if df >= 16 {
        LONG_BITS
    } else {
        SHORT_BITS
    }
}

/// The 6-bit character set of aircraft identification (Annex 10 Vol IV Table 3-9), `#` unused.
pub const AIS_CHARSET: &[u8; 64] =
    b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";
