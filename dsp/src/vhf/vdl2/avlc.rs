//! AVLC (ISO 3309 HDLC as VDL Mode 2 uses it): frames between flags, bit stuffing, the
//! 16-bit frame check sequence, the 27-bit addresses, the control field, and what the
//! information field carries (ACARS, XID).

use crc::{Crc, CRC_16_IBM_SDLC};

/// The FCS: ISO 3309's CRC-16 (the X.25 one), sent low octet first.
const FCS: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_SDLC);
/// Flag octet.
pub const FLAG: u8 = 0x7e;
/// The shortest frame: two addresses, control and FCS.
pub const MIN_FRAME: usize = 4 + 4 + 1 + 2;
/// The longest frame the decoder keeps (VDL2's N1 is 2,048 octets of information).
pub const MAX_FRAME: usize = 2_048 + MIN_FRAME;

/// Splits a bit stream (each byte one bit, in the order sent) into the frames between
/// flags, bit stuffing removed. Frames whose FCS checks are returned without their FCS;
/// `bad` counts those that do not.
pub fn deframe(bits: &[u8], bad: &mut usize) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut octets: Vec<u8> = Vec::new();
    let (mut acc, mut nbits) = (0u8, 0u8);
    let mut ones = 0u8;
    let mut in_frame = false;
    let mut shift = 0u8; // the last 8 bits, for flags
    for &b in bits {
        let b = b & 1;
        shift = (shift >> 1) | (b << 7);
        if shift == FLAG {
            // A flag ends the frame it closes (its first seven bits went into `acc`).
            if in_frame && nbits == 7 && !octets.is_empty() {
                if octets.len() >= MIN_FRAME && FCS.checksum(&octets) == 0x0f47 {
                    // (0x0f47 is the X.25 residue as this CRC reports it, complemented.)
                    octets.truncate(octets.len() - 2);
                    frames.push(std::mem::take(&mut octets));
                } else {
                    *bad += 1;
                }
            }
            octets.clear();
            acc = 0;
            nbits = 0;
            ones = 0;
            in_frame = true;
            continue;
        }
        if !in_frame {
            continue;
        }
        if b == 1 {
            ones += 1;
            if ones > 6 {
                // Seven ones: an abort; wait for the next flag.
                in_frame = false;
                octets.clear();
                continue;
            }
        } else {
            if ones == 5 {
                // A stuffed zero.
                ones = 0;
                continue;
            }
            ones = 0;
        }
        acc = (acc >> 1) | (b << 7);
        nbits += 1;
        if nbits == 8 {
            if octets.len() == MAX_FRAME {
                in_frame = false;
                octets.clear();
            } else {
                octets.push(acc);
            }
            acc = 0;
            nbits = 0;
        }
    }
    frames
}

/// What a 27-bit AVLC address names (its 3-bit type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum AddressType {
    /// 1: an aircraft, by its ICAO 24-bit address.
    Aircraft,
    /// 4 and 5: a ground station (ICAO administered, or delegated).
    GroundStation,
    /// 7 with the address all ones: every station.
    All,
    /// 0, 2, 3, 6: reserved.
    Reserved,
}

impl AddressType {
    fn of(bits: u8) -> Self {
        match bits {
            1 => AddressType::Aircraft,
            4 | 5 => AddressType::GroundStation,
            7 => AddressType::All,
            _ => AddressType::Reserved,
        }
    }

    /// As dumpvdl2 names it.
    pub fn name(self) -> &'static str {
        match self {
            AddressType::Aircraft => "Aircraft",
            AddressType::GroundStation => "Ground station",
            AddressType::All => "All stations",
            AddressType::Reserved => "Reserved",
        }
    }
}

/// One AVLC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    /// The 24-bit address.
    pub addr: u32,
    pub kind: AddressType,
    /// The address's first bit: in the destination, the sender's air/ground bit (1: on the
    /// ground); in the source, command/response (1: a response).
    pub flag: bool,
}

