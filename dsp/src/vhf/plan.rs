//! Where a VHF dongle can be tuned for a set of channels, and whether a tuning works: every
//! channel a whole channel width inside the sampled band's edges, clear of the receiver's DC
//! spike, and off the image of every other channel (the I/Q imbalance of an RTL-SDR mirrors
//! a strong signal at −f with only 25–40 dB of rejection).

/// A channel of the plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Planned {
    pub frequency_hz: f64,
    /// Channel spacing: 25 kHz (ACARS, VDL2, 25 kHz voice) or 8.33 kHz.
    pub width_hz: f64,
}

/// Why a channel cannot be received at a tuning.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanProblem {
    #[error("{freq} MHz is outside the usable band {lo:.4}–{hi:.4} MHz (one channel width inside the sampled band's edges)", freq = mhz(*.frequency_hz), lo = mhz(*.lo_hz), hi = mhz(*.hi_hz))]
    OutsideBand {
        frequency_hz: f64,
        lo_hz: f64,
        hi_hz: f64,
    },
    #[error("{} MHz is {:.1} kHz from the centre: too close to the receiver's DC spike (keep {:.1} kHz)", mhz(*.frequency_hz), .distance_hz / 1e3, .needed_hz / 1e3)]
    NearDc {
        frequency_hz: f64,
        distance_hz: f64,
        needed_hz: f64,
    },
    #[error("{} MHz is on the image of {} MHz (the receiver mirrors one onto the other)", mhz(*.frequency_hz), mhz(*.other_hz))]
    OnImage { frequency_hz: f64, other_hz: f64 },
    #[error("no centre frequency fits every channel at this sample rate ({0})")]
    NoCentre(Box<PlanProblem>),
    #[error("no channels")]
    Empty,
}

