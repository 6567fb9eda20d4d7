//! SkySpy Edge signal processing.
//!
//! The pipeline, one module per arrow:
//!
//! ```text
//! IqBlock ─convert→ magnitudes ─demod→ Frame (CRC, repair, address filter) ─decode→ Message
//! ```
//!
//! Plus [`cpr`] for positions and [`gen`], the test signal generator that also drives the
//! daemon's built-in simulator. This crate has no I/O, no clocks and no global state: every
//! table and filter is owned by the caller, and time is the sample counter.

pub mod beast;
pub mod consts;
pub mod convert;
pub mod cpr;
pub mod crc;
pub mod decode;
pub mod demod;
pub mod filter;
pub mod frame;
pub mod gen;
pub mod iq;
pub mod receiver;
pub mod rs;
pub mod uat;
pub mod vhf;

pub use demod::Demodulator;
pub use filter::AddressFilter;
pub use frame::{Frame, FrameChecker, RepairConfig};
pub use iq::{IqBlock, IqFormat, SampleRate};
pub use receiver::Receiver;

#[cfg(test)]
pub(crate) mod test_util {
    /// Bytes of a hex string (test vectors).
    pub fn hex(s: &str) -> Vec<u8> {
        ::hex::decode(s).expect("hex test vector")
    }
}
