//! The firmware's integration tests, one binary, so the daemon is linked once rather than
//! once per file (linking took the suite longer than running them).
//! `cargo test -p skyspy --test it radio::` runs one file's tests.

mod alerts;
mod api_requests;
mod architecture;
mod cli;
mod client;
mod config_example;
mod core_clock;
mod daemon;
mod fuzz;
mod liveness;
mod radio;
mod safety;
mod scenario;
mod track;
