//! SkySpy Edge: everything that touches the world (files, devices, time, the network) around
//! the pure signal processing of the `dsp` crate.

pub mod airspace;
pub mod alerts;
pub mod api;
pub mod cli;
pub mod config;
pub mod core;
pub mod daemon;
pub mod decode_cmd;
pub mod demo;
pub mod feeds;
pub mod hex_cmd;
pub mod positions;
pub mod radio;
pub mod safety;
pub mod setup;
pub mod source;
pub mod stats;
pub mod track;
pub mod uat_cmd;
