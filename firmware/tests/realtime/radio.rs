//! The radio machinery against a scripted device (radio::fake): a band keeps its DSP thread
//! through an unplugged dongle, reports itself unhealthy with the reason, retries with
//! backoff, and streams again when the device returns; the automatic gain backs off when
//! strong replies clip. No hardware involved.

use skyspy::config::{Band, RadioConfig};
use skyspy::source::radio::fake::FakeDriver;
use skyspy::source::radio::{DeviceSelector, Gain, Tuning};
use skyspy::source::{Backend, Block, ChainSpec, RadioSource, Source, SourceStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

struct Running {
    status: Arc<SourceStatus>,
    rx: mpsc::Receiver<Block>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

fn start(fake: &FakeDriver, gain: Gain) -> Running {
    start_on(fake, gain, 0)
}

/// `start` on device `index` (which names the device in its log lines).
fn start_on(fake: &FakeDriver, gain: Gain, index: usize) -> Running {
    let config = RadioConfig {
        gain,
        ..RadioConfig::default()
    };
    let mut radio = RadioSource::new(
        Box::new(fake.clone()),
        DeviceSelector::Index(index),
        Tuning::of(Band::Modes, &config),
    );
    radio.backoff = (Duration::from_millis(100), Duration::from_millis(400));
    let status = SourceStatus::new(
        "rtlsdr",
        "fake".into(),
        dsp::IqFormat::Cu8,
        Band::Modes,
        dsp::SampleRate::Msps2_4.hz() as f64,
    );
    let (tx, rx) = mpsc::channel(64);
    let stop = Arc::new(AtomicBool::new(false));
    let chain = ChainSpec::Modes(dsp::SampleRate::Msps2_4);
    let thread = Source::new(Backend::Radio(Box::new(radio)), chain)
        .spawn(0, status.clone(), tx, stop.clone())
        .expect("thread");
    Running {
        status,
        rx,
        stop,
        thread,
    }
}

/// Takes blocks for `seconds`; returns how many messages they carried.
fn drain(r: &mut Running, seconds: f64) -> usize {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut heard = 0;
    while Instant::now() < until {
        match r.rx.try_recv() {
            Ok(b) => heard += b.heard.len(),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    heard
}

fn wait_until(r: &mut Running, what: &str, mut ok: impl FnMut(&SourceStatus) -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !ok(&r.status) {
        assert!(
            Instant::now() < until,
            "{what}: {:?}",
            r.status.report().error
        );
        drain(r, 0.05);
    }
}

#[test]
fn an_unplugged_dongle_is_reported_and_reopened_when_it_returns() {
    let fake = FakeDriver::new(true);
    let mut r = start(&fake, Gain::Fixed(30.0));
    assert!(drain(&mut r, 1.5) > 20, "messages from the radio");
    let report = r.status.report();
    assert!(report.healthy, "{report:?}");
    assert!(report
        .device
        .as_deref()
        .is_some_and(|d| d.contains("fake radio")));

    fake.set_plugged(false);
    wait_until(&mut r, "unhealthy after unplug", |s| !s.report().healthy);
    let report = r.status.report();
    assert!(
        report
            .error
            .as_deref()
            .is_some_and(|e| e.contains("disconnected")),
        "{report:?}"
    );
    assert_eq!(report.device, None);
    drain(&mut r, 0.2); // what was heard before the unplug
                        // While it is away: nothing heard, attempts to reopen with growing waits.
    assert_eq!(drain(&mut r, 1.5), 0);
    let refused = fake.state.lock().expect("state").refused;
    assert!(
        (2..=8).contains(&refused),
        "{refused} attempts in 1.5 s with 0.1–0.4 s backoff"
    );
    assert!(r
        .status
        .report()
        .error
        .is_some_and(|e| e.contains("no device")));

    fake.set_plugged(true);
    wait_until(&mut r, "healthy after replug", |s| s.report().healthy);
    assert!(drain(&mut r, 1.5) > 20, "messages again after replug");
    let report = r.status.report();
    assert!(report.reconnects >= 2, "{report:?}");
    assert_eq!(fake.state.lock().expect("state").opens, 2);

    // Overruns the device reports are counted.
    fake.state.lock().expect("state").dropped = 131_072;
    drain(&mut r, 0.3);
    assert_eq!(r.status.report().dropped_samples, 131_072);

    r.stop.store(true, Ordering::Relaxed);
    let t = Instant::now();
    drain(&mut r, 0.2);
    r.thread.join().expect("the DSP thread ends cleanly");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_band_whose_dongle_is_absent_waits_for_it_without_stopping() {
    let fake = FakeDriver::new(false);
    let mut r = start(&fake, Gain::Fixed(30.0));
    wait_until(&mut r, "reported missing", |s| s.report().error.is_some());
    assert!(!r.status.report().healthy);
    assert_eq!(drain(&mut r, 0.5), 0);
    fake.set_plugged(true);
    wait_until(&mut r, "found", |s| s.report().healthy);
    assert!(drain(&mut r, 1.5) > 20);
    r.stop.store(true, Ordering::Relaxed);
    drain(&mut r, 0.2);
    r.thread.join().expect("clean end");
}

#[test]
fn automatic_gain_backs_off_from_clipping_and_settles() {
    let mut fake = FakeDriver::new(true);
    // At the starting 40.2 dB the noise floor sits at −29.8 dBFS and the strongest replies
    // (30 dB above it) clip.
    fake.noise_at_zero_gain_dbfs = -70.0;
    let mut r = start(&fake, Gain::Auto);
    assert!(drain(&mut r, 12.0) > 100);
    let gains = fake.state.lock().expect("state").gains_set.clone();
    assert!(!gains.is_empty(), "the gain never changed");
    assert!(
        gains.windows(2).all(|w| w[1] < w[0]),
        "only down: {gains:?}"
    );
    let last = *gains.last().expect("one");
    println!("automatic gain: 40.2 dB, then {gains:?} (tenths of dB)");
    assert!((250..=390).contains(&last), "settled at {last}: {gains:?}");
    r.stop.store(true, Ordering::Relaxed);
    drain(&mut r, 0.2);
    r.thread.join().expect("clean end");
}

/// With the `soapysdr` feature (scripts/test builds it with Debian's libsoapysdr-dev): a device
/// SoapySDR cannot find is a clear "not found" naming SoapySDR, which the band reports while
/// it retries.
#[cfg(feature = "soapysdr")]
#[test]
fn a_soapysdr_device_that_is_not_there_is_reported_as_missing() {
    use skyspy::source::radio::soapy::SoapyDriver;
    use skyspy::source::radio::{Driver, RadioError};
    let tuning = Tuning {
        band: Band::Modes,
        centre_hz: 1_090_000_000,
        rate_hz: 2_400_000,
        gain: Gain::Auto,
        ppm: 0,
        bias_tee: false,
    };
    let missing = DeviceSelector::Serial("driver=skyspy-no-such-driver".into());
    match SoapyDriver.open(&missing, &tuning) {
        Err(RadioError::NotFound(m)) => assert!(m.contains("SoapySDR"), "{m}"),
        Err(e) => panic!("expected not found, got {e}"),
        Ok(r) => panic!("opened {}", r.describe()),
    }
}

/// The VHF band through the same machinery: ACARS from the dongle's wideband stream, an
/// unplug that makes the band unhealthy with the reason, and ACARS again after the replug.
#[test]
fn a_vhf_dongle_streams_acars_and_comes_back_after_an_unplug() {
    let mut fake = FakeDriver::new(true);
    fake.aircraft = 4;
    let vhf = skyspy::config::VhfConfig::default();
    let plan = vhf.plan("radio.vhf").expect("the default plan");
    let radio = RadioSource::new(
        Box::new(fake.clone()),
        DeviceSelector::Index(0),
        Tuning::vhf(Band::Vhf, &vhf, &plan),
    );
    let status = SourceStatus::vhf(
        "rtlsdr",
        "fake".into(),
        dsp::IqFormat::Cu8,
        Band::Vhf,
        plan.clone(),
    );
    let (tx, rx) = mpsc::channel(64);
    let stop = Arc::new(AtomicBool::new(false));
    let thread = Source::new(Backend::Radio(Box::new(radio)), ChainSpec::Vhf(plan))
        .spawn(0, status.clone(), tx, stop.clone())
        .expect("thread");
    let mut r = Running {
        status,
        rx,
        stop,
        thread,
    };
    let acars = |r: &mut Running, seconds: f64| {
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        let mut n = 0;
        while Instant::now() < until {
            match r.rx.try_recv() {
                Ok(b) => n += b.acars.len(),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        n
    };
    assert!(acars(&mut r, 3.0) >= 3, "ACARS from the dongle");
    let report = r.status.report();
    assert!(report.healthy && report.band == "vhf", "{report:?}");
    assert_eq!(report.channels.len(), 6);

    fake.set_plugged(false);
    wait_until(&mut r, "unhealthy after unplug", |s| !s.report().healthy);
    assert!(r
        .status
        .report()
        .error
        .is_some_and(|e| e.contains("disconnected")));
    fake.set_plugged(true);
    wait_until(&mut r, "healthy after replug", |s| s.report().healthy);
    assert!(acars(&mut r, 3.0) >= 3, "ACARS again after the replug");

    r.stop.store(true, Ordering::Relaxed);
    drain(&mut r, 0.2);
    r.thread.join().expect("the DSP thread ends cleanly");
}

/// Log lines written while a test runs, from every thread (the DSP thread logs).
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_flapping_dongle_does_not_flood_the_log() {
    let log = Captured::default();
    let writer = log.clone();
    // Global: the DSP thread logs. Other tests in this binary may log too; only this test's
    // device ("flap") is counted.
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init();
    let fake = FakeDriver::new(true);
    // Device 7 and 12.5 dB: what names this test's radio in the log ("fake #7" when it is
    // missing, "fake radio, gain 12.5 dB" when it is open).
    let mut r = start_on(&fake, Gain::Fixed(12.5), 7);
    // Unplugged and back every 150 ms for 3 s: about 20 failures and as many reopens.
    let t = Instant::now();
    let mut plugged = true;
    while t.elapsed() < Duration::from_secs(3) {
        plugged = !plugged;
        fake.set_plugged(plugged);
        drain(&mut r, 0.15);
    }
    fake.set_plugged(true);
    wait_until(&mut r, "healthy at the end", |s| s.report().healthy);
    let report = r.status.report();
    assert!(report.reconnects >= 5, "it did flap: {report:?}");
    r.stop.store(true, Ordering::Relaxed);
    drain(&mut r, 0.2);
    r.thread.join().expect("the DSP thread ends cleanly");
    let text = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
    let ours = |what: &str| {
        text.lines()
            .filter(|l| l.contains("fake #7") || l.contains("gain 12.5 dB"))
            .filter(|l| l.contains(what))
            .count()
    };
    // One line of each kind within the 30 s window: the first failure and the first open.
    assert!(ours("ERROR") <= 1, "{text}");
    assert!(ours("radio open") <= 1, "{text}");
    assert!(
        ours("ERROR") + ours("radio open") >= 1,
        "the first lines are logged: {text}"
    );
}

/// A dongle returning garbage (all zeros, saturated, random bytes) invents nothing: no
/// message reaches the core, and the band stays up (garbage is not a failure of the device).
#[test]
fn a_dongle_returning_garbage_invents_no_aircraft() {
    use rand::{RngCore, SeedableRng};
    let mut random = vec![0u8; 4 << 20];
    rand::rngs::SmallRng::seed_from_u64(19).fill_bytes(&mut random);
    for (what, pattern) in [
        ("all zero", vec![0u8]),
        ("saturated", vec![255u8]),
        ("random", random),
    ] {
        let fake = FakeDriver::new(true);
        fake.state.lock().expect("state").garbage = Some(pattern);
        let mut r = start(&fake, Gain::Fixed(30.0));
        assert_eq!(drain(&mut r, 1.5), 0, "{what}: messages out of garbage");
        let report = r.status.report();
        assert!(report.healthy, "{what}: {report:?}");
        assert!(
            report.samples >= 2_500_000,
            "{what}: samples flowed: {report:?}"
        );
        // The same device with its traffic back is heard again.
        fake.state.lock().expect("state").garbage = None;
        assert!(
            drain(&mut r, 1.5) > 20,
            "{what}: messages once the samples are real"
        );
        r.stop.store(true, Ordering::Relaxed);
        drain(&mut r, 0.2);
        r.thread.join().expect("the DSP thread ends cleanly");
    }
}
