//! RTL-SDR dongles through `rtl-sdr-rs`: pure Rust on `nusb`, no librtlsdr or libusb. The
//! device streams on the driver's own worker thread (a queue of USB bulk transfers); this
//! side takes its chunks, counts the ones it lost, and changes the gain live for the AGC.

use super::{DeviceSelector, Driver, Gain, Radio, RadioError, Tuning};
use rtl_sdr_rs::{AsyncReadEvent, AsyncReadHandle, DeviceId, RtlSdr, TunerGain};
use std::time::{Duration, Instant};

/// Bytes per USB transfer (rtl-sdr-rs' default, 128 Ki samples: ~55 ms at 2.4 MS/s).
const TRANSFER_BYTES: usize = 16 * 16384;
/// A stream that delivers nothing for this long has failed (a hung or vanished device).
const STALL: Duration = Duration::from_secs(2);

/// A dongle on the bus, as `skyspy devices` and the auto source see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub index: usize,
    pub serial: String,
    pub product: String,
}

/// The RTL-SDR dongles present; empty when there are none or no USB bus at all.
pub fn list() -> Vec<Found> {
    match RtlSdr::list_devices() {
        Ok(devices) => devices
            .into_iter()
            .map(|d| Found {
                index: d.index,
                serial: d.serial,
                product: format!("{} {}", d.manufacturer, d.product)
                    .trim()
                    .to_string(),
            })
            .collect(),
        Err(e) => {
            tracing::debug!("listing RTL-SDR devices: {e:?}");
            Vec::new()
        }
    }
}

#[derive(Default)]
pub struct RtlSdrDriver;

impl Driver for RtlSdrDriver {
    fn name(&self) -> &'static str {
        "rtlsdr"
    }

    fn open(
        &mut self,
        device: &DeviceSelector,
        tuning: &Tuning,
    ) -> Result<Box<dyn Radio>, RadioError> {
        let id = match device {
            DeviceSelector::Index(i) => DeviceId::Index(*i),
            DeviceSelector::Serial(s) => DeviceId::Serial(s),
        };
        let err = |what: &str, e: rtl_sdr_rs::error::RtlsdrError| {
            RadioError::Device(format!("RTL-SDR {device}: {what}: {e:?}"))
        };
        let mut sdr = RtlSdr::open(id)
            .map_err(|e| RadioError::NotFound(format!("RTL-SDR {device} ({e:?})")))?;
        let tuner = sdr.get_tuner_id().unwrap_or("unknown tuner").to_string();
        let gains = sdr.get_tuner_gains().unwrap_or_default();
        sdr.set_sample_rate(tuning.rate_hz)
            .map_err(|e| err("sample rate", e))?;
        sdr.set_center_freq(tuning.centre_hz)
            .map_err(|e| err("frequency", e))?;
        if tuning.ppm != 0 {
            sdr.set_freq_correction(tuning.ppm)
                .map_err(|e| err("ppm correction", e))?;
        }
        sdr.set_bias_tee(tuning.bias_tee)
            .map_err(|e| err("bias-tee", e))?;
        // Automatic gain starts high and comes down on clipping: weak aircraft are the
        // common loss, strong nearby ones the rarer one.
        let start = match tuning.gain {
            Gain::Fixed(db) => (db * 10.0).round() as i32,
            Gain::Auto => 400,
        };
        let gain = nearest(&gains, start).unwrap_or(start);
        sdr.set_tuner_gain(TunerGain::Manual(gain))
            .map_err(|e| err("gain", e))?;
        sdr.reset_buffer().map_err(|e| err("reset", e))?;
        let stream = sdr
            .into_async_reader(0, TRANSFER_BYTES)
            .map_err(|e| err("stream", e))?;
        Ok(Box::new(RtlSdrRadio {
            description: format!(
                "RTL-SDR {device} ({tuner}), gain {:.1} dB",
                f64::from(gain) / 10.0
            ),
            stream,
            gains,
            last: Instant::now(),
        }))
    }
}

fn nearest(gains: &[i32], tenths: i32) -> Option<i32> {
    gains.iter().copied().min_by_key(|g| (g - tenths).abs())
}

struct RtlSdrRadio {
    description: String,
    stream: AsyncReadHandle,
    gains: Vec<i32>,
    last: Instant,
}

impl Radio for RtlSdrRadio {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn read(&mut self, out: &mut Vec<u8>) -> Result<(), RadioError> {
        let deadline = Instant::now() + Duration::from_millis(250);
        loop {
            match self.stream.try_recv() {
                Some(Ok(AsyncReadEvent::Samples { data, .. })) => {
                    out.extend_from_slice(&data);
                    self.last = Instant::now();
                    return Ok(());
                }
                Some(Ok(_)) => {} // a reconfiguration marker
                Some(Err(e)) => return Err(RadioError::Device(format!("{e:?}"))),
                None => {
                    let quiet = self.last.elapsed();
                    if quiet >= STALL {
                        return Err(RadioError::Stalled(quiet.as_secs_f64()));
                    }
                    if Instant::now() >= deadline {
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }

    fn gains(&self) -> Vec<i32> {
        self.gains.clone()
    }

    fn set_gain(&mut self, tenths_db: i32) -> Result<(), RadioError> {
        self.stream
            .control_handle()
            .set_tuner_gain(TunerGain::Manual(tenths_db))
            .map(|_| ())
            .map_err(|e| RadioError::Device(format!("gain: {e:?}")))
    }

    fn dropped_samples(&self) -> u64 {
        self.stream.dropped_chunks() * (TRANSFER_BYTES / 2) as u64
    }
}
