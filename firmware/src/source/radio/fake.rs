//! A scripted radio for tests of the radio machinery (and for trying the daemon's behaviour on
//! unplug without a dongle): it can be unplugged and plugged back from another thread,
//! delivers the test signal generator's 1090 MHz traffic in real time with its noise floor set
//! by the gain (as a tuner's would be), and reports overruns when told to.

use super::{DeviceSelector, Driver, Radio, RadioError, Tuning};
use dsp::cpr::Position;
use dsp::gen::{TrafficConfig, TrafficSim};
use dsp::SampleRate;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a test sees of, and does to, the fake device.
#[derive(Debug, Default)]
pub struct FakeState {
    pub plugged: bool,
    /// Successful opens so far.
    pub opens: u32,
    /// Failed open attempts so far.
    pub refused: u32,
    /// Every gain set, in order (tenths of dB).
    pub gains_set: Vec<i32>,
    /// Samples the device claims it lost.
    pub dropped: u64,
}

#[derive(Clone)]
pub struct FakeDriver {
    pub state: Arc<Mutex<FakeState>>,
    /// Noise floor (dBFS) at 0 dB gain; each dB of gain raises it by one.
    pub noise_at_zero_gain_dbfs: f64,
    pub aircraft: usize,
}

impl FakeDriver {
    pub fn new(plugged: bool) -> Self {
        Self {
            state: Arc::new(Mutex::new(FakeState {
                plugged,
                ..FakeState::default()
            })),
            noise_at_zero_gain_dbfs: -60.0,
            aircraft: 20,
        }
    }

    pub fn set_plugged(&self, plugged: bool) {
        if let Ok(mut s) = self.state.lock() {
            s.plugged = plugged;
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut s| f(&mut s))
    }
}

/// The gain table of an R820T.
const GAINS: [i32; 29] = [
    0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254, 280, 297, 328, 338, 364, 372,
    386, 402, 421, 434, 439, 445, 480, 496,
];

impl Driver for FakeDriver {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn open(
        &mut self,
        device: &DeviceSelector,
        tuning: &Tuning,
    ) -> Result<Box<dyn Radio>, RadioError> {
        let plugged = self
            .with(|s| {
                if s.plugged {
                    s.opens += 1;
                } else {
                    s.refused += 1;
                }
                s.plugged
            })
            .unwrap_or(false);
        if !plugged {
            return Err(RadioError::NotFound(format!("fake {device}")));
        }
        let gain = match tuning.gain {
            super::Gain::Fixed(db) => (db * 10.0) as i32,
            super::Gain::Auto => 400,
        };
        let mut radio = FakeRadio {
            driver: self.clone(),
            rate: SampleRate::Msps2_4,
            sim: None,
            gain,
            started: Instant::now(),
            delivered: 0,
        };
        radio.retune();
        Ok(Box::new(radio))
    }
}

struct FakeRadio {
    driver: FakeDriver,
    rate: SampleRate,
    sim: Option<TrafficSim>,
    gain: i32,
    started: Instant,
    delivered: u64,
}

impl FakeRadio {
    fn retune(&mut self) {
        let mut cfg = TrafficConfig::new(
            self.rate,
            Position {
                lat: 52.31,
                lon: 4.76,
            },
            self.driver.aircraft,
            5,
        );
        cfg.noise_dbfs = self.driver.noise_at_zero_gain_dbfs + f64::from(self.gain) / 10.0;
        self.sim = Some(TrafficSim::new(cfg));
    }
}

impl Radio for FakeRadio {
    fn describe(&self) -> String {
        format!("fake radio, gain {:.1} dB", f64::from(self.gain) / 10.0)
    }

    fn read(&mut self, out: &mut Vec<u8>) -> Result<(), RadioError> {
        if !self.driver.with(|s| s.plugged).unwrap_or(false) {
            return Err(RadioError::Device("device disconnected".into()));
        }
        // Real time, like a dongle: 50 ms of samples every 50 ms.
        let n = (self.rate.hz() / 20) as usize;
        let due = self.started
            + Duration::from_secs_f64((self.delivered + n as u64) as f64 / self.rate.hz() as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if let Some(sim) = &mut self.sim {
            sim.next_block(n, out, &mut Vec::new());
        }
        self.delivered += n as u64;
        Ok(())
    }

    fn gains(&self) -> Vec<i32> {
        GAINS.to_vec()
    }

    fn set_gain(&mut self, tenths_db: i32) -> Result<(), RadioError> {
        self.gain = tenths_db;
        self.driver.with(|s| s.gains_set.push(tenths_db));
        self.retune();
        Ok(())
    }

    fn dropped_samples(&self) -> u64 {
        self.driver.with(|s| s.dropped).unwrap_or(0)
    }
}
