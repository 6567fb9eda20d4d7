//! The core's clock on paused tokio time: the picture ages on the clock whatever the sources
//! do. An aircraft leaves 60 s after its last message though no block arrives; a replay sets
//! the time while it plays and hands over to wall time when it ends; a source that sends
//! nothing for 2 s is reported stalled, and healthy again with its next block; the stats are
//! published on their timer.

use dsp::decode::decode;
use dsp::Frame;
use skyspy::core::alerts::service::Rules;
use skyspy::core::track::TrackKey;
use skyspy::core::{Core, CoreCounters, CoreOutputs, CoreSettings};
use skyspy::source::{Block, Heard, SourceSet, SourceStatus, Timing};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::sleep;

const KLM1023: &str = "8D4840D6202CC371C32CE0576098";

fn heard(hex: &str, t: f64) -> Heard {
    let data: Vec<u8> = hex::decode(hex).expect("hex");
    let mut bytes = [0u8; 14];
    bytes[..data.len()].copy_from_slice(&data);
    let frame = Frame {
        bytes,
        len_bits: (data.len() * 8) as u8,
        address: 0x4840d6,
        corrected_bits: 0,
        address_recovered: false,
        sample: 0.0,
        timestamp_12mhz: 0,
        signal_dbfs: -20.0,
        noise_dbfs: -40.0,
    };
    Heard {
        message: decode(&frame),
        frame,
        t,
    }
}

struct Running {
    blocks: mpsc::Sender<Block>,
    out: CoreOutputs,
    status: Arc<SourceStatus>,
    _cmds: mpsc::Sender<skyspy::core::Cmd>,
    _rules: watch::Sender<Rules>,
}

fn start() -> Running {
    let status = SourceStatus::new(
        "simulator",
        "test".into(),
        dsp::IqFormat::Cu8,
        skyspy::config::Band::Modes,
        dsp::SampleRate::Msps2_4.hz() as f64,
    );
    let settings = CoreSettings::new(dsp::cpr::Position {
        lat: 52.3,
        lon: 4.76,
    });
    let (rules_tx, rules) = watch::channel(Rules::from(Vec::new()));
    let (core, out) = Core::new(
        settings,
        SourceSet(vec![status.clone()]),
        rules,
        Arc::new(CoreCounters::default()),
    );
    let (blocks, blocks_rx) = mpsc::channel(8);
    let (cmds, cmds_rx) = mpsc::channel(8);
    tokio::spawn(core.run(blocks_rx, cmds_rx, std::future::pending()));
    Running {
        blocks,
        out,
        status,
        _cmds: cmds,
        _rules: rules_tx,
    }
}

fn present(r: &Running) -> bool {
    r.out.world.borrow().aircraft.contains_key(&TrackKey {
        address: 0x4840d6,
        non_icao: false,
    })
}

fn live_block(stream_s: f64) -> Block {
    let mut b = Block::new(Some(0), Timing::Live, stream_s);
    b.heard.push(heard(KLM1023, stream_s - 0.01));
    b
}

#[tokio::test(start_paused = true)]
async fn an_aircraft_leaves_sixty_seconds_after_its_last_message_with_no_block_since() {
    let r = start();
    r.blocks.send(live_block(5.0)).await.expect("core");
    sleep(Duration::from_millis(10)).await;
    assert!(present(&r), "the aircraft joins at once");
    // No block arrives after this one: the source stopped.
    sleep(Duration::from_secs(59)).await;
    assert!(present(&r), "still there 59 s after its last message");
    let seen = r.out.world.borrow().records().next().map(|a| a.seen);
    assert_eq!(seen, Some(59.0), "`seen` counts on the core's clock");
    sleep(Duration::from_secs(2)).await;
    assert!(!present(&r), "gone 61 s after its last message");
}

