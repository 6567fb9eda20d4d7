//! The live daemon's picture ages on the wall clock whatever its sources do, through the real
//! daemon and its HTTP endpoints, in real time (what a user's map sees):
//! - a replay without `--loop` ends → `/data/aircraft.json` is empty within 75 s;
//! - the 1090 MHz dongle is unplugged → its band is unhealthy within 3 s and its aircraft are
//!   gone within 65 s, while the VHF dongle's band and the API keep serving; plugged back, the
//!   band is healthy and its aircraft are back within 15 s.
//!
//! The two run in parallel (about 70 s together); the exact timings (60 s expiry, 2 s stall)
//! are tested on paused time in `core_clock`.

use serde_json::Value;
use skyspy::config::{Band, Config, RadioConfig, SourceKind};
use skyspy::daemon::{run, run_with_sources};
use skyspy::source::radio::fake::FakeDriver;
use skyspy::source::radio::{DeviceSelector, Gain, Tuning};
use skyspy::source::{Backend, ChainSpec, RadioSource, Source, SourceStatus};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn config(name: &str) -> Config {
    let mut c = Config::default();
    c.alerts.rules_file = std::env::temp_dir().join(format!(
        "skyspy-liveness-{}-{name}.json",
        std::process::id()
    ));
    // No TCP feeds: the two tests run side by side.
    c.feeds.raw.clear();
    c.feeds.sbs.clear();
    c.feeds.beast.clear();
    c.feeds.uat_raw.clear();
    c.feeds.beast_in.clear();
    c
}

/// Starts the daemon on its own runtime and thread; returns its address and a stop switch.
fn start(
    daemon: impl FnOnce(
            tokio::net::TcpListener,
            tokio::sync::oneshot::Receiver<()>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + 'static,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            addr_tx
                .send(listener.local_addr().expect("addr"))
                .expect("send");
            daemon(listener, stop_rx).await;
        });
    });
    let addr = addr_rx.recv().expect("daemon started");
    (addr, stop_tx, thread)
}

fn get(addr: SocketAddr, path: &str) -> Value {
    let text = ureq::get(format!("http://{addr}{path}"))
        .call()
        .expect("HTTP GET")
        .into_body()
        .read_to_string()
        .expect("body");
    serde_json::from_str(&text).expect("JSON")
}

fn aircraft(addr: SocketAddr) -> usize {
    get(addr, "/data/aircraft.json")["aircraft"]
        .as_array()
        .expect("aircraft array")
        .len()
}

/// Polls `what` every 250 ms until it holds; returns how long that took.
fn within(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
    start.elapsed()
}

#[test]
fn a_replay_that_ends_leaves_an_empty_picture_within_75_s() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("traffic.cu8");
    let centre = dsp::cpr::Position {
        lat: 52.31,
        lon: 4.76,
    };
    let (iq, _) = dsp::gen::generate(
        dsp::gen::TrafficConfig::new(dsp::SampleRate::Msps2_4, centre, 20, 3),
        4.0,
    );
    std::fs::write(&file, iq).expect("write recording");
    let mut c = config("replay");
    c.source.kind = SourceKind::Replay;
    c.source.file = Some(file);
    let (addr, stop, thread) = start(move |l, stop| {
        Box::pin(async move {
            run(l, c, async {
                let _ = stop.await;
            })
            .await
            .expect("daemon");
        })
    });
    within(Duration::from_secs(10), "aircraft from the replay", || {
        aircraft(addr) > 5
    });
    within(Duration::from_secs(10), "the replay ends", || {
        get(addr, "/data/stats.json")["sources"][0]["state"] == "ended"
    });
    let took = within(Duration::from_secs(75), "an empty picture", || {
        aircraft(addr) == 0
    });
    println!(
        "replay ended: aircraft.json empty {:.1} s later",
        took.as_secs_f64()
    );
    assert!(
        took > Duration::from_secs(50),
        "not before the 60 s expiry: {took:?}"
    );
    let _ = stop.send(());
    thread.join().expect("daemon thread");
}

