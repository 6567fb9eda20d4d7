//! Raw `*HEX;` lines, as dump1090 `--raw` writes them (port 30002).

use crate::core::HeardBatch;

pub fn format(batch: &HeardBatch, out: &mut Vec<u8>) {
    let mut hex = [0u8; 28];
    for h in &batch.modes {
        let data = h.frame.data();
        let digits = &mut hex[..data.len() * 2];
        // A reply is 7 or 14 bytes: its digits always fit.
        if ::hex::encode_to_slice(data, digits).is_err() {
            continue;
        }
        digits.make_ascii_uppercase();
        out.push(b'*');
        out.extend_from_slice(digits);
        out.extend_from_slice(b";\n");
    }
}
