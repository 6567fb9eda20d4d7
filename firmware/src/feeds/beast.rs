//! Beast binary (port 30005): each message with a 12 MHz timestamp from its reception time
//! and its signal level (`dsp::beast` holds the framing).

use crate::core::HeardBatch;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    for h in &batch.modes {
        dsp::beast::beast_frame(&h.frame, h.t, h.frame.signal_dbfs, out);
    }
}