#[test]
fn an_unplugged_dongle_makes_its_band_unhealthy_and_its_aircraft_leave() {
    let fake = FakeDriver::new(true);
    let mut radio = RadioSource::new(
        Box::new(fake.clone()),
        DeviceSelector::Index(0),
        Tuning::of(
            Band::Modes,
            &RadioConfig {
                gain: Gain::Fixed(30.0),
                ..RadioConfig::default()
            },
        ),
    );
    radio.backoff = (Duration::from_millis(500), Duration::from_secs(2));
    let status = SourceStatus::new(
        "fake",
        "scripted dongle on 1090 MHz".into(),
        dsp::IqFormat::Cu8,
        Band::Modes,
        dsp::SampleRate::Msps2_4.hz() as f64,
    );
    // A second dongle on the VHF band, which stays plugged in throughout.
    let mut vhf_fake = FakeDriver::new(true);
    vhf_fake.aircraft = 2;
    let vhf = skyspy::config::VhfConfig::default();
    let plan = vhf.plan("radio.vhf").expect("the default plan");
    let vhf_radio = RadioSource::new(
        Box::new(vhf_fake),
        DeviceSelector::Index(1),
        Tuning::vhf(Band::Vhf, &vhf, &plan),
    );
    let vhf_status = SourceStatus::vhf(
        "fake",
        "scripted dongle on the VHF band".into(),
        dsp::IqFormat::Cu8,
        Band::Vhf,
        plan.clone(),
    );
    let vhf_rate = plan.rate_hz;
    let c = config("unplug");
    let (addr, stop, thread) = start(move |l, stop| {
        Box::pin(async move {
            let chain = ChainSpec::Modes(dsp::SampleRate::Msps2_4);
            let sources = vec![
                (Source::new(Backend::Radio(Box::new(radio)), chain), status),
                (
                    Source::new(Backend::Radio(Box::new(vhf_radio)), ChainSpec::Vhf(plan)),
                    vhf_status,
                ),
            ];
            run_with_sources(l, c, sources, async {
                let _ = stop.await;
            })
            .await
            .expect("daemon");
        })
    });
    let source = |addr, i: usize| get(addr, "/data/stats.json")["sources"][i].clone();
    let healthy = |addr| source(addr, 0)["healthy"] == true;
    within(Duration::from_secs(15), "aircraft from the dongle", || {
        aircraft(addr) > 5 && healthy(addr)
    });
    fake.set_plugged(false);
    let vhf_before = source(addr, 1)["samples"].as_u64().unwrap_or(0);
    let unhealthy = within(Duration::from_secs(3), "band unhealthy", || !healthy(addr));
    let gone = within(Duration::from_secs(65), "aircraft gone", || {
        aircraft(addr) == 0
    });
    // The rest kept serving meanwhile: the VHF band streamed on, healthy, and the API answers.
    let vhf = source(addr, 1);
    assert_eq!(vhf["healthy"], true, "{vhf}");
    let streamed = vhf["samples"].as_u64().unwrap_or(0) - vhf_before;
    let seconds = (unhealthy + gone).as_secs_f64();
    // At least half its rate (the test shares two cores with its neighbour).
    assert!(
        streamed as f64 > 0.5 * vhf_rate * seconds,
        "the VHF band streamed {streamed} samples in {seconds:.0} s"
    );
    assert!(get(addr, "/data/receiver.json")["lat"].is_number());
    // Plugged back in: the band reopens (backoff at most 2 s here) and hears its aircraft.
    fake.set_plugged(true);
    let back = within(
        Duration::from_secs(15),
        "healthy again with aircraft",
        || healthy(addr) && aircraft(addr) > 5,
    );
    println!(
        "unplugged: band unhealthy after {:.1} s, aircraft gone after {:.1} s more; the VHF \
         band streamed {:.2} MS/s meanwhile; replugged: back with aircraft after {:.1} s",
        unhealthy.as_secs_f64(),
        gone.as_secs_f64(),
        streamed as f64 / seconds / 1e6,
        back.as_secs_f64()
    );
    let _ = stop.send(());
    thread.join().expect("daemon thread");
}
