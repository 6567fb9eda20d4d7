//! The dsp crate's integration tests, one binary, so the library is linked once rather than
//! once per file (linking took the suite longer than running them).
//! `cargo test -p dsp --test it uat::` runs one file's tests.

mod am;
mod captures;
mod common;
mod sensitivity;
mod uat;
mod vdl2;
mod vhf;
