//! Logs a journal can read: one line per event with its fields, colour only on a terminal,
//! and repeats of the same complaint (a flapping dongle, a flood of refused connections)
//! held to one line per interval with a count of what was left out.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Crates whose debug and trace lines carry whole packets (a Socket.IO connect's `auth`
/// payload holds the client's token): held to `info` whatever `RUST_LOG` asks.
const PACKET_LOGGERS: [&str; 6] = [
    "socketioxide",
    "engineioxide",
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
];

/// Sets up the process's log: `RUST_LOG` (default `info`) to standard error, with ANSI colour
/// only when standard error is a terminal (journald and `2> file` get plain text). A second
/// call (tests running `main` twice) keeps the first.
pub fn init() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for target in PACKET_LOGGERS {
        if let Ok(d) = format!("{target}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// At most one log line per `every` for one kind of event.
#[derive(Debug)]
pub struct Throttle {
    every: Duration,
    /// When the last line went out, and how many events were left out since.
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttle {
    pub const fn new(every: Duration) -> Self {
        Self {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// Whether to log this event now: `Some(n)` with the number of events left out since the
    /// last line, or `None` to leave this one out (it is counted).
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    pub fn allow_at(&self, now: Instant) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match s.0 {
            Some(last) if now.saturating_duration_since(last) < self.every => {
                s.1 += 1;
                None
            }
            _ => {
                let left_out = s.1;
                *s = (Some(now), 0);
                Some(left_out)
            }
        }
    }
}

/// " (N more like it not logged)" after a throttled line, or nothing.
pub fn left_out(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} more like it not logged)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count_of_the_rest() {
        let t = Throttle::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(t.allow_at(t0), Some(0));
        for s in 1..10 {
            assert_eq!(t.allow_at(t0 + Duration::from_secs(s)), None);
        }
        assert_eq!(t.allow_at(t0 + Duration::from_secs(10)), Some(9));
        assert_eq!(t.allow_at(t0 + Duration::from_secs(11)), None);
        assert_eq!(t.allow_at(t0 + Duration::from_secs(25)), Some(1));
        assert_eq!(left_out(0), "");
        assert_eq!(left_out(3), " (3 more like it not logged)");
    }
}
