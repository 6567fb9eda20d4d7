//! Beast input (port 30004) is bytes from the network: the parser must take anything, in any
//! chunking, without panicking or growing.
#![no_main]

use dsp::beast::BeastParser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (cut, rest) = data.split_first().map_or((1, data), |(c, r)| (usize::from(*c).max(1), r));
    let mut parser = BeastParser::default();
    let mut out = Vec::new();
    for chunk in rest.chunks(cut) {
        parser.push(chunk, &mut out);
    }
    assert!(out.iter().all(|m| m.data.len() == 7 || m.data.len() == 14));
});
