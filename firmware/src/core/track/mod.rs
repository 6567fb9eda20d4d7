//! The track table: one entry per aircraft, built from decoded messages, that every topic of
//! the Realtime API reads from. Fixed capacity, no wall clock inside (time is a parameter in
//! seconds), every field aged and attributed to its source.

pub mod aged;
pub mod aircraft;
pub mod position;
pub mod table;

pub use aircraft::{Aircraft, TrackKey};
pub use table::{TrackConfig, TrackTable};