impl Address {
    /// The 28 bits of four address octets: seven a octet (the eighth, the first sent, is
    /// HDLC's address extension bit), the first sent bit being the flag, then the type's
    /// three bits and the address's 24, each field most significant bit first.
    fn parse(o: &[u8]) -> Self {
        let mut v: u32 = 0;
        for (i, &b) in o.iter().take(4).enumerate() {
            v |= u32::from(b >> 1) << (7 * i);
        }
        // Bit 0 of `v` was sent first; the fields are written most significant bit first.
        let r = v.reverse_bits() >> 4;
        Address {
            addr: r & 0xff_ffff,
            kind: AddressType::of(((r >> 24) & 7) as u8),
            flag: (r >> 27) & 1 == 1,
        }
    }
}

/// The control field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Information: send and receive sequence numbers, poll bit.
    I { ns: u8, nr: u8, poll: bool },
    /// Supervisory: RR, RNR, REJ, SREJ (its 2-bit function), receive sequence, poll/final.
    S { function: u8, nr: u8, pf: bool },
    /// Unnumbered: its modifier bits (poll/final masked out), and poll/final.
    U { modifier: u8, pf: bool },
}

impl Control {
    fn parse(c: u8) -> Self {
        let pf = c & 0x10 != 0;
        if c & 1 == 0 {
            Control::I {
                ns: (c >> 1) & 7,
                nr: c >> 5,
                poll: pf,
            }
        } else if c & 3 == 1 {
            Control::S {
                function: (c >> 2) & 3,
                nr: c >> 5,
                pf,
            }
        } else {
            Control::U {
                modifier: c & !0x10,
                pf,
            }
        }
    }

    /// "I", "S" or "U".
    pub fn frame_type(&self) -> &'static str {
        match self {
            Control::I { .. } => "I",
            Control::S { .. } => "S",
            Control::U { .. } => "U",
        }
    }

    /// An unnumbered frame's name (XID, UI, …), if it has one.
    pub fn u_name(&self) -> Option<&'static str> {
        match self {
            Control::U { modifier, .. } => Some(match modifier {
                0x03 => "UI",
                0x0f => "DM",
                0x2f => "SABM",
                0x43 => "DISC",
                0x63 => "UA",
                0x87 => "FRMR",
                0xaf => "XID",
                0xe3 => "TEST",
                _ => return None,
            }),
            _ => None,
        }
    }
}

/// A checked AVLC frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub dst: Address,
    pub src: Address,
    pub control: Control,
    /// The information field (after the control octet).
    pub info: Vec<u8>,
    /// The frame as received, FCS removed (for raw output).
    pub raw: Vec<u8>,
}

impl Frame {
    /// Reads a checked frame's header (at least [`MIN_FRAME`] − 2 octets: the FCS is gone).
    pub fn parse(octets: &[u8]) -> Option<Frame> {
        if octets.len() < MIN_FRAME - 2 {
            return None;
        }
        Some(Frame {
            dst: Address::parse(&octets[0..4]),
            src: Address::parse(&octets[4..8]),
            control: Control::parse(octets[8]),
            info: octets[9..].to_vec(),
            raw: octets.to_vec(),
        })
    }

    /// A response (the source's C/R bit set) rather than a command.
    pub fn is_response(&self) -> bool {
        self.src.flag
    }

    /// The sender is on the ground (the A/G bit, which sits in the destination address).
    pub fn sender_on_ground(&self) -> bool {
        self.dst.flag
    }

    /// The aircraft in the exchange: the sender if it is an aircraft, else the receiver.
    pub fn aircraft(&self) -> Option<u32> {
        [self.src, self.dst]
            .into_iter()
            .find(|a| a.kind == AddressType::Aircraft)
            .map(|a| a.addr)
    }

    /// The ground station in the exchange.
    pub fn ground_station(&self) -> Option<u32> {
        [self.src, self.dst]
            .into_iter()
            .find(|a| a.kind == AddressType::GroundStation)
            .map(|a| a.addr)
    }
}
