//! The picture's clock: seconds on one timeline for every source, on tokio's clock (so tests
//! run it on paused time).
//!
//! ```text
//!   live sources ───────────────── core time runs at wall rate; a block ends "now"
//!   replay plays  ── core time follows the replay's stream time (at its speed)
//!   replay ends   ─────────────── core time carries on from there at wall rate
//! ```
//!
//! A live source's (radio, simulator, network input) block is stamped when it arrives: its
//! last sample is *now*, its messages as far before now as they were before the block's end.
//! A replay's block instead moves the clock to the block's stream time, so a replay at 4×
//! ages tracks and pairs CPR frames as the air did. Either way the clock keeps running between
//! blocks and after the last one: housekeeping on it expires aircraft 60 s after their last
//! message, whatever the sources do.
//!
//! Replays of several bands (`[source] also`) start together and share the timeline: each
//! block moves it to the furthest stream time yet, and the clock hands over to wall rate when
//! the last of them ends. A band that falls behind (a machine too slow for the speed) stamps
//! its messages that far in the past, as they were. While a replay plays the clock runs at
//! most [`REPLAY_LEAD_S`] of stream time ahead of the furthest block: a replay (or a simulator
//! at a speed) that the machine cannot carry sets the pace, instead of its aircraft ageing away
//! behind a clock running at the nominal speed. When no replay block has come for
//! [`REPLAY_STALL`] the clock runs on at the replay's speed, so a replay that died still ages
//! the picture.

use crate::source::{Block, Timing};
use std::time::Duration;
use tokio::time::Instant;

/// How far ahead of the furthest replay block the clock may run (stream seconds). A block is
/// 50 ms of samples, so a replay that keeps its speed never meets this bound.
pub const REPLAY_LEAD_S: f64 = 1.0;

/// No replay block for this long (wall time): the replay stalled, and the clock runs on.
pub const REPLAY_STALL: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Clock {
    /// Core time `anchor_s` was at `anchor_at`; it runs at `rate` × wall time from there.
    anchor_s: f64,
    anchor_at: Instant,
    rate: f64,
    /// The furthest stream time a replay block has reached, and when it came: the clock's
    /// bound while a replay plays.
    furthest_s: f64,
    furthest_at: Instant,
    /// Each replay source seen (by its index in the source set) and whether it has ended.
    replays: Vec<(Option<usize>, bool)>,
}

