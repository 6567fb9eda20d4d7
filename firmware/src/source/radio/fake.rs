//! A scripted radio for tests of the radio machinery (and for trying the daemon's behaviour on
//! unplug without a dongle): it can be unplugged and plugged back from another thread,
//! delivers the test signal generator's traffic for the band it is tuned to in real time —
//! 1090 MHz Mode S with its noise floor set by the gain (as a tuner's would be), or on the VHF
//! band ACARS on whichever of the six US channels the tuning covers — reports overruns when
//! told to, and returns garbage instead of samples when given some.

use super::{DeviceSelector, Driver, Radio, RadioError, Tuning};
use crate::config::{Band, US_ACARS_MHZ};
use dsp::cpr::Position;
use dsp::gen::acars::{AcarsSender, AcarsTraffic};
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
    /// A broken device: while set, every sample byte comes from this pattern, repeated
    /// (all zeros, all 255, random bytes…) instead of the traffic.
    pub garbage: Option<Vec<u8>>,
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
        let vhf = (tuning.band == Band::Vhf).then(|| {
            let rate = f64::from(tuning.rate_hz);
            let centre = f64::from(tuning.centre_hz);
            let channels = US_ACARS_MHZ
                .iter()
                .map(|f| f * 1e6 - centre)
                .filter(|o| o.abs() < rate / 2.0 - 25e3)
                .collect();
            let senders = (0..self.aircraft)
                .map(|i| AcarsSender {
                    registration: format!("N{}FK", 100 + i),
                    flight: format!("FK{:04}", 100 + i),
                    position: (52.3, 4.7),
                })
                .collect();
            (rate, AcarsTraffic::new(rate, channels, senders, 1.0, 5))
        });
        let mut radio = FakeRadio {
            driver: self.clone(),
            rate: vhf
                .as_ref()
                .map_or(SampleRate::Msps2_4.hz() as f64, |v| v.0),
            sim: None,
            vhf: vhf.map(|v| v.1),
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
    rate: f64,
    sim: Option<TrafficSim>,
    /// Tuned to the VHF band: ACARS instead of Mode S.
    vhf: Option<AcarsTraffic>,
    gain: i32,
    started: Instant,
    delivered: u64,
}

impl FakeRadio {
    fn retune(&mut self) {
        if self.vhf.is_some() {
            return;
        }
        let mut cfg = TrafficConfig::new(
            SampleRate::Msps2_4,
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
        let n = (self.rate / 20.0) as usize;
        let due =
            self.started + Duration::from_secs_f64((self.delivered + n as u64) as f64 / self.rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if let Some(sim) = &mut self.sim {
            sim.next_block(n, out, &mut Vec::new());
        } else if let Some(acars) = &mut self.vhf {
            acars.next_block(n, out, &mut Vec::new());
        }
        self.driver.with(|s| {
            if let Some(pattern) = s.garbage.as_ref().filter(|p| !p.is_empty()) {
                let start = (self.delivered as usize * 2) % pattern.len();
                for (i, b) in out.iter_mut().enumerate() {
                    *b = pattern[(start + i) % pattern.len()];
                }
            }
        });
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
