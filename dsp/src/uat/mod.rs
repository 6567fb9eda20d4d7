//! The 978 MHz UAT chain: protocol constants ([`consts`]), Reed–Solomon FEC ([`fec`]) and
//! frame correction ([`frame`]).

pub mod consts;
pub mod decode;
pub mod demod;
pub mod frame;
pub mod phase;
pub mod uplink;
