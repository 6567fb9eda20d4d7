//! SoapySDR devices (Airspy, HackRF, LimeSDR, SDRplay… with their Soapy modules), behind the
//! `soapysdr` cargo feature. Samples are taken as complex 16-bit integers (CS16), which every
//! Soapy module offers, natively or converted; gain "auto" hands over to the device's own
//! gain control, since the ADC-rail rule of [`super::agc`] is written for 8-bit dongles.
//!
//! The device must run at the band's rate (2.4 MS/s for 1090 MHz, 2.083333 MS/s for 978 MHz);
//! one that cannot (an Airspy's fixed rates) reports the band unhealthy with the device's
//! answer.

use super::{DeviceSelector, Driver, Gain, Radio, RadioError, Tuning};
use num_complex::Complex;
use soapysdr::{Device, Direction, RxStream};

pub struct SoapyDriver;

const CHANNEL: usize = 0;

impl Driver for SoapyDriver {
    fn name(&self) -> &'static str {
        "soapysdr"
    }

    fn open(
        &mut self,
        device: &DeviceSelector,
        tuning: &Tuning,
    ) -> Result<Box<dyn Radio>, RadioError> {
        // A serial selects `serial=…`; anything with '=' is passed as Soapy device arguments
        // ("driver=airspy"); an index picks from the enumeration.
        let args = match device {
            DeviceSelector::Serial(s) if s.contains('=') => s.clone(),
            DeviceSelector::Serial(s) => format!("serial={s}"),
            DeviceSelector::Index(i) => soapysdr::enumerate("")
                .ok()
                .and_then(|list| list.get(*i).map(|a| a.to_string()))
                .ok_or_else(|| RadioError::NotFound(format!("SoapySDR device {device}")))?,
        };
        let dev = Device::new(args.as_str())
            .map_err(|e| RadioError::NotFound(format!("SoapySDR device {args:?} ({e})")))?;
        let err = |what: &str, e: soapysdr::Error| {
            RadioError::Device(format!("SoapySDR {args}: {what}: {e}"))
        };
        let rx = Direction::Rx;
        dev.set_sample_rate(rx, CHANNEL, f64::from(tuning.rate_hz))
            .map_err(|e| err("sample rate", e))?;
        // The crate has no frequency-correction call: a crystal `ppm` fast tunes that much
        // high, so ask for the frequency that lands on the band.
        let centre = f64::from(tuning.centre_hz) / (1.0 + f64::from(tuning.ppm) * 1e-6);
        dev.set_frequency(rx, CHANNEL, centre, ())
            .map_err(|e| err("frequency", e))?;
        if tuning.bias_tee {
            dev.write_setting("biastee", "true")
                .map_err(|e| err("bias-tee", e))?;
        }
        match tuning.gain {
            Gain::Auto => dev
                .set_gain_mode(rx, CHANNEL, true)
                .map_err(|e| err("automatic gain", e))?,
            Gain::Fixed(db) => dev.set_gain(rx, CHANNEL, db).map_err(|e| err("gain", e))?,
        }
        let mut stream = dev
            .rx_stream::<Complex<i16>>(&[CHANNEL])
            .map_err(|e| err("stream", e))?;
        let mtu = stream.mtu().unwrap_or(65_536).clamp(1024, 1 << 20);
        stream.activate(None).map_err(|e| err("start", e))?;
        let hardware = dev.hardware_key().unwrap_or_else(|_| "device".into());
        Ok(Box::new(SoapyRadio {
            description: format!("SoapySDR {hardware} ({args})"),
            _device: dev,
            stream,
            buf: vec![Complex::new(0, 0); mtu],
            overflows: 0,
        }))
    }
}

struct SoapyRadio {
    description: String,
    _device: Device,
    stream: RxStream<Complex<i16>>,
    buf: Vec<Complex<i16>>,
    overflows: u64,
}

impl Radio for SoapyRadio {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn format(&self) -> dsp::IqFormat {
        dsp::IqFormat::Cs16
    }

    fn read(&mut self, out: &mut Vec<u8>) -> Result<(), RadioError> {
        match self.stream.read(&mut [&mut self.buf[..]], 250_000) {
            Ok(n) => {
                for s in &self.buf[..n] {
                    out.extend_from_slice(&s.re.to_le_bytes());
                    out.extend_from_slice(&s.im.to_le_bytes());
                }
                Ok(())
            }
            Err(e) => match e.code {
                soapysdr::ErrorCode::Timeout => Ok(()),
                // An overflow lost samples; the stream goes on. Counted as one MTU each.
                soapysdr::ErrorCode::Overflow => {
                    self.overflows += 1;
                    Ok(())
                }
                _ => Err(RadioError::Device(format!("SoapySDR read: {e}"))),
            },
        }
    }

    fn gains(&self) -> Vec<i32> {
        Vec::new()
    }

    fn set_gain(&mut self, _tenths_db: i32) -> Result<(), RadioError> {
        Err(RadioError::Device("gain is the device's own here".into()))
    }

    fn dropped_samples(&self) -> u64 {
        self.overflows * self.buf.len() as u64
    }
}
