//! The firmware's integration tests, one binary, so the daemon is linked once rather than
//! once per file (linking took the suite longer than running them).
//! `cargo test -p skyspy --test it track::` runs one file's tests; the real-time ones are
//! in tests/realtime.

mod alerts;
mod api_requests;
mod architecture;
mod cli;
mod client;
mod config_example;
mod core_clock;
mod daemon;
mod fuzz;
mod safety;
mod scenario;
mod track;
