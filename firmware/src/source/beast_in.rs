//! Beast input (readsb's port 30004 convention): another receiver pushes its messages here and
//! they join this one's picture. Each message goes through the same parity check as the
//! demodulator's (DF11/17/18 with a clean CRC teach the address filter; address/parity replies
//! count only for known addresses), is decoded, and goes to the core as a live [`Block`].

use super::block::{Block, Heard, Timing};
use dsp::beast::{BeastMessage, BeastParser};
use dsp::filter::AddressFilter;
use dsp::{Frame, FrameChecker, RepairConfig};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Clients at a time.
pub const MAX_CLIENTS: u64 = 64;

/// For `/metrics`.
#[derive(Debug, Default)]
pub struct BeastInCounters {
    pub clients: Arc<AtomicU64>,
    /// Messages that passed the parity check, and those that did not.
    pub messages: AtomicU64,
    pub rejected: AtomicU64,
}

/// Accepts Beast input connections until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    blocks: mpsc::Sender<Block>,
    counters: Arc<BeastInCounters>,
    shutdown: impl Future<Output = ()>,
) {
    let checker = Arc::new(FrameChecker::new(RepairConfig::default()));
    let filter = Arc::new(Mutex::new(AddressFilter::new(4096, 60 * 12_000_000)));
    // The parity check's clock: 12 MHz ticks since the input started, as Beast timestamps are.
    let epoch = Instant::now();
    let clients = counters.clients.clone();
    crate::net::accept_clients(
        "beast_in",
        listener,
        MAX_CLIENTS,
        clients,
        shutdown,
        move |mut socket| {
            let (blocks, counters, checker, filter) = (
                blocks.clone(),
                counters.clone(),
                checker.clone(),
                filter.clone(),
            );
            async move {
                let mut parser = BeastParser::default();
                let mut buf = vec![0u8; 16 * 1024];
                let mut messages = Vec::new();
                loop {
                    let n = match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    parser.push(&buf[..n], &mut messages);
                    let t = epoch.elapsed().as_secs_f64();
                    let mut block = Block::new(None, Timing::Live, t);
                    for m in messages.drain(..) {
                        let checked = match filter.lock() {
                            Ok(mut f) => check(&checker, &mut f, &m, t),
                            Err(_) => None,
                        };
                        match checked {
                            Some(h) => block.heard.push(h),
                            None => {
                                counters.rejected.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    if block.heard.is_empty() {
                        continue;
                    }
                    counters
                        .messages
                        .fetch_add(block.heard.len() as u64, Ordering::Relaxed);
                    if blocks.send(block).await.is_err() {
                        break;
                    }
                }
            }
        },
    )
    .await;
}

/// One Beast message through the parity check and the decoder.
fn check(
    checker: &FrameChecker,
    filter: &mut AddressFilter,
    m: &BeastMessage,
    t: f64,
) -> Option<Heard> {
    let mut bytes = [0u8; 14];
    bytes.get_mut(..m.data.len())?.copy_from_slice(&m.data);
    let now = (t * 12e6) as u64;
    let checked = checker.check(&mut bytes, &[], filter, now).ok()?;
    let df = dsp::frame::df_of(bytes[0]);
    if matches!(df, 11 | 17 | 18) && checked.corrected_bits == 0 && !checked.iid_overlay {
        filter.insert(checked.address, now);
    }
    let amplitude = f32::from(m.signal.max(1)) / 255.0;
    let frame = Frame {
        bytes,
        len_bits: (m.data.len() * 8) as u8,
        address: checked.address,
        corrected_bits: checked.corrected_bits,
        address_recovered: checked.address_recovered,
        sample: 0.0,
        timestamp_12mhz: m.timestamp,
        signal_dbfs: 20.0 * amplitude.log10(),
        noise_dbfs: f32::NEG_INFINITY,
    };
    Some(Heard {
        message: dsp::decode::decode(&frame),
        frame,
        t,
    })
}
