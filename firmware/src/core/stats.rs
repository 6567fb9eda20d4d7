//! Receiver statistics: message rates (by downlink format, by band, repaired), aircraft
//! counts, range (maximum and a polar outline by bearing), signal and noise histograms,
//! process CPU and memory, and a one-minute history for the UI's charts. Fixed memory; time
//! and process usage are parameters.

use crate::core::track::position::{bearing_deg, distance_nm};
use crate::core::track::TrackTable;
use dsp::cpr::Position;
use dsp::decode::Source;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Bearing sectors of the range outline (10° each).
pub const SECTORS: usize = 36;
/// Histogram bins: 1 dB each from −60 dBFS to 0.
pub const DB_BINS: usize = 60;
/// Minutes of history kept.
pub const HISTORY_MINUTES: usize = 60;

/// CPU seconds and resident memory of the process, as the caller measured them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ProcessUsage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

/// Reads this process's usage from /proc (Linux); `None` elsewhere or on error.
pub fn process_usage() -> Option<ProcessUsage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ on Linux
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // VmRSS is in kB whatever the page size (Raspberry Pi 5 kernels use 16 KiB pages).
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(ProcessUsage {
        cpu_seconds: (utime + stime) / ticks,
        rss_bytes: rss_kb * 1024,
    })
}

/// One minute of history.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Minute {
    /// Start of the minute (seconds on the caller's clock).
    pub start: f64,
    pub messages: u64,
    pub repaired: u64,
    pub aircraft: usize,
    pub with_position: usize,
    pub max_range_nm: f64,
    pub mean_signal_dbfs: Option<f64>,
    pub cpu_percent: Option<f64>,
}

#[derive(Clone, Debug, Default)]
struct Counters {
    messages: u64,
    /// Of `messages`, those from the 978 MHz band.
    uat: u64,
    /// ACARS blocks (VHF); not in `messages`, which counts aircraft surveillance messages.
    acars: u64,
    vdl2: u64,
    repaired: u64,
    by_df: BTreeMap<u8, u64>,
    signal_sum: f64,
}

pub struct Stats {
    start: f64,
    minute_start: f64,
    current: Counters,
    total: Counters,
    signal: [u64; DB_BINS],
    noise: [u64; DB_BINS],
    outline: [f64; SECTORS],
    max_range_nm: f64,
    minute_range_nm: f64,
    history: VecDeque<Minute>,
    last_usage: Option<(f64, ProcessUsage)>,
    usage: Option<ProcessUsage>,
}

/// What `stats:tick` and `stats-summary` report.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub uptime_s: f64,
    pub messages_total: u64,
    pub repaired_total: u64,
    pub messages_last_minute: u64,
    pub messages_per_second: f64,
    pub by_df: BTreeMap<String, u64>,
    pub by_band: BTreeMap<&'static str, u64>,
    pub aircraft: usize,
    pub aircraft_with_position: usize,
    pub aircraft_by_source: BTreeMap<&'static str, usize>,
    pub max_range_nm: f64,
    /// Farthest position per 10° bearing sector, from 0° (north) clockwise, NM.
    pub range_outline_nm: Vec<f64>,
    /// Counts per 1 dB bin from −60 dBFS (first) to 0 dBFS.
    pub signal_histogram: Vec<u64>,
    pub noise_histogram: Vec<u64>,
    pub process: Option<ProcessUsage>,
    pub history: Vec<Minute>,
}

fn bin(dbfs: f32) -> usize {
    ((f64::from(dbfs) + DB_BINS as f64).floor().max(0.0) as usize).min(DB_BINS - 1)
}

impl Stats {
    pub fn new(now: f64) -> Self {
        Self {
            start: now,
            minute_start: now,
            current: Counters::default(),
            total: Counters::default(),
            signal: [0; DB_BINS],
            noise: [0; DB_BINS],
            outline: [0.0; SECTORS],
            max_range_nm: 0.0,
            minute_range_nm: 0.0,
            history: VecDeque::with_capacity(HISTORY_MINUTES),
            last_usage: None,
            usage: None,
        }
    }