fn mhz(hz: f64) -> String {
    let s = format!("{:.5}", hz / 1e6);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl PlanProblem {
    /// The channel the problem is about (for the error that names it).
    pub fn frequency_hz(&self) -> Option<f64> {
        match self {
            PlanProblem::OutsideBand { frequency_hz, .. }
            | PlanProblem::NearDc { frequency_hz, .. }
            | PlanProblem::OnImage { frequency_hz, .. } => Some(*frequency_hz),
            PlanProblem::NoCentre(p) => p.frequency_hz(),
            PlanProblem::Empty => None,
        }
    }
}

/// How far a channel must stay from DC: half its width plus 5 kHz for the spike itself.
fn dc_guard(c: &Planned) -> f64 {
    c.width_hz / 2.0 + 5_000.0
}

/// The smallest margin (Hz) by which a tuning meets the rules, or the first rule it breaks.
fn margin(centre_hz: f64, rate_hz: f64, channels: &[Planned]) -> Result<f64, PlanProblem> {
    let mut worst = f64::INFINITY;
    let (lo, hi) = (centre_hz - rate_hz / 2.0, centre_hz + rate_hz / 2.0);
    for c in channels {
        let edge = (c.frequency_hz - c.width_hz - lo).min(hi - c.width_hz - c.frequency_hz);
        if edge < -0.5 {
            return Err(PlanProblem::OutsideBand {
                frequency_hz: c.frequency_hz,
                lo_hz: lo + c.width_hz,
                hi_hz: hi - c.width_hz,
            });
        }
        let dc = (c.frequency_hz - centre_hz).abs();
        if dc < dc_guard(c) - 0.5 {
            return Err(PlanProblem::NearDc {
                frequency_hz: c.frequency_hz,
                distance_hz: dc,
                needed_hz: dc_guard(c),
            });
        }
        worst = worst.min(edge).min(dc - dc_guard(c));
    }
    for (i, a) in channels.iter().enumerate() {
        for b in &channels[i + 1..] {
            // a's image sits at 2·centre − a; it must stay half a channel clear of b.
            let image = 2.0 * centre_hz - a.frequency_hz;
            let clear = (image - b.frequency_hz).abs() - a.width_hz.max(b.width_hz) / 2.0;
            if clear < -0.5 {
                return Err(PlanProblem::OnImage {
                    frequency_hz: b.frequency_hz,
                    other_hz: a.frequency_hz,
                });
            }
            worst = worst.min(clear);
        }
    }
    Ok(worst)
}

/// Checks a tuning; the error names the first channel that does not fit.
pub fn check(centre_hz: f64, rate_hz: f64, channels: &[Planned]) -> Result<(), PlanProblem> {
    if channels.is_empty() {
        return Err(PlanProblem::Empty);
    }
    margin(centre_hz, rate_hz, channels).map(|_| ())
}

/// The centre (on a 100 Hz grid) that meets the rules with the widest margin.
pub fn auto_centre(rate_hz: f64, channels: &[Planned]) -> Result<f64, PlanProblem> {
    let lo = channels
        .iter()
        .map(|c| c.frequency_hz)
        .fold(f64::INFINITY, f64::min);
    let hi = channels
        .iter()
        .map(|c| c.frequency_hz)
        .fold(f64::NEG_INFINITY, f64::max);
    if channels.is_empty() {
        return Err(PlanProblem::Empty);
    }
    let mid = ((lo + hi) / 2.0 / 100.0).round() * 100.0;
    let mut best: Option<(f64, f64)> = None;
    let mut first_problem = None;
    let steps = (rate_hz / 2.0 / 100.0) as i64;
    for k in -steps..=steps {
        let centre = mid + k as f64 * 100.0;
        match margin(centre, rate_hz, channels) {
            Ok(m) => {
                // The widest margin; on a tie, the centre nearest the middle of the channels.
                if best.is_none_or(|(bm, bc)| {
                    m > bm + 1e-6
                        || ((m - bm).abs() <= 1e-6 && (centre - mid).abs() < (bc - mid).abs())
                }) {
                    best = Some((m, centre));
                }
            }
            Err(p) => {
                if k == 0 {
                    first_problem = Some(p);
                }
            }
        }
    }
    match best {
        Some((_, c)) => Ok(c),
        None => Err(PlanProblem::NoCentre(Box::new(
            first_problem.unwrap_or(PlanProblem::Empty),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US_ACARS: [f64; 6] = [129.125, 130.025, 130.425, 130.450, 131.125, 131.550];

    fn acars(mhz: &[f64]) -> Vec<Planned> {
        mhz.iter()
            .map(|f| Planned {
                frequency_hz: f * 1e6,
                width_hz: 25_000.0,
            })
            .collect()
    }

    #[test]
    fn the_six_us_acars_channels_fit_at_2_5_but_not_2_4_msps() {
        let ch = acars(&US_ACARS);
        let c = auto_centre(2_500_000.0, &ch).expect("fits at 2.5 MS/s");
        check(c, 2_500_000.0, &ch).unwrap();
        // The span is 2.425 MHz: the centre sits within a few kHz of the middle, off the
        // image of the outer pair.
        assert!((c - 130_337_500.0).abs() <= 12_500.0, "{c}");
        let e = auto_centre(2_400_000.0, &ch).unwrap_err();
        assert!(matches!(e, PlanProblem::NoCentre(_)), "{e}");
    }

    #[test]
    fn each_rule_names_its_channel() {
        let ch = acars(&[130.025, 131.55]);
        let e = check(130.0e6, 2.4e6, &ch).unwrap_err();
        assert!(matches!(e, PlanProblem::OutsideBand { .. }), "{e}");
        assert!((e.frequency_hz().unwrap() - 131.55e6).abs() < 1.0);
        let e = check(130.03e6, 2.4e6, &ch).unwrap_err();
        assert!(matches!(e, PlanProblem::NearDc { .. }), "{e}");
        assert!(e.to_string().contains("130.025 MHz"), "{e}");
        // 130.025 and 131.55 mirror each other about 130.7875.
        let e = check(130.7875e6, 2.4e6, &ch).unwrap_err();
        assert!(matches!(e, PlanProblem::OnImage { .. }), "{e}");
        check(130.8e6, 2.4e6, &ch).unwrap();
    }
}
