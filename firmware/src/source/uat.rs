//! The 978 MHz decoder stage: UAT frames from the demodulator, downlinks decoded, uplinks'
//! FIS-B segments reassembled into whole products (in fixed memory, see
//! `dsp::uat::uplink::Reassembler`).

use super::block::{FisbProduct, UatHeard, UatReceived};
use dsp::uat::consts::SAMPLE_RATE;
use dsp::uat::decode::decode_downlink;
use dsp::uat::demod::{UatDemodulator, UatMessage};
use dsp::uat::frame::Kind;
use dsp::uat::uplink::{decode_apdu, decode_product, decode_uplink, Reassembler};
use dsp::IqFormat;

pub struct UatStage {
    demod: UatDemodulator,
    reassembler: Reassembler,
    messages: Vec<UatMessage>,
}

impl UatStage {
    pub fn new(format: IqFormat) -> Self {
        Self {
            demod: UatDemodulator::new(format),
            reassembler: Reassembler::default(),
            messages: Vec::new(),
        }
    }

    /// Demodulates `bytes` (and, if `last`, what the demodulator still holds); appends what
    /// was heard. `base_s` is the stream time of the stream's sample 0. Returns the number of
    /// frames.
    pub fn push(
        &mut self,
        bytes: &[u8],
        last: bool,
        base_s: f64,
        heard: &mut Vec<UatHeard>,
        frames: &mut Vec<UatReceived>,
    ) -> usize {
        self.demod.push(bytes, &mut self.messages);
        if last {
            self.demod.finish(&mut self.messages);
        }
        let n = self.messages.len();
        for m in self.messages.drain(..) {
            let t = base_s + m.sample as f64 / SAMPLE_RATE;
            match m.frame.kind {
                Kind::Downlink => {
                    if let Some(downlink) = decode_downlink(&m.frame.payload) {
                        heard.push(UatHeard::Downlink {
                            downlink: Box::new(downlink),
                            rssi_dbfs: m.rssi_dbfs,
                            t,
                            repaired: m.frame.corrected > 0,
                        });
                    }
                }
                Kind::Uplink => {
                    if let Some(up) = decode_uplink(&m.frame.payload) {
                        let mut products = Vec::new();
                        for f in up.frames.iter().filter(|f| f.frame_type == 0) {
                            let Some(apdu) = decode_apdu(&f.data) else {
                                continue;
                            };
                            if let Some(whole) = self.reassembler.add(&apdu) {
                                products.push(FisbProduct {
                                    product_id: apdu.product_id,
                                    time: apdu.time,
                                    product: decode_product(apdu.product_id, &whole),
                                });
                            }
                        }
                        if !products.is_empty() {
                            heard.push(UatHeard::Products {
                                station: up.header.site,
                                products,
                                t,
                            });
                        }
                    }
                }
            }
            frames.push(UatReceived {
                frame: m.frame,
                rssi_dbfs: m.rssi_dbfs,
                t,
            });
        }
        n
    }
}