    /// Counts one decoded frame.
    pub fn record_frame(&mut self, df: u8, repaired: bool, signal_dbfs: f32, noise_dbfs: f32) {
        for c in [&mut self.current, &mut self.total] {
            c.messages += 1;
            c.repaired += u64::from(repaired);
            *c.by_df.entry(df).or_default() += 1;
            c.signal_sum += f64::from(signal_dbfs);
        }
        self.signal[bin(signal_dbfs)] += 1;
        self.noise[bin(noise_dbfs)] += 1;
    }

    /// Counts a UAT frame (978 MHz): a message of its band; its signal joins the histogram.
    pub fn record_uat(&mut self, repaired: bool, signal_dbfs: f32) {
        for c in [&mut self.current, &mut self.total] {
            c.messages += 1;
            c.uat += 1;
            c.repaired += u64::from(repaired);
            c.signal_sum += f64::from(signal_dbfs);
        }
        self.signal[bin(signal_dbfs)] += 1;
    }

    /// Counts an ACARS block.
    pub fn record_vdl2(&mut self) {
        self.current.vdl2 += 1;
        self.total.vdl2 += 1;
    }

    pub fn record_acars(&mut self) {
        self.current.acars += 1;
        self.total.acars += 1;
    }

    /// Extends the range outline with a position fix.
    pub fn record_position(&mut self, receiver: Position, p: Position) {
        let d = distance_nm(receiver, p);
        let sector =
            ((bearing_deg(receiver, p) / (360.0 / SECTORS as f64)) as usize).min(SECTORS - 1);
        self.outline[sector] = self.outline[sector].max(d);
        self.max_range_nm = self.max_range_nm.max(d);
        self.minute_range_nm = self.minute_range_nm.max(d);
    }

    /// Closes the minute when it is over; call about once a second.
    pub fn tick(&mut self, table: &TrackTable, usage: Option<ProcessUsage>, now: f64) {
        self.usage = usage.or(self.usage);
        if now - self.minute_start < 60.0 {
            return;
        }
        let cpu_percent = match (self.last_usage, usage) {
            (Some((t0, u0)), Some(u1)) if now > t0 => {
                Some(100.0 * (u1.cpu_seconds - u0.cpu_seconds) / (now - t0))
            }
            _ => None,
        };
        if let Some(u) = usage {
            self.last_usage = Some((now, u));
        }
        let c = std::mem::take(&mut self.current);
        let minute = Minute {
            start: self.minute_start,
            messages: c.messages,
            repaired: c.repaired,
            aircraft: table.len(),
            with_position: table.iter().filter(|a| a.position.get().is_some()).count(),
            max_range_nm: (self.minute_range_nm * 10.0).round() / 10.0,
            mean_signal_dbfs: (c.messages > 0)
                .then(|| ((c.signal_sum / c.messages as f64) * 10.0).round() / 10.0),
            cpu_percent: cpu_percent.map(|p| (p * 10.0).round() / 10.0),
        };
        if self.history.len() == HISTORY_MINUTES {
            self.history.pop_front();
        }
        self.history.push_back(minute);
        self.minute_range_nm = 0.0;
        self.minute_start = now;
    }

