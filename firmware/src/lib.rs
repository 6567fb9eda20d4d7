//! SkySpy Edge: everything that touches the world (devices, files, time, the network) around
//! the pure signal processing of the `dsp` crate. The modules follow the data:
//!
//! ```text
//!  source (DSP threads) → core (the picture and its clock) → api (Socket.IO, HTTP)
//!                                                          → feeds (TCP)
//!  daemon wires them; cli sits on top; config is data every part reads its section of.
//! ```

pub mod api;
pub mod cli;
pub mod config;
pub mod core;
pub mod daemon;
pub mod feeds;
#[doc(hidden)]
pub mod fuzz;
pub mod logging;
mod net;
pub mod priority;
pub mod source;
pub mod voice;
pub mod wall;