impl Clock {
    /// A clock at 0 s now, at wall rate.
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            anchor_s: 0.0,
            anchor_at: now,
            rate: 1.0,
            furthest_s: 0.0,
            furthest_at: now,
            replays: Vec::new(),
        }
    }

    /// Core time now (s).
    pub fn now(&self) -> f64 {
        self.at(Instant::now())
    }

    fn at(&self, instant: Instant) -> f64 {
        let since = instant.saturating_duration_since(self.anchor_at);
        let free = self.anchor_s + since.as_secs_f64() * self.rate;
        if !self.replaying() {
            return free;
        }
        // Run ahead of the furthest replay block by at most the lead, and on from there once
        // the replay has stalled; never back from where the clock was last anchored (a
        // replay that resumes behind the clock holds it still until the stream catches up).
        let stalled = instant
            .saturating_duration_since(self.furthest_at)
            .saturating_sub(REPLAY_STALL)
            .as_secs_f64();
        let bound = self.furthest_s + REPLAY_LEAD_S + stalled * self.rate;
        free.min(bound).max(self.anchor_s)
    }

    /// Takes a block: advances the clock for a replay, and returns the offset that turns the
    /// block's stream times into core times.
    pub fn on_block(&mut self, block: &Block) -> f64 {
        let now_instant = Instant::now();
        let now = self.at(now_instant);
        match block.timing {
            Timing::Live => now - block.stream_s,
            Timing::Replay { speed } => {
                // The replay's stream time is the picture's time; never backwards.
                let t = now.max(block.stream_s);
                match self.replays.iter_mut().find(|(s, _)| *s == block.source) {
                    Some((_, ended)) => *ended = block.end,
                    None => self.replays.push((block.source, block.end)),
                }
                self.anchor_s = t;
                self.anchor_at = now_instant;
                self.furthest_s = self.furthest_s.max(block.stream_s);
                self.furthest_at = now_instant;
                self.rate = if self.replaying() { speed } else { 1.0 };
                0.0
            }
        }
    }

    /// Whether a replay is setting the time (one has played and not every one has ended).
    pub fn replaying(&self) -> bool {
        self.replays.iter().any(|&(_, ended)| !ended)
    }

    /// Wall-clock milliseconds of core time `t`, given the wall clock now (`wall_now_ms`):
    /// the picture's times as clients see them.
    pub fn wall_ms(&self, t: f64, wall_now_ms: u64) -> u64 {
        let back_s = (self.now() - t) / self.rate;
        let ms = wall_now_ms as f64 - back_s * 1000.0;
        ms.max(0.0).round() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn block(timing: Timing, stream_s: f64, end: bool) -> Block {
        from(0, timing, stream_s, end)
    }

    fn from(source: usize, timing: Timing, stream_s: f64, end: bool) -> Block {
        let mut b = Block::new(Some(source), timing, stream_s);
        b.end = end;
        b
    }

    #[tokio::test(start_paused = true)]
    async fn live_time_runs_at_wall_rate_and_blocks_end_now() {
        let mut c = Clock::new();
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(c.now(), 10.0);
        // A live source whose own stream clock says 3 s: its block ends now.
        let offset = c.on_block(&block(Timing::Live, 3.0, false));
        assert_eq!(3.0 + offset, 10.0);
        tokio::time::advance(Duration::from_millis(2500)).await;
        assert_eq!(c.now(), 12.5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replay_the_machine_cannot_carry_sets_the_pace_and_a_stalled_one_still_ages() {
        let mut c = Clock::new();
        let speed = Timing::Replay { speed: 8.0 };
        c.on_block(&block(speed, 10.0, false));
        // A second later the replay has delivered only 2 s of stream (a quarter of its speed):
        // the clock waits for it instead of running 8 s ahead.
        tokio::time::advance(Duration::from_millis(1000)).await;
        assert_eq!(c.now(), 10.0 + REPLAY_LEAD_S);
        c.on_block(&block(speed, 12.0, false));
        assert_eq!(c.now(), 12.0);
        tokio::time::advance(Duration::from_millis(10)).await;
        assert!((c.now() - 12.08).abs() < 1e-9, "at speed between blocks");
        // No block at all: after the stall time the clock runs on at the replay's speed.
        tokio::time::advance(REPLAY_STALL - Duration::from_millis(10)).await;
        assert_eq!(c.now(), 12.0 + REPLAY_LEAD_S);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!((c.now() - (12.0 + REPLAY_LEAD_S + 8.0)).abs() < 1e-9);
    }

    /// The case a single late block does not show: blocks keep coming, each a little later
    /// than the speed says (a simulator at 8x that the machine runs at 2x). The clock must
    /// stay with the stream, not creep ahead by what the speed adds between blocks.
    #[tokio::test(start_paused = true)]
    async fn a_replay_that_keeps_coming_slower_than_its_speed_keeps_the_clock_with_it() {
        let mut c = Clock::new();
        let speed = Timing::Replay { speed: 8.0 };
        let mut stream = 0.0;
        for _ in 0..400 {
            stream += 0.05;
            c.on_block(&block(speed, stream, false));
            tokio::time::advance(Duration::from_millis(25)).await;
            let ahead = c.now() - stream;
            assert!(
                (0.0..=REPLAY_LEAD_S + 1e-9).contains(&ahead),
                "the clock ran {ahead:.2} s ahead of the stream at {stream:.2} s"
            );
        }
        // 20 s of stream in 10 s of wall time: the picture's clock went with the stream.
        assert!((c.now() - 20.0).abs() <= REPLAY_LEAD_S + 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_replay_sets_the_time_then_hands_over_to_wall_time() {
        let mut c = Clock::new();
        let speed = Timing::Replay { speed: 4.0 };
        assert_eq!(c.on_block(&block(speed, 0.2, false)), 0.0);
        assert_eq!(c.now(), 0.2);
        assert!(c.replaying());
        // Between blocks the clock runs at the replay's speed.
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!((c.now() - 0.4).abs() < 1e-9);
        c.on_block(&block(speed, 20.0, true));
        assert_eq!(c.now(), 20.0);
        assert!(!c.replaying());
        // After the end: wall rate, from where the replay stopped.
        tokio::time::advance(Duration::from_secs(60)).await;
        assert_eq!(c.now(), 80.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_never_runs_backwards() {
        let mut c = Clock::new();
        tokio::time::advance(Duration::from_secs(5)).await;
        c.on_block(&block(Timing::Replay { speed: 1.0 }, 1.0, false));
        assert_eq!(c.now(), 5.0);
    }

    #[tokio::test(start_paused = true)]
    async fn wall_times_are_scaled_by_the_replay_speed() {
        let mut c = Clock::new();
        c.on_block(&block(Timing::Replay { speed: 2.0 }, 100.0, false));
        // 10 s of stream ago at 2× is 5 s of wall ago.
        assert_eq!(c.wall_ms(90.0, 1_000_000), 995_000);
    }

    #[tokio::test(start_paused = true)]
    async fn two_replays_share_the_timeline_until_the_last_one_ends() {
        let mut c = Clock::new();
        let speed = Timing::Replay { speed: 10.0 };
        c.on_block(&from(0, speed, 1.0, false));
        // The other band a little behind: its messages keep their stream times, the clock
        // does not go back.
        assert_eq!(c.on_block(&from(1, speed, 0.8, false)), 0.0);
        assert_eq!(c.now(), 1.0);
        // The shorter recording ends; the other still sets the pace.
        c.on_block(&from(0, speed, 30.0, true));
        assert!(c.replaying());
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!((c.now() - 31.0).abs() < 1e-9, "{}", c.now());
        c.on_block(&from(1, speed, 60.0, true));
        assert!(!c.replaying());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.now(), 61.0);
    }
}
