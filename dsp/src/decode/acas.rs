//! ACAS resolution advisories, in the layout shared by DF16's MV field, Comm-B register 3,0
//! and the extended squitter RA broadcast (TC 28 subtype 2): ARA (14 bits), RAC (4), RAT,
//! MTE, TTI (2) and the threat identity (26). `first` is the ME/MB bit where ARA starts.

use super::fields::Bits;
use super::Message;

pub fn resolution_advisory(b: &Bits, first: u32, m: &mut Message) {
    let ara = b.me(first, 14) as u16;
    let mte = b.me_bit(first + 14 + 4 + 1);
    m.issued_ra = Some(b.me_bit(first));
    // ARA bit 41 (first) says an RA is active; with one threat (MTE = 0) bits 42–47 describe
    // it; with several, bit 42 and on are per-sense flags (Annex 10 Vol IV §4.3.8.4.2.2.1.1).
    if ara & 0x2000 != 0 {
        m.corrective = Some(b.me_bit(first + 1));
        m.downward_sense = Some(b.me_bit(first + 2));
        m.increased_rate = Some(b.me_bit(first + 3));
        m.sense_reversal = Some(b.me_bit(first + 4));
        m.altitude_crossing = Some(b.me_bit(first + 5));
        m.positive = Some(b.me_bit(first + 6));
    }
    m.ara = Some(ara);
    let rac = b.me(first + 14, 4) as u8;
    m.no_below = Some(rac & 0b1000 != 0);
    m.no_above = Some(rac & 0b0100 != 0);
    m.no_left = Some(rac & 0b0010 != 0);
    m.no_right = Some(rac & 0b0001 != 0);
    m.ra_terminated = Some(b.me_bit(first + 18));
    m.multiple_threat = Some(mte);
    let tti = b.me(first + 20, 2) as u8;
    m.threat_type_indicator = Some(tti);
    if tti == 1 {
        m.threat_icao = Some(super::Icao(b.me(first + 22, 24) as u32));
    }
}
