//! The VHF band: one wideband stream (118–137 MHz), many narrow channels.
//!
//! ```text
//!  IQ ─convert→ complex samples ─Channelizer (one FFT for all)─┬→ ACARS channel → acars::Receiver → blocks
//!                                                              ├→ …
//! ```
//!
//! - [`plan`]: which tuning serves a set of channels (band edges, DC, images).
//! - [`channelizer`]: the fast-convolution filter bank, [`fir`] its filter design.
//! - [`acars`]: ARINC 618 ACARS (AM-MSK, 2,400 bit/s) from a channel to messages.

pub mod acars;
pub mod channelizer;
pub mod fir;
pub mod plan;

pub use channelizer::{ChannelSpec, Channelizer, PlanError};