    pub fn summary(&self, table: &TrackTable, now: f64) -> Summary {
        let last = self.history.back();
        let mut by_source: BTreeMap<&'static str, usize> = BTreeMap::new();
        for a in table.iter() {
            let name = match a.source.get() {
                Some(Source::Adsb) => "adsb",
                Some(Source::Adsr) => "adsr",
                Some(Source::Tisb) => "tisb",
                _ => "mode_s",
            };
            *by_source.entry(name).or_default() += 1;
        }
        // The current minute's rate; in its first seconds, with the minute before it (a rate
        // over a second or two just after the turn of the minute would read about 0).
        let span = (now - self.minute_start).max(1.0);
        let (counted, over) = match last {
            Some(m) if span < 10.0 => (self.current.messages + m.messages, span + 60.0),
            _ => (self.current.messages, span),
        };
        Summary {
            uptime_s: (now - self.start).max(0.0),
            messages_total: self.total.messages,
            repaired_total: self.total.repaired,
            messages_last_minute: last.map_or(self.current.messages, |m| m.messages),
            messages_per_second: ((counted as f64 / over) * 10.0).round() / 10.0,
            by_df: self
                .total
                .by_df
                .iter()
                .map(|(df, n)| (format!("DF{df}"), *n))
                .collect(),
            by_band: BTreeMap::from([
                ("1090", self.total.messages - self.total.uat),
                ("978", self.total.uat),
                ("vhf", self.total.acars),
                ("vdl2", self.total.vdl2),
            ]),
            aircraft: table.len(),
            aircraft_with_position: table.iter().filter(|a| a.position.get().is_some()).count(),
            aircraft_by_source: by_source,
            max_range_nm: (self.max_range_nm * 10.0).round() / 10.0,
            range_outline_nm: self
                .outline
                .iter()
                .map(|d| (d * 10.0).round() / 10.0)
                .collect(),
            signal_histogram: self.signal.to_vec(),
            noise_histogram: self.noise.to_vec(),
            process: self.usage,
            history: self.history.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::track::TrackConfig;

    #[test]
    fn counts_rates_histograms_and_history() {
        let table = TrackTable::new(TrackConfig::default());
        let mut s = Stats::new(0.0);
        for i in 0..120 {
            s.record_frame(if i % 3 == 0 { 11 } else { 17 }, i % 10 == 0, -20.5, -45.2);
        }
        let sum = s.summary(&table, 30.0);
        assert_eq!((sum.messages_total, sum.repaired_total), (120, 12));
        assert_eq!(sum.by_df.get("DF11"), Some(&40));
        assert_eq!(sum.messages_per_second, 4.0);
        assert_eq!(
            sum.signal_histogram[39], 120,
            "−20.5 dBFS is in the −21..−20 bin"
        );
        assert_eq!(sum.noise_histogram[14], 120);
        s.tick(
            &table,
            Some(ProcessUsage {
                cpu_seconds: 1.0,
                rss_bytes: 10 << 20,
            }),
            30.0,
        );
        assert!(
            s.summary(&table, 30.0).history.is_empty(),
            "minute not over yet"
        );
        s.tick(
            &table,
            Some(ProcessUsage {
                cpu_seconds: 4.0,
                rss_bytes: 10 << 20,
            }),
            60.0,
        );
        let h = s.summary(&table, 60.0).history;
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].messages, h[0].repaired, h[0].mean_signal_dbfs),
            (120, 12, Some(-20.5))
        );
        for m in 2..200 {
            s.tick(&table, None, 60.0 * f64::from(m));
        }
        assert_eq!(
            s.summary(&table, 12_000.0).history.len(),
            HISTORY_MINUTES,
            "bounded"
        );
    }

    #[test]
    fn the_rate_just_after_the_minute_turns_counts_the_minute_before() {
        let table = TrackTable::new(TrackConfig::default());
        let mut s = Stats::new(0.0);
        for _ in 0..120 {
            s.record_frame(17, false, -20.5, -45.2);
        }
        s.tick(&table, None, 60.0);
        s.record_frame(17, false, -20.5, -45.2);
        assert_eq!(
            s.summary(&table, 61.0).messages_per_second,
            2.0,
            "121 in 61 s"
        );
        assert_eq!(
            s.summary(&table, 80.0).messages_per_second,
            0.1,
            "1 in 20 s"
        );
    }

    #[test]
    fn range_outline_by_bearing() {
        let rx = Position {
            lat: 52.0,
            lon: 4.0,
        };
        let mut s = Stats::new(0.0);
        s.record_position(
            rx,
            Position {
                lat: 53.0,
                lon: 4.0,
            },
        );
        s.record_position(
            rx,
            Position {
                lat: 52.0,
                lon: 5.0,
            },
        );
        s.record_position(
            rx,
            Position {
                lat: 52.5,
                lon: 4.0,
            },
        );
        let sum = s.summary(&TrackTable::new(TrackConfig::default()), 1.0);
        assert_eq!(sum.range_outline_nm[0], 60.0);
        assert!(
            (sum.range_outline_nm[8] - 36.9).abs() < 0.2,
            "{:?}",
            sum.range_outline_nm
        );
        assert_eq!(sum.max_range_nm, 60.0);
        assert_eq!(sum.range_outline_nm.len(), SECTORS);
    }

    #[test]
    fn process_usage_reads_proc() {
        let u = process_usage().expect("Linux /proc");
        assert!(u.rss_bytes > 1 << 20);
    }
}
