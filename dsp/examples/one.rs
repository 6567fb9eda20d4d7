//! Developer probe: one reply at a given start phase and SNR through the demodulator.
use dsp::cpr::Position;
use dsp::gen::encode::airborne_position;
use dsp::gen::modulate::{Carrier, Modulator};
use dsp::{IqFormat, Receiver, RepairConfig, SampleRate};
use num_complex::Complex32;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let rate = if a[1] == "2.0" {
        SampleRate::Msps2_0
    } else {
        SampleRate::Msps2_4
    };
    let frac: f64 = a[2].parse().unwrap();
    let m = Modulator::new(rate);
    let r = airborne_position(
        0x4840d6,
        Position {
            lat: 52.1,
            lon: 4.3,
        },
        35000,
        false,
    );
    let mut ok = 0;
    for k in 0..100 {
        let mut buf = vec![Complex32::new(0.0, 0.0); 2000];
        m.add(
            &mut buf,
            0.0,
            &r,
            500.0 + frac,
            Carrier {
                amp: 0.5,
                offset_hz: 0.0,
                phase: k as f64 * 0.3,
            },
        );
        let iq: Vec<u8> = buf
            .iter()
            .flat_map(|z| {
                [
                    (127.5 + 127.5 * z.re).round() as u8,
                    (127.5 + 127.5 * z.im).round() as u8,
                ]
            })
            .collect();
        let mut rx = Receiver::new(
            IqFormat::Cu8,
            rate,
            RepairConfig {
                fix_1bit: false,
                fix_2bit: false,
                soft: false,
            },
        );
        let mut out = Vec::new();
        rx.push(&iq, &mut out);
        rx.finish(&mut out);
        if out.iter().any(|f| f.data() == r.data()) {
            ok += 1;
        } else if k == 0 {
            eprintln!(
                "{:?}",
                out.iter().map(|f| (f.hex(), f.sample)).collect::<Vec<_>>()
            );
        }
    }
    println!("{ok}/100");
}
