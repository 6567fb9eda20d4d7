//! SkySpy Edge: everything that touches the world (files, devices, time, the network) around
//! the pure signal processing of the `dsp` crate.

pub mod alerts;
pub mod cli;
pub mod decode_cmd;
pub mod demo;
pub mod hex_cmd;
pub mod positions;
pub mod safety;
pub mod stats;
pub mod track;
