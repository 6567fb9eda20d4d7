//! The firmware's tests that run in real time (scripted radios streaming at their sample
//! rate, a daemon's picture ageing on the wall clock), in a binary of their own: in the main
//! test binary they would share the cores with CPU-heavy property tests and miss their
//! deadlines. `cargo test -p skyspy --test realtime radio::` runs one file's tests.

mod liveness;
mod radio;
