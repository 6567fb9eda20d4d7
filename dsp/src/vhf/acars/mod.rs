//! ACARS on VHF (ARINC 618): one channel's complex baseband → checked blocks → messages.
//!
//! - [`demod`]: burst gate, coherent AM, coherent MSK, sync, soft characters.
//! - [`block`]: the character frame, parity, the block check sequence, repair.
//! - [`message`]: fields, labels, OOOI and position reports.
//! - [`reassembly`]: multi-block messages (ETB … ETX), with a timeout.

pub mod block;
pub mod demod;
pub mod message;
pub mod reassembly;

pub use block::{BlockFields, RawBlock};
pub use demod::{AcarsReceiver, Decoded, BIT_RATE};
pub use message::AcarsMessage;

/// The sample rate an ACARS channel wants from the channelizer: 25 kS/s (10.4 samples a
/// bit; pass band ±6 kHz for the ±4 kHz of AM sidebands and the carrier's offset).
pub const CHANNEL_RATE: f64 = 25_000.0;
/// The channel filter's one-sided pass band and stop band (Hz).
pub const PASS_HZ: f64 = 6_000.0;
pub const STOP_HZ: f64 = 12_500.0;