#[tokio::test(start_paused = true)]
async fn a_replay_sets_the_time_and_wall_time_takes_over_when_it_ends() {
    let r = start();
    let replay = Timing::Replay { speed: 4.0 };
    // 20 s of stream played at 4×: blocks every 50 ms of stream, 12.5 ms of wall.
    for i in 1..=400 {
        let stream_s = f64::from(i) * 0.05;
        let mut b = Block::new(Some(0), replay, stream_s);
        if i <= 40 {
            b.heard.push(heard(KLM1023, stream_s - 0.01));
        }
        b.end = i == 400;
        r.blocks.send(b).await.expect("core");
        sleep(Duration::from_micros(12_500)).await;
    }
    // The last message was at stream time 2 s; the replay ended at 20 s, 5 s of wall after
    // it started. At 4× the aircraft would be gone 60 s of stream after its last message, so
    // 14.5 s of wall after the start, but it is still there (18 s of stream since).
    assert!(present(&r), "18 s of stream after its last message");
    // After the end the clock runs at wall rate from 20 s: gone 42 s of wall later, not 10.5.
    sleep(Duration::from_secs(41)).await;
    assert!(
        present(&r),
        "the picture ages at wall rate after the replay"
    );
    sleep(Duration::from_secs(2)).await;
    assert!(!present(&r), "gone once 60 s of core time passed");
}

#[tokio::test(start_paused = true)]
async fn a_source_that_sends_nothing_for_two_seconds_is_stalled() {
    let r = start();
    for i in 1..=20 {
        r.blocks
            .send(live_block(f64::from(i) * 0.05))
            .await
            .expect("core");
        sleep(Duration::from_millis(50)).await;
    }
    let report = r.status.report();
    assert!(report.healthy && report.state == "running", "{report:?}");
    // The source goes quiet (a dongle unplugged, a network input gone).
    sleep(Duration::from_millis(2900)).await;
    let report = r.status.report();
    assert!(
        !report.healthy && report.state == "stalled",
        "unhealthy within 3 s: {report:?}"
    );
    // The stats carry it too, from their next snapshot (they are published every second, on
    // their own timer, whose phase against the stall is not this test's to fix).
    sleep(Duration::from_millis(1100)).await;
    let stats = r.out.stats.borrow().clone();
    assert_eq!(stats.sources[0].state, "stalled");
    r.blocks.send(live_block(10.0)).await.expect("core");
    sleep(Duration::from_millis(1100)).await;
    assert!(
        r.status.report().healthy,
        "healthy again with the next block"
    );
}

#[tokio::test(start_paused = true)]
async fn stats_are_published_on_their_timer_without_blocks() {
    let r = start();
    let mut stats = r.out.stats.clone();
    let first = stats.borrow_and_update().version;
    sleep(Duration::from_millis(3500)).await;
    let now = stats.borrow_and_update().clone();
    assert!(
        now.version >= first + 3,
        "{} → {}: one a second",
        first,
        now.version
    );
    assert!(now.uptime_s >= 3);
}

/// The `safety` topic's snapshot comes from the core's own open set, not from the events it
/// sends: with the event queue gone (a fan-out that fell behind drops them), an emergency still
/// shows as open while it lasts and leaves the snapshot when it ends.
#[tokio::test(start_paused = true)]
async fn the_open_safety_events_stay_right_when_their_events_are_dropped() {
    let mut r = start();
    drop(std::mem::replace(&mut r.out.events, mpsc::channel(1).1));
    let squawk = |code: u16, t: f64| {
        let reply = dsp::gen::encode::identity_reply(0x4840d6, code);
        let mut b = Block::new(Some(0), Timing::Live, t);
        b.heard.push(heard(
            &hex::encode(&reply.bytes[..reply.bits / 8]),
            t - 0.01,
        ));
        b
    };
    let open = |r: &Running| -> Vec<String> {
        r.out
            .safety
            .borrow()
            .iter()
            .map(|e| e.message.clone())
            .collect()
    };
    r.blocks.send(squawk(7700, 5.0)).await.expect("core");
    sleep(Duration::from_millis(10)).await;
    assert_eq!(open(&r), ["squawk 7700"]);
    r.blocks.send(squawk(1200, 6.0)).await.expect("core");
    sleep(Duration::from_millis(10)).await;
    assert!(open(&r).is_empty(), "resolved: {:?}", open(&r));
}
