//! Raw `*HEX;` lines, as dump1090 `--raw` writes them (port 30002).

use crate::core::HeardBatch;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    for h in &batch.modes {
        out.push(b'*');
        out.extend_from_slice(::hex::encode_upper(h.frame.data()).as_bytes());
        out.extend_from_slice(b";\n");
    }
}
