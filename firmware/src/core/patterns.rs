//! Recognition of surveillance flight patterns in an aircraft's recent track.
//!
//! Pure functions over a position history (oldest first, typically the last
//! 10–15 minutes of ADS-B positions). Each recogniser answers whether the
//! aircraft is *now* flying one pattern, where the pattern is centred, and how
//! big it is:
//!
//! | pattern | what it means | `extent_nm` |
//! |---|---|---|
//! | [`Pattern::Circling`] | orbiting a point | orbit radius |
//! | [`Pattern::Racetrack`] | an oval of two long parallel legs, flown repeatedly | half the oval's length (legs + width) |
//! | [`Pattern::GridSearch`] | a lawn-mower / ladder of parallel legs | half the larger side of the area searched so far |
//! | [`Pattern::Loitering`] | staying over a small area, none of the above | largest distance from the area's centroid |
//!
//! All thresholds are the `pub const`s below; the numbers quoted here are
//! their values.
//!
//! # Preparing the track
//!
//! Fixes with a non-finite time or position, or a position off the globe, are
//! dropped, as is any fix whose time is not later than the last kept one
//! (duplicates and out-of-order fixes are skipped, never sorted). Only the
//! last [`MAX_WINDOW_S`] (900 s) are used, decimated to one fix per
//! [`MIN_SPACING_S`] (2 s), and an isolated fix implying more than
//! [`MAX_PLAUSIBLE_KT`] is taken as a glitch. Positions are projected onto a
//! local flat earth (equirectangular: nautical miles east and north of the
//! newest fix, longitude differences wrapped across the antimeridian): all
//! patterns fit in a few nautical miles, where this is good to metres.
//!
//! At most 451 points survive, so after one O(n) pass over the input every
//! recogniser does a bounded amount of work however long the history is
//! (about 0.1–1 ms per call in a release build).
//!
//! # Circling
//!
//! For suffixes of the track of growing length (30 s, then ×1.1 each time, up
//! to the whole window) a circle is fitted algebraically (Kåsa: least squares
//! of `x² + y² + D x + E y + F`, a 3×3 linear solve). A suffix is an orbit when
//!
//! * the radius is within [`ORBIT_RADIUS_NM`] (0.08–2.3 nm: the 0.1–2 nm of
//!   real orbits with margin for the fit),
//! * the RMS radial residual is at most 10 % of the radius + 0.01 nm: the
//!   aircraft stays near one centre (holds and racetracks leave 15–30 %),
//! * the bearing from the centre sweeps at least [`ORBIT_MIN_SWEEP_DEG`]
//!   (330°) in one direction, no more than 10 % of it backwards, and the track
//!   angle itself turns at least [`ORBIT_MIN_TRACK_TURN_DEG`] (300°) the same
//!   way (a 270° turn followed by straight flight fails both),
//! * the ground speed is at least 20 kt.
//!
//! Over data gaps the angle step is ambiguous (a 30 s gap in a one-minute
//! orbit is half a turn), so a step that at the expected angular rate
//! `v / r` would exceed 0.75π is unwrapped to the multiple of 2π nearest that
//! expectation. The longest qualifying suffix wins; its circle is refitted
//! without the end of the approach if that lies off the orbit. Confidence
//! grows with the number of turns and the fit quality (0.5–0.98).
//!
//! # Straight legs
//!
//! Grid search and racetrack are built from straight legs. The track is
//! simplified with Douglas–Peucker ([`DP_TOLERANCE_NM`], 0.05 nm), adjacent
//! collinear pieces are merged, and each piece is refitted with a
//! principal-axis line whose ends are trimmed (twice) while they stray more
//! than [`LEG_TRIM_NM`] (0.02 nm) from it: that is where the turns begin.
//! What remains is a leg if it is at least [`LEG_MIN_NM`] (1.2 nm) long,
//! straight (RMS ≤ [`LEG_MAX_RMS_NM`], 0.02 nm) and seen along most of its
//! length (no data gap over 60 % of it). Turns cannot produce legs (a chord
//! of a turn of radius `r` that stays within `d` of the arc is only
//! `2 √(2 r d)` long, unless a gap hid the arc), and a leg cut in two around
//! a data gap is rejoined.
//!
//! The *recent run* is the longest chain of legs, ending with the newest, in
//! which each leg is flown the opposite way to the one before (within 20°)
//! and starts at most [`MAX_TURN_S`] (240 s) after it ended; the newest leg
//! ended at most [`MAX_STALE_S`] (240 s) before the newest fix (the aircraft
//! is still in the pattern). Every leg must lie within 12° of the run's mean
//! axis. In that axis's frame each leg has a lateral offset, and each turn
//! sits at one end of the pattern. Data gaps only ever shorten legs, so a turn
//! is placed at the outer of the two leg ends it joins, pushed further out by
//! half of any time the gap hides beyond a U-turn's (see `turn_position`),
//! and each end of the pattern at its outermost turn; turns at the same end
//! agree within 0.3 nm or a quarter of the leg. The newest leg, which may
//! still be in progress, must cover 60 % of the pattern's length to count;
//! otherwise the run is judged without it.
//!
//! # Grid search
//!
//! At least [`GRID_MIN_LEGS`] (3) legs, at least [`GRID_MIN_LEG_NM`] (1.5 nm)
//! between the pattern's ends, each offset sideways from the previous one in
//! the same direction by at least [`GRID_MIN_STEP_NM`] (0.15 nm), the largest
//! step at most 1.5 times the smallest and the median step no more than 1.5
//! legs (a ladder, not a staircase); the legs between two turns measure
//! 0.6–1.5 times the pattern's length (roughly equal legs). The oldest leg may
//! include the approach or start before the window.
//!
//! # Racetrack (and ATC holds)
//!
//! An *oval* is a run of at least three legs alternating between two lines
//! at least 0.2 nm apart (each leg within max(0.25 nm, 30 % of the width) of
//! its line). An oval is a **racetrack** only when it looks like surveillance
//! rather than air-traffic control:
//!
//! * at least [`RACETRACK_MIN_LEGS`] (4) legs: two laps, both lines flown
//!   twice,
//! * the legs between two turns have a median length of at least
//!   [`RACETRACK_MIN_LEG_NM`] (2 nm) **and** a median duration of at least
//!   [`RACETRACK_MIN_LEG_S`] (105 s),
//! * the median ground speed on the legs is at most [`SURVEILLANCE_MAX_KT`]
//!   (180 kt).
//!
//! An ATC holding pattern has 1-minute legs (1.5 minutes above 14,000 ft)
//! flown at 180–265 kt with rate-one or 25°-bank turns. Its legs measure
//! 60–70 s, or 90–100 s for 1.5-minute legs (which are flown at 230 kt or
//! more), so it fails the duration rule, the speed rule, or both, while the
//! surveillance racetracks this targets (2-minute or longer legs at up to
//! 180 kt) pass both. An oval that is not a racetrack is reported as nothing.
//!
//! # Loitering
//!
//! The newest suffix of at least [`LOITER_MIN_S`] (10 minutes; longer ones
//! tried in one-minute steps up to the whole window, which must reach back
//! that far) qualifies when every point lies within [`LOITER_MAX_RADIUS_NM`]
//! (3 nm) of the suffix's centroid, there is no data gap over 2 minutes, the
//! mean ground speed (path length over time) is between [`LOITER_MIN_KT`]
//! (30 kt: hovering, taxiing and position noise, which alone reads about
//! 15 kt, stay below) and [`SURVEILLANCE_MAX_KT`] (180 kt), the path is at
//! least [`LOITER_MIN_WANDER`] (1.5) times the area's diameter, and in each
//! third of the time the distance made good is at most
//! [`LOITER_MAX_STRAIGHTNESS`] (80 %) of the distance flown (a slow straight
//! transit, or an approach followed by a few minutes over the spot, fails).
//! Time spent on a slow approach *inside* the area counts.
//!
//! It is not reported when the track is clearly circling, a grid search, an
//! oval in the recent run, or when the window holds two laps of an oval even
//! with legs lost in data gaps (four or more legs on two parallel lines, each
//! line flown in its own direction): an ATC hold must not pass for loitering.
//! Confidence is 0.4–0.6, growing with the duration.
//!
//! # Combining
//!
//! [`detect`] returns the most confident of circling, grid search and
//! racetrack, or else loitering, so the specific pattern is preferred.
//!
//! # Limits
//!
//! The geometry is of the ground track: no wind model. An orbit drifting with
//! the wind by more than about 10 % of its radius per turn is not circling;
//! grids and racetracks are flown on ground tracks, so wind does not matter
//! there. Slow ovals with short legs (a light aircraft holding at 90 kt) are
//! indistinguishable from small surveillance racetracks and are reported as
//! nothing.

#![forbid(unsafe_code)]

use std::f64::consts::{PI, TAU};
use std::ops::{Add, Mul, Sub};

/// One position of a track. `t` in seconds (any epoch), `lat`/`lon` degrees
/// WGS-84, altitude feet when known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fix {
    pub t: f64,
    pub lat: f64,
    pub lon: f64,
    pub alt_ft: Option<i32>,
}

/// A recognised flight pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    Circling,
    Loitering,
    GridSearch,
    Racetrack,
}

impl Pattern {
    /// Stable lower-case name, for logs and APIs.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Circling => "circling",
            Pattern::Loitering => "loitering",
            Pattern::GridSearch => "grid_search",
            Pattern::Racetrack => "racetrack",
        }
    }
}

/// A pattern found in a track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    pub pattern: Pattern,
    /// 0..1; specific patterns score 0.5–0.98, loitering 0.4–0.6.
    pub confidence: f64,
    /// (lat, lon) of the orbit centre, loiter centroid, or pattern centre.
    pub centre: (f64, f64),
    /// Orbit radius, loiter area radius, or grid/racetrack half-size, nm.
    pub extent_nm: f64,
}

/// Whether the aircraft is orbiting a point (see the module documentation).
pub fn circling(h: &[Fix]) -> Option<Detection> {
    detect_circling(&Track::from_history(h))
}

/// Whether the aircraft has stayed over a small area for 10 minutes or more
/// without flying one of the specific patterns.
pub fn loitering(h: &[Fix]) -> Option<Detection> {
    Analysis::of(h).loitering()
}

/// Whether the aircraft is flying a lawn-mower search.
pub fn grid_search(h: &[Fix]) -> Option<Detection> {
    let track = Track::from_history(h);
    let legs = find_legs(&track.pts);
    detect_grid(&track, &legs)
}

/// Whether the aircraft is flying a surveillance racetrack (not an ATC hold).
pub fn racetrack(h: &[Fix]) -> Option<Detection> {
    let track = Track::from_history(h);
    let legs = find_legs(&track.pts);
    find_oval(&track, &legs).and_then(Oval::racetrack)
}

/// The most confident of the four, if any (specific patterns before loitering).
pub fn detect(h: &[Fix]) -> Option<Detection> {
    Analysis::of(h).best()
}

// ---------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------

/// Only this many seconds before the newest fix are looked at.
pub const MAX_WINDOW_S: f64 = 900.0;
/// Fixes closer in time than this to the previously kept one are skipped.
pub const MIN_SPACING_S: f64 = 2.0;
/// A fix implying a faster jump from the previous one is a glitch.
pub const MAX_PLAUSIBLE_KT: f64 = 900.0;
/// Consecutive implausible fixes after which the track is believed again.
const MAX_GLITCH_RUN: usize = 3;

/// Accepted orbit radius range, nm.
pub const ORBIT_RADIUS_NM: (f64, f64) = (0.08, 2.3);
/// Allowed RMS radial residual: this fraction of the radius ...
const ORBIT_RMS_FRACTION: f64 = 0.10;
/// ... plus this many nm (position noise).
const ORBIT_RMS_FLOOR_NM: f64 = 0.01;
/// Minimum bearing swept around the centre, degrees.
pub const ORBIT_MIN_SWEEP_DEG: f64 = 330.0;
/// Minimum track-angle change in the same direction, degrees.
pub const ORBIT_MIN_TRACK_TURN_DEG: f64 = 300.0;
/// Largest share of the sweep that may go the wrong way.
const ORBIT_MAX_BACKTRACK: f64 = 0.10;
/// Slower than this is not an orbit (hovering, noise).
const ORBIT_MIN_KT: f64 = 20.0;
/// Fewest points in a circle fit.
const ORBIT_MIN_POINTS: usize = 8;
/// Shortest suffix tried, seconds, and the growth factor between suffixes.
const ORBIT_FIRST_SUFFIX_S: f64 = 30.0;
const ORBIT_SUFFIX_GROWTH: f64 = 1.1;
/// Steps expected to turn more than this (radians) are unwrapped by the expected rate.
const AMBIGUOUS_STEP_RAD: f64 = 0.75 * PI;
/// Steps up to this long (s) measure the typical speed.
const SPEED_STEP_MAX_S: f64 = 10.0;
/// Track angles are measured only over steps at least this long (nm).
const HEADING_STEP_MIN_NM: f64 = 0.008;

/// Douglas–Peucker tolerance, nm.
pub const DP_TOLERANCE_NM: f64 = 0.05;
/// Adjacent pieces turning less than this (radians) ...
const MERGE_MAX_TURN_RAD: f64 = 12.0 * PI / 180.0;
/// ... whose union strays at most this far (nm) from its chord are merged.
const MERGE_MAX_DEVIATION_NM: f64 = 2.0 * DP_TOLERANCE_NM;
/// Shortest straight leg, nm.
pub const LEG_MIN_NM: f64 = 1.2;
/// Leg ends are trimmed while further than this (nm) from the fitted line.
pub const LEG_TRIM_NM: f64 = 0.02;
/// Fit-and-trim passes per leg.
const LEG_TRIM_PASSES: usize = 2;
/// Two legs at most this far apart in time (s) ...
const LEG_SPLIT_MAX_GAP_S: f64 = 60.0;
/// ... and direction (radians) may be one leg cut in two.
const LEG_SPLIT_MAX_TURN_RAD: f64 = 20.0 * PI / 180.0;
/// Largest share of a leg that may fall in one data gap.
const LEG_MAX_HOLE: f64 = 0.6;
/// Largest RMS distance (nm) of a leg's points from its line.
pub const LEG_MAX_RMS_NM: f64 = 0.02;
/// Consecutive legs of a run differ in direction by at least this (radians) ...
const ANTIPARALLEL_MIN_RAD: f64 = 160.0 * PI / 180.0;
/// ... and every leg of a pattern is within this (radians) of its axis.
const AXIS_MAX_DEVIATION_RAD: f64 = 12.0 * PI / 180.0;
/// Longest turn between two legs of a run, seconds.
pub const MAX_TURN_S: f64 = 240.0;
/// The newest leg of a run ended at most this long before the newest fix.
pub const MAX_STALE_S: f64 = 240.0;
/// Joins at the same end of a pattern agree within this (nm) ...
const JOIN_TOL_NM: f64 = 0.3;
/// ... or this fraction of the leg, whichever is larger.
const JOIN_TOL_FRACTION: f64 = 0.25;

/// Fewest legs of a grid search.
pub const GRID_MIN_LEGS: usize = 3;
/// Shortest grid legs (distance between the pattern's ends), nm.
pub const GRID_MIN_LEG_NM: f64 = 1.5;
/// Smallest sideways step between grid legs, nm.
pub const GRID_MIN_STEP_NM: f64 = 0.15;
/// Largest over smallest sideways step.
const GRID_MAX_STEP_RATIO: f64 = 1.5;
/// Largest median step over leg length.
const GRID_MAX_SPACING_RATIO: f64 = 1.5;
/// Completed grid legs measure this range of the pattern length.
const GRID_LEG_RATIO: (f64, f64) = (0.6, 1.5);
/// The newest leg measures at least this fraction of the pattern length.
const NEWEST_LEG_MIN_FRACTION: f64 = 0.6;

/// Narrowest oval, nm.
const OVAL_MIN_WIDTH_NM: f64 = 0.2;
/// Legs lie within this (nm) of their line ...
const OVAL_LINE_TOL_NM: f64 = 0.25;
/// ... or this fraction of the oval's width, whichever is larger.
const OVAL_LINE_TOL_FRACTION: f64 = 0.3;
/// Fewest legs of an oval (racetrack or hold).
const OVAL_MIN_LEGS: usize = 3;
/// Fewest legs of a racetrack: two laps.
pub const RACETRACK_MIN_LEGS: usize = 4;
/// Shortest median completed racetrack leg, nm.
pub const RACETRACK_MIN_LEG_NM: f64 = 2.0;
/// Shortest median completed racetrack leg, seconds.
pub const RACETRACK_MIN_LEG_S: f64 = 105.0;
/// Surveillance patterns are flown at or below this ground speed, knots.
pub const SURVEILLANCE_MAX_KT: f64 = 180.0;

/// Shortest loiter, seconds.
pub const LOITER_MIN_S: f64 = 600.0;
/// Longer loiters are tried in steps of this many seconds.
const LOITER_STEP_S: f64 = 60.0;
/// Every point within this distance (nm) of the centroid.
pub const LOITER_MAX_RADIUS_NM: f64 = 3.0;
/// Slowest mean ground speed of a loiter, knots.
pub const LOITER_MIN_KT: f64 = 30.0;
/// Path length over area diameter.
pub const LOITER_MIN_WANDER: f64 = 1.5;
/// In each third of a loiter the distance made good is at most this
/// fraction of the distance flown.
pub const LOITER_MAX_STRAIGHTNESS: f64 = 0.8;
/// Largest data gap inside a loiter, seconds.
const LOITER_MAX_GAP_S: f64 = 120.0;

// ---------------------------------------------------------------------------
// Plane geometry
// ---------------------------------------------------------------------------

/// A vector on the local plane, nm (`x` east, `y` north).
#[derive(Clone, Copy, Debug, PartialEq)]
struct V2 {
    x: f64,
    y: f64,
}

impl V2 {
    fn new(x: f64, y: f64) -> V2 {
        V2 { x, y }
    }

    /// Unit vector along a heading (radians clockwise from north).
    fn along(heading: f64) -> V2 {
        V2::new(heading.sin(), heading.cos())
    }

    fn dot(self, o: V2) -> f64 {
        self.x * o.x + self.y * o.y
    }

    /// z component of `self × o`: positive when `o` points left of `self`.
    fn cross(self, o: V2) -> f64 {
        self.x * o.y - self.y * o.x
    }

    fn norm(self) -> f64 {
        self.x.hypot(self.y)
    }

    /// Heading of the vector, radians clockwise from north.
    fn heading(self) -> f64 {
        self.x.atan2(self.y)
    }

    /// Rotated 90° clockwise (to the right of a heading).
    fn right(self) -> V2 {
        V2::new(self.y, -self.x)
    }
}

impl Add for V2 {
    type Output = V2;
    fn add(self, o: V2) -> V2 {
        V2::new(self.x + o.x, self.y + o.y)
    }
}

impl Sub for V2 {
    type Output = V2;
    fn sub(self, o: V2) -> V2 {
        V2::new(self.x - o.x, self.y - o.y)
    }
}

impl Mul<f64> for V2 {
    type Output = V2;
    fn mul(self, k: f64) -> V2 {
        V2::new(self.x * k, self.y * k)
    }
}

/// Angle wrapped into [-π, π).
fn wrap_pi(a: f64) -> f64 {
    (a + PI).rem_euclid(TAU) - PI
}

/// Degrees wrapped into [-180, 180).
fn wrap_180(a: f64) -> f64 {
    (a + 180.0).rem_euclid(360.0) - 180.0
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Median (upper median for even lengths); NaN when empty.
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Largest minus smallest; 0 when empty.
fn spread(values: &[f64]) -> f64 {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi >= lo {
        hi - lo
    } else {
        0.0
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: V2, a: V2, b: V2) -> f64 {
    let ab = b - a;
    let len2 = ab.dot(ab);
    if len2 <= 0.0 {
        return (p - a).norm();
    }
    let s = ((p - a).dot(ab) / len2).clamp(0.0, 1.0);
    (p - (a + ab * s)).norm()
}

// ---------------------------------------------------------------------------
// Track preparation
// ---------------------------------------------------------------------------

/// A fix on the local plane.
#[derive(Clone, Copy, Debug)]
struct Point {
    t: f64,
    p: V2,
}

/// The cleaned, decimated, projected recent track.
struct Track {
    pts: Vec<Point>,
    lat0: f64,
    lon0: f64,
    cos_lat0: f64,
}

fn is_usable(f: &Fix) -> bool {
    f.t.is_finite()
        && f.lat.is_finite()
        && f.lon.is_finite()
        && f.lat.abs() <= 90.0
        && f.lon.abs() <= 180.0
}

impl Track {
    fn from_history(h: &[Fix]) -> Track {
        let mut ordered: Vec<&Fix> = Vec::with_capacity(h.len());
        for f in h.iter().filter(|f| is_usable(f)) {
            if ordered.last().is_none_or(|last| f.t > last.t) {
                ordered.push(f);
            }
        }
        let Some(newest) = ordered.last().copied() else {
            return Track {
                pts: Vec::new(),
                lat0: 0.0,
                lon0: 0.0,
                cos_lat0: 1.0,
            };
        };
        let mut track = Track {
            pts: Vec::new(),
            lat0: newest.lat,
            lon0: newest.lon,
            cos_lat0: newest.lat.to_radians().cos().max(1e-6),
        };
        let from = ordered.partition_point(|f| f.t < newest.t - MAX_WINDOW_S);
        track.keep_plausible(&ordered[from..]);
        track
    }

    /// Projects `fixes`, keeping one per [`MIN_SPACING_S`] and dropping
    /// isolated jumps faster than [`MAX_PLAUSIBLE_KT`].
    fn keep_plausible(&mut self, fixes: &[&Fix]) {
        let mut glitches = 0;
        for f in fixes {
            let p = Point {
                t: f.t,
                p: self.project(f.lat, f.lon),
            };
            if let Some(last) = self.pts.last() {
                let dt = p.t - last.t;
                if dt < MIN_SPACING_S {
                    continue;
                }
                let kt = (p.p - last.p).norm() / dt * 3600.0;
                if kt > MAX_PLAUSIBLE_KT && glitches < MAX_GLITCH_RUN {
                    glitches += 1;
                    continue;
                }
            }
            glitches = 0;
            self.pts.push(p);
        }
    }

    fn project(&self, lat: f64, lon: f64) -> V2 {
        V2::new(
            wrap_180(lon - self.lon0) * 60.0 * self.cos_lat0,
            (lat - self.lat0) * 60.0,
        )
    }

    fn lat_lon(&self, p: V2) -> (f64, f64) {
        (
            (self.lat0 + p.y / 60.0).clamp(-90.0, 90.0),
            wrap_180(self.lon0 + p.x / (60.0 * self.cos_lat0)),
        )
    }

    fn end_time(&self) -> f64 {
        self.pts.last().map_or(f64::NAN, |p| p.t)
    }
}

// ---------------------------------------------------------------------------
// Circling
// ---------------------------------------------------------------------------

/// A fitted circle and its RMS radial residual.
#[derive(Clone, Copy, Debug)]
struct Circle {
    centre: V2,
    r: f64,
    rms: f64,
}

/// Algebraic (Kåsa) circle fit. With coordinates `u, v` taken from the
/// centroid, the centre `(uc, vc)` solves
/// `[Suu Suv; Suv Svv] [uc vc]ᵀ = ½ [Suuu + Suvv; Svvv + Svuu]`
/// and `r² = uc² + vc² + (Suu + Svv) / n`. Collinear points have no circle.
fn fit_circle(pts: &[Point]) -> Option<Circle> {
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let c = pts.iter().fold(V2::new(0.0, 0.0), |s, p| s + p.p) * (1.0 / n);
    let (mut suu, mut svv, mut suv) = (0.0, 0.0, 0.0);
    let (mut suuu, mut svvv, mut suvv, mut svuu) = (0.0, 0.0, 0.0, 0.0);
    for p in pts {
        let (u, v) = (p.p.x - c.x, p.p.y - c.y);
        suu += u * u;
        svv += v * v;
        suv += u * v;
        suuu += u * u * u;
        svvv += v * v * v;
        suvv += u * v * v;
        svuu += v * u * u;
    }
    let det = suu * svv - suv * suv;
    let scale = (suu + svv) * (suu + svv);
    if !(det > 1e-9 * scale && scale > 0.0) {
        return None;
    }
    let (bu, bv) = (0.5 * (suuu + suvv), 0.5 * (svvv + svuu));
    let uc = (bu * svv - bv * suv) / det;
    let vc = (bv * suu - bu * suv) / det;
    let r = (uc * uc + vc * vc + (suu + svv) / n).sqrt();
    let centre = c + V2::new(uc, vc);
    let ss: f64 = pts
        .iter()
        .map(|p| ((p.p - centre).norm() - r).powi(2))
        .sum();
    let rms = (ss / n).sqrt();
    (r.is_finite() && rms.is_finite()).then_some(Circle { centre, r, rms })
}

/// Signed accumulated turn of a sampled angle and the share that went
/// against the dominant direction.
#[derive(Clone, Copy, Debug)]
struct Turning {
    total: f64,
    backtrack: f64,
}

/// Accumulates the change of an angle sampled as `(t, angle)` at increasing
/// times. Short steps are taken at face value (wrapped to ±π); the dominant
/// direction is their sum's sign. A step that at `rate` (rad/s) would turn
/// more than 0.75π is ambiguous: it is unwrapped to the value nearest to
/// `rate × dt` in the dominant direction.
fn accumulate_turn(samples: &[(f64, f64)], rate: f64) -> Turning {
    let steps: Vec<(f64, f64)> = samples
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, wrap_pi(w[1].1 - w[0].1)))
        .collect();
    let resolved = |dt: f64| rate * dt <= AMBIGUOUS_STEP_RAD;
    let bias: f64 = steps
        .iter()
        .filter(|(dt, _)| resolved(*dt))
        .map(|(_, d)| d)
        .sum();
    let sense = if bias < 0.0 { -1.0 } else { 1.0 };
    let (mut forward, mut backward) = (0.0, 0.0);
    for (dt, raw) in steps {
        let step = if resolved(dt) {
            raw
        } else {
            let expected = sense * rate * dt;
            raw + TAU * ((expected - raw) / TAU).round()
        };
        if step * sense >= 0.0 {
            forward += step.abs();
        } else {
            backward += step.abs();
        }
    }
    let swept = forward + backward;
    Turning {
        total: sense * (forward - backward),
        backtrack: if swept > 0.0 { backward / swept } else { 0.0 },
    }
}

/// Typical ground speed, nm/s: distance over time of the steps no longer
/// than [`SPEED_STEP_MAX_S`] (chords across gaps cut corners), else of all.
fn typical_speed(pts: &[Point]) -> f64 {
    let (mut dist, mut time, mut all_dist, mut all_time) = (0.0, 0.0, 0.0, 0.0);
    for w in pts.windows(2) {
        let (d, dt) = ((w[1].p - w[0].p).norm(), w[1].t - w[0].t);
        all_dist += d;
        all_time += dt;
        if dt <= SPEED_STEP_MAX_S {
            dist += d;
            time += dt;
        }
    }
    if time > 0.0 {
        dist / time
    } else if all_time > 0.0 {
        all_dist / all_time
    } else {
        0.0
    }
}

/// Track angles of the steps long enough to have one, sampled at mid-step.
fn track_angles(pts: &[Point]) -> Vec<(f64, f64)> {
    pts.windows(2)
        .filter_map(|w| {
            let d = w[1].p - w[0].p;
            (d.norm() >= HEADING_STEP_MIN_NM).then(|| (0.5 * (w[0].t + w[1].t), d.heading()))
        })
        .collect()
}

/// A qualifying orbit over some suffix.
#[derive(Clone, Copy, Debug)]
struct Orbit {
    circle: Circle,
    turns: f64,
    confidence: f64,
}

/// Whether `pts` (a suffix of the track) is an orbit; see the module docs.
fn orbit_in(pts: &[Point]) -> Option<Orbit> {
    if pts.len() < ORBIT_MIN_POINTS {
        return None;
    }
    let circle = fit_circle(pts)?;
    let (r_min, r_max) = ORBIT_RADIUS_NM;
    if !(r_min..=r_max).contains(&circle.r) {
        return None;
    }
    let tolerance = ORBIT_RMS_FRACTION * circle.r + ORBIT_RMS_FLOOR_NM;
    if circle.rms > tolerance {
        return None;
    }
    let v = typical_speed(pts);
    if v * 3600.0 < ORBIT_MIN_KT {
        return None;
    }
    let rate = v / circle.r;
    let bearings: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (p.t, (p.p - circle.centre).heading()))
        .collect();
    let sweep = accumulate_turn(&bearings, rate);
    if sweep.total.abs() < ORBIT_MIN_SWEEP_DEG.to_radians() || sweep.backtrack > ORBIT_MAX_BACKTRACK
    {
        return None;
    }
    let track_turn = accumulate_turn(&track_angles(pts), rate).total * sweep.total.signum();
    if track_turn < ORBIT_MIN_TRACK_TURN_DEG.to_radians() {
        return None;
    }
    let turns = sweep.total.abs() / TAU;
    let fit_quality = 1.0 - circle.rms / tolerance;
    let confidence = 0.5 + 0.1 * (turns - 0.9).clamp(0.0, 2.8) + 0.2 * fit_quality;
    Some(Orbit {
        circle: refit_without_entry(pts, circle),
        turns,
        confidence: confidence.clamp(0.5, 0.98),
    })
}

/// The circle refitted without the first points of the suffix that lie off
/// it (the end of the approach, tangent to the orbit but outside it), which
/// otherwise inflate the radius; the original if the refit is not better.
fn refit_without_entry(pts: &[Point], circle: Circle) -> Circle {
    let limit = (2.0 * circle.rms).max(ORBIT_RMS_FLOOR_NM);
    let entry = pts
        .iter()
        .position(|p| ((p.p - circle.centre).norm() - circle.r).abs() <= limit)
        .unwrap_or(0);
    match fit_circle(&pts[entry..]) {
        Some(refit)
            if entry > 0 && pts.len() - entry >= ORBIT_MIN_POINTS && refit.rms < circle.rms =>
        {
            refit
        }
        _ => circle,
    }
}

fn detect_circling(track: &Track) -> Option<Detection> {
    let pts = &track.pts;
    let (first, last) = (pts.first()?, pts.last()?);
    let span = last.t - first.t;
    let mut best: Option<Orbit> = None;
    let mut duration = ORBIT_FIRST_SUFFIX_S;
    loop {
        let d = duration.min(span);
        let from = pts.partition_point(|p| p.t < last.t - d);
        if let Some(orbit) = orbit_in(&pts[from..]) {
            if best.is_none_or(|b| orbit.turns > b.turns) {
                best = Some(orbit);
            }
        }
        if duration >= span || span.is_nan() {
            break;
        }
        duration *= ORBIT_SUFFIX_GROWTH;
    }
    best.map(|o| Detection {
        pattern: Pattern::Circling,
        confidence: o.confidence,
        centre: track.lat_lon(o.circle.centre),
        extent_nm: o.circle.r,
    })
}

// ---------------------------------------------------------------------------
// Straight legs
// ---------------------------------------------------------------------------

/// A straight leg: from `a` at `t0` to `b` at `t1`, found in the simplified
/// piece between track indices `piece.0` and `piece.1`.
#[derive(Clone, Copy, Debug)]
struct Leg {
    piece: (usize, usize),
    t0: f64,
    t1: f64,
    a: V2,
    b: V2,
}

impl Leg {
    fn heading(&self) -> f64 {
        (self.b - self.a).heading()
    }

    fn length(&self) -> f64 {
        (self.b - self.a).norm()
    }

    fn duration(&self) -> f64 {
        self.t1 - self.t0
    }

    fn speed_kt(&self) -> f64 {
        self.length() / self.duration() * 3600.0
    }

    fn midpoint(&self) -> V2 {
        (self.a + self.b) * 0.5
    }
}

/// A least-squares (principal-axis) line through points: through their
/// centroid `c`, along the unit vector `d`, oriented from first to last point.
#[derive(Clone, Copy, Debug)]
struct Line {
    c: V2,
    d: V2,
}

impl Line {
    /// The direction of largest spread is at angle `½ atan2(2 Sxy, Sxx − Syy)`
    /// from the x axis.
    fn fit(pts: &[Point]) -> Option<Line> {
        let (first, last) = (pts.first()?, pts.last()?);
        let n = pts.len() as f64;
        let c = pts.iter().fold(V2::new(0.0, 0.0), |s, p| s + p.p) * (1.0 / n);
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for p in pts {
            let q = p.p - c;
            sxx += q.x * q.x;
            syy += q.y * q.y;
            sxy += q.x * q.y;
        }
        let spread2 = sxx + syy;
        if spread2.is_nan() || spread2 <= 0.0 {
            return None;
        }
        let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
        let d = V2::new(angle.cos(), angle.sin());
        let d = if d.dot(last.p - first.p) < 0.0 {
            d * -1.0
        } else {
            d
        };
        Some(Line { c, d })
    }

    /// Signed distance of `p` from the line (positive on its left).
    fn offset(&self, p: V2) -> f64 {
        self.d.cross(p - self.c)
    }

    fn project(&self, p: V2) -> V2 {
        self.c + self.d * (p - self.c).dot(self.d)
    }

    fn rms(&self, pts: &[Point]) -> f64 {
        let ss: f64 = pts.iter().map(|p| self.offset(p.p).powi(2)).sum();
        (ss / pts.len() as f64).sqrt()
    }
}

/// Douglas–Peucker simplification: indices of the kept vertices. Iterative,
/// so deep recursion cannot happen.
fn simplify(pts: &[Point], tolerance: f64) -> Vec<usize> {
    let n = pts.len();
    if n < 3 {
        return (0..n).collect();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack = vec![(0, n - 1)];
    while let Some((lo, hi)) = stack.pop() {
        let (a, b) = (pts[lo].p, pts[hi].p);
        let farthest = (lo + 1..hi)
            .map(|k| (k, segment_distance(pts[k].p, a, b)))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((k, d)) = farthest {
            if d > tolerance {
                keep[k] = true;
                stack.push((lo, k));
                stack.push((k, hi));
            }
        }
    }
    (0..n).filter(|&k| keep[k]).collect()
}

/// Largest distance of `pts[i..=j]` from the chord `i`–`j`.
fn max_deviation(pts: &[Point], i: usize, j: usize) -> f64 {
    let (a, b) = (pts[i].p, pts[j].p);
    pts[i..=j]
        .iter()
        .map(|p| segment_distance(p.p, a, b))
        .fold(0.0, f64::max)
}

/// Drops simplified vertices between two nearly collinear pieces, so that a
/// leg split by one noisy fix becomes one piece again.
fn merge_collinear(pts: &[Point], vertices: Vec<usize>) -> Vec<usize> {
    let (Some(&first), Some(&last)) = (vertices.first(), vertices.last()) else {
        return vertices;
    };
    let mut out = vec![first];
    for w in vertices.windows(2).skip(1) {
        let (b, c) = (w[0], w[1]);
        let a = out.last().copied().unwrap_or(first);
        let turn = wrap_pi((pts[c].p - pts[b].p).heading() - (pts[b].p - pts[a].p).heading());
        let collinear =
            turn.abs() <= MERGE_MAX_TURN_RAD && max_deviation(pts, a, c) <= MERGE_MAX_DEVIATION_NM;
        if !collinear {
            out.push(b);
        }
    }
    if last != first {
        out.push(last);
    }
    out
}

/// The straight leg inside the simplified piece `i..=j`, if there is one:
/// fit a line, trim the ends that curve away from it (the turns), refit, and
/// trim once more against the better line.
fn straight_leg(pts: &[Point], i: usize, j: usize) -> Option<Leg> {
    if j < i + 2 || (pts.get(j)?.p - pts[i].p).norm() < LEG_MIN_NM {
        return None;
    }
    let (mut lo, mut hi) = (i, j);
    let mut line = Line::fit(&pts[lo..=hi])?;
    for _ in 0..LEG_TRIM_PASSES {
        let near = |p: &Point| line.offset(p.p).abs() <= LEG_TRIM_NM;
        let piece = &pts[lo..=hi];
        let first = piece.iter().position(near)?;
        let last = piece.iter().rposition(near)?;
        if last < first + 2 {
            return None;
        }
        (lo, hi) = (lo + first, lo + last);
        line = Line::fit(&pts[lo..=hi])?;
    }
    let core = &pts[lo..=hi];
    if line.rms(core) > LEG_MAX_RMS_NM
        || largest_hole(core, &line) > LEG_MAX_HOLE * line_span(core, &line)
    {
        return None;
    }
    let leg = Leg {
        piece: (i, j),
        t0: pts[lo].t,
        t1: pts[hi].t,
        a: line.project(pts[lo].p),
        b: line.project(pts[hi].p),
    };
    (leg.length() >= LEG_MIN_NM && leg.duration() > 0.0).then_some(leg)
}

/// Distance along `line` between the first and last of `pts`.
fn line_span(pts: &[Point], line: &Line) -> f64 {
    match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => (b.p - a.p).dot(line.d).abs(),
        _ => 0.0,
    }
}

/// Longest stretch of `line` without a point: a "leg" that is mostly a data
/// gap may be nothing but the chord of a turn flown unseen.
fn largest_hole(pts: &[Point], line: &Line) -> f64 {
    pts.windows(2)
        .map(|w| (w[1].p - w[0].p).dot(line.d).abs())
        .fold(0.0, f64::max)
}

/// Whether `next` looks like the continuation of `prev` (a leg that the
/// simplification cut in two, e.g. around a data gap).
fn continues(prev: &Leg, next: &Leg) -> bool {
    next.t0 - prev.t1 <= LEG_SPLIT_MAX_GAP_S
        && wrap_pi(next.heading() - prev.heading()).abs() <= LEG_SPLIT_MAX_TURN_RAD
}

/// All straight legs of the track, oldest first; a leg cut in two is refitted
/// as one when the union is still straight.
fn find_legs(pts: &[Point]) -> Vec<Leg> {
    let vertices = merge_collinear(pts, simplify(pts, DP_TOLERANCE_NM));
    let mut legs: Vec<Leg> = Vec::new();
    for w in vertices.windows(2) {
        let Some(leg) = straight_leg(pts, w[0], w[1]) else {
            continue;
        };
        let joined = legs
            .last()
            .filter(|prev| continues(prev, &leg))
            .and_then(|prev| straight_leg(pts, prev.piece.0, leg.piece.1));
        match (joined, legs.last_mut()) {
            (Some(joined), Some(prev)) => *prev = joined,
            _ => legs.push(leg),
        }
    }
    legs
}

/// Whether `next` follows `prev` as the next leg of one pattern: flown the
/// opposite way, after at most one turn's time.
fn reverses(prev: &Leg, next: &Leg) -> bool {
    wrap_pi(next.heading() - prev.heading()).abs() >= ANTIPARALLEL_MIN_RAD
        && next.t0 - prev.t1 <= MAX_TURN_S
}

/// The newest chain of legs joined by reversals; empty when the newest leg
/// ended too long ago.
fn recent_run(legs: &[Leg], t_end: f64) -> &[Leg] {
    match legs.chunk_by(reverses).last() {
        Some(run) if run.last().is_some_and(|leg| t_end - leg.t1 <= MAX_STALE_S) => run,
        _ => &[],
    }
}

/// Where along the axis a turn began, measured outwards (the direction the
/// leg before it was flying), from the last seen point of that leg (`end`)
/// and the first seen point of the next (`next`), `gap_s` apart in time.
///
/// A data gap can only hide the ends of legs, never lengthen them. A U-turn
/// onto a line `lateral_nm` away (a semicircle of that diameter) takes
/// `turn_s` at `speed` (nm/s); if one leg was cut short by `d`, the gap grows
/// by `d / speed` and the two ends differ by `d`, so the outer end is right.
/// Whatever time is left unexplained was hidden from both legs alike, and
/// moves the turn outwards by half of it.
fn turn_position(end: f64, next: f64, gap_s: f64, lateral_nm: f64, speed: f64) -> f64 {
    let turn_s = 0.5 * PI * lateral_nm / speed;
    let unexplained_s = gap_s - turn_s - (end - next).abs() / speed;
    let hidden = 0.5 * unexplained_s * speed;
    end.max(next)
        + if hidden.is_finite() {
            hidden.max(0.0)
        } else {
            0.0
        }
}

/// Sub-runs of `run` worth testing for a pattern, longest first: those
/// ending with its newest leg, then (when that leg has only just begun and is
/// too short to judge) those ending with the leg before it; each with at
/// least `min_legs` legs, dropping the oldest legs one by one (they may
/// belong to the approach rather than the pattern).
fn sub_runs(run: &[Leg], min_legs: usize) -> impl Iterator<Item = &[Leg]> {
    [run.len(), run.len().saturating_sub(1)]
        .into_iter()
        .flat_map(move |end| {
            let sub = &run[..end];
            (0..=sub.len().saturating_sub(min_legs)).map(move |skip| &sub[skip..])
        })
        .filter(move |sub| sub.len() >= min_legs)
}

/// A run of reversing legs seen in the frame of its mean axis: `u` along the
/// axis, `n` to its right. Turn `k` joins leg `k` to leg `k + 1` at end
/// `k % 2` of the pattern.
struct Ladder {
    u: V2,
    n: V2,
    /// Lateral offset of each leg's midpoint.
    offsets: Vec<f64>,
    /// Along-axis length and duration of each leg, including the parts that
    /// data gaps next to its turns probably hid (see `turn_position`).
    lengths: Vec<f64>,
    durations: Vec<f64>,
    /// Along-axis positions of the two ends of the pattern.
    ends: [f64; 2],
    /// Along-axis distance between the two ends.
    span: f64,
}

impl Ladder {
    /// The axis is the length-weighted mean of the leg directions with
    /// opposite directions identified (angles doubled, averaged, halved).
    fn of(legs: &[Leg]) -> Option<Ladder> {
        if legs.len() < 3 {
            return None;
        }
        let (s, c) = legs.iter().fold((0.0, 0.0), |(s, c), leg| {
            let h = 2.0 * leg.heading();
            (s + leg.length() * h.sin(), c + leg.length() * h.cos())
        });
        let axis = 0.5 * s.atan2(c);
        let parallel = legs.iter().all(|leg| {
            let off = wrap_pi(leg.heading() - axis).abs();
            off.min(PI - off) <= AXIS_MAX_DEVIATION_RAD
        });
        if !parallel {
            return None;
        }
        let u = V2::along(axis);
        let n = u.right();
        let offsets = legs.iter().map(|leg| leg.midpoint().dot(n)).collect();
        let speeds: Vec<f64> = legs
            .iter()
            .map(|leg| leg.length() / leg.duration())
            .collect();
        let speed = median(&speeds);
        // Turn k joins leg k to leg k + 1; `extend[k]` says how much further
        // than seen leg k probably went at its start and at its end.
        let mut joins = [Vec::new(), Vec::new()];
        let mut extend = vec![[0.0, 0.0]; legs.len()];
        for (k, w) in legs.windows(2).enumerate() {
            let lateral = (w[1].midpoint() - w[0].midpoint()).dot(n).abs();
            let outward = if (w[0].b - w[0].a).dot(u) >= 0.0 {
                1.0
            } else {
                -1.0
            };
            let (end, next) = (w[0].b.dot(u) * outward, w[1].a.dot(u) * outward);
            let turn = turn_position(end, next, w[1].t0 - w[0].t1, lateral, speed);
            extend[k][1] = turn - end;
            extend[k + 1][0] = turn - next;
            joins[k % 2].push(turn * outward);
        }
        let first_outward = (legs[0].b - legs[0].a).dot(u) >= 0.0;
        let outermost = |v: &[f64], up: bool| {
            let fold: fn(f64, f64) -> f64 = if up { f64::max } else { f64::min };
            v.iter().copied().reduce(fold).unwrap_or(f64::NAN)
        };
        let ends = [
            outermost(&joins[0], first_outward),
            outermost(&joins[1], !first_outward),
        ];
        let span = (ends[0] - ends[1]).abs();
        let tolerance = JOIN_TOL_NM.max(JOIN_TOL_FRACTION * span);
        let consistent = joins.iter().all(|end| spread(end) <= tolerance);
        let lengths = legs
            .iter()
            .zip(&extend)
            .map(|(leg, [a, b])| (leg.b - leg.a).dot(u).abs() + a + b)
            .collect();
        let durations = legs
            .iter()
            .zip(&extend)
            .map(|(leg, [a, b])| leg.duration() + (a + b) / speed)
            .collect();
        (consistent && span >= LEG_MIN_NM).then_some(Ladder {
            u,
            n,
            offsets,
            lengths,
            durations,
            ends,
            span,
        })
    }

    /// Along-axis lengths of the legs between two turns.
    fn completed_lengths(&self) -> &[f64] {
        &self.lengths[1..self.lengths.len() - 1]
    }

    /// Durations of the legs between two turns.
    fn completed_durations(&self) -> &[f64] {
        &self.durations[1..self.durations.len() - 1]
    }

    /// The newest leg may still be in progress: it must cover at least half
    /// the pattern to count. (The oldest may have begun before the window or
    /// include the approach, so it only needs to be a leg.)
    fn newest_leg_long_enough(&self) -> bool {
        self.lengths.last().copied().unwrap_or(0.0) >= NEWEST_LEG_MIN_FRACTION * self.span
    }

    /// Point on the plane at `along` on the axis and `lateral` to its right.
    fn point(&self, along: f64, lateral: f64) -> V2 {
        self.u * along + self.n * lateral
    }

    /// Midway between the two ends of the pattern.
    fn along_centre(&self) -> f64 {
        0.5 * (self.ends[0] + self.ends[1])
    }
}

// ---------------------------------------------------------------------------
// Grid search
// ---------------------------------------------------------------------------

fn detect_grid(track: &Track, legs: &[Leg]) -> Option<Detection> {
    sub_runs(recent_run(legs, track.end_time()), GRID_MIN_LEGS)
        .find_map(|run| grid_from(track, run))
}

/// Whether `run` is a lawn-mower pattern; see the module docs.
fn grid_from(track: &Track, run: &[Leg]) -> Option<Detection> {
    if run.len() < GRID_MIN_LEGS {
        return None;
    }
    let ladder = Ladder::of(run).filter(|l| l.span >= GRID_MIN_LEG_NM)?;
    let steps: Vec<f64> = ladder.offsets.windows(2).map(|w| w[1] - w[0]).collect();
    let sense = steps.first()?.signum();
    if steps.iter().any(|s| s * sense < GRID_MIN_STEP_NM) {
        return None;
    }
    let sizes: Vec<f64> = steps.iter().map(|s| s.abs()).collect();
    let regularity = sizes.iter().copied().fold(f64::INFINITY, f64::min)
        / sizes.iter().copied().fold(0.0, f64::max);
    if regularity < 1.0 / GRID_MAX_STEP_RATIO
        || median(&sizes) > GRID_MAX_SPACING_RATIO * ladder.span
    {
        return None;
    }
    let (lo, hi) = GRID_LEG_RATIO;
    let regular_legs = ladder
        .completed_lengths()
        .iter()
        .all(|&l| l >= lo * ladder.span && l <= hi * ladder.span);
    if !regular_legs || !ladder.newest_leg_long_enough() {
        return None;
    }
    let (first_offset, last_offset) = (ladder.offsets[0], ladder.offsets[run.len() - 1]);
    let centre = ladder.point(ladder.along_centre(), 0.5 * (first_offset + last_offset));
    let extra_legs = (run.len() - GRID_MIN_LEGS) as f64;
    let confidence = 0.55 + 0.06 * extra_legs.min(4.0) + 0.15 * regularity;
    Some(Detection {
        pattern: Pattern::GridSearch,
        confidence: confidence.min(0.95),
        centre: track.lat_lon(centre),
        extent_nm: 0.5 * ladder.span.max((last_offset - first_offset).abs()),
    })
}

// ---------------------------------------------------------------------------
// Ovals: racetracks and holds
// ---------------------------------------------------------------------------

/// Legs alternating between two parallel lines; a racetrack when
/// `surveillance`, otherwise (most likely) an ATC hold.
#[derive(Clone, Copy, Debug)]
struct Oval {
    detection: Detection,
    surveillance: bool,
}

impl Oval {
    fn racetrack(self) -> Option<Detection> {
        self.surveillance.then_some(self.detection)
    }
}

/// The longest surveillance oval among the candidate runs, else the longest
/// oval of any kind.
fn find_oval(track: &Track, legs: &[Leg]) -> Option<Oval> {
    let mut any = None;
    for run in sub_runs(recent_run(legs, track.end_time()), OVAL_MIN_LEGS) {
        if let Some(oval) = oval_from(track, run) {
            if oval.surveillance {
                return Some(oval);
            }
            any = any.or(Some(oval));
        }
    }
    any
}

/// Whether the window holds two laps of an oval (racetrack or hold) even
/// where data gaps lost some of its legs: at least four legs on two parallel
/// lines, each line flown in its own direction. A hold must not pass for
/// loitering.
fn holds_in_window(legs: &[Leg]) -> bool {
    legs.iter().any(|reference| {
        let u = V2::along(reference.heading());
        let (mut ahead, mut back) = (Vec::new(), Vec::new());
        for leg in legs {
            let turn = wrap_pi(leg.heading() - reference.heading()).abs();
            let offset = leg.midpoint().dot(u.right());
            if turn <= AXIS_MAX_DEVIATION_RAD {
                ahead.push(offset);
            } else if turn >= PI - AXIS_MAX_DEVIATION_RAD {
                back.push(offset);
            }
        }
        if ahead.is_empty() || back.is_empty() || ahead.len() + back.len() < RACETRACK_MIN_LEGS {
            return false;
        }
        let width = (mean(&ahead) - mean(&back)).abs();
        let tolerance = OVAL_LINE_TOL_NM.max(OVAL_LINE_TOL_FRACTION * width);
        width >= OVAL_MIN_WIDTH_NM && spread(&ahead) <= tolerance && spread(&back) <= tolerance
    })
}

/// Whether `run` alternates between two lines, and whether that oval passes
/// the surveillance rules; see the module docs.
fn oval_from(track: &Track, run: &[Leg]) -> Option<Oval> {
    if run.len() < OVAL_MIN_LEGS {
        return None;
    }
    let ladder = Ladder::of(run)?;
    let line = |parity: usize| -> Vec<f64> {
        ladder
            .offsets
            .iter()
            .skip(parity)
            .step_by(2)
            .copied()
            .collect()
    };
    let (even, odd) = (line(0), line(1));
    let (even_mean, odd_mean) = (mean(&even), mean(&odd));
    let width = (even_mean - odd_mean).abs();
    let tolerance = OVAL_LINE_TOL_NM.max(OVAL_LINE_TOL_FRACTION * width);
    let on_line = |offsets: &[f64], at: f64| offsets.iter().all(|o| (o - at).abs() <= tolerance);
    if !(width >= OVAL_MIN_WIDTH_NM && on_line(&even, even_mean) && on_line(&odd, odd_mean)) {
        return None;
    }
    let speeds: Vec<f64> = run.iter().map(Leg::speed_kt).collect();
    let surveillance = run.len() >= RACETRACK_MIN_LEGS
        && median(ladder.completed_lengths()) >= RACETRACK_MIN_LEG_NM
        && median(ladder.completed_durations()) >= RACETRACK_MIN_LEG_S
        && median(&speeds) <= SURVEILLANCE_MAX_KT
        && ladder.newest_leg_long_enough();
    let centre = ladder.point(ladder.along_centre(), 0.5 * (even_mean + odd_mean));
    let laps = (run.len() - RACETRACK_MIN_LEGS.min(run.len())) as f64;
    let straightness = 1.0 - spread(&even).max(spread(&odd)) / tolerance;
    let confidence = 0.6 + 0.06 * laps.min(4.0) + 0.1 * straightness.clamp(0.0, 1.0);
    Some(Oval {
        detection: Detection {
            pattern: Pattern::Racetrack,
            confidence: confidence.min(0.95),
            centre: track.lat_lon(centre),
            extent_nm: 0.5 * (ladder.span + width),
        },
        surveillance,
    })
}

// ---------------------------------------------------------------------------
// Loitering
// ---------------------------------------------------------------------------

/// Centroid and radius of a qualifying loiter over `pts`, the suffix that
/// should start at `t_start`.
fn loiter_area(pts: &[Point], t_start: f64) -> Option<(V2, f64)> {
    let (first, last) = (pts.first()?, pts.last()?);
    if pts.len() < 10 || first.t - t_start > LOITER_MAX_GAP_S {
        return None;
    }
    let mut path = 0.0;
    for w in pts.windows(2) {
        if w[1].t - w[0].t > LOITER_MAX_GAP_S {
            return None;
        }
        path += (w[1].p - w[0].p).norm();
    }
    let centroid = centroid(pts)?;
    let radius = pts
        .iter()
        .map(|p| (p.p - centroid).norm())
        .fold(0.0, f64::max);
    let speed_kt = path / (last.t - first.t) * 3600.0;
    let qualifies = radius <= LOITER_MAX_RADIUS_NM
        && (LOITER_MIN_KT..=SURVEILLANCE_MAX_KT).contains(&speed_kt)
        && path >= LOITER_MIN_WANDER * 2.0 * radius
        && wanders_throughout(pts);
    qualifies.then_some((centroid, radius))
}

fn centroid(pts: &[Point]) -> Option<V2> {
    let n = pts.len() as f64;
    (n > 0.0).then(|| pts.iter().fold(V2::new(0.0, 0.0), |s, p| s + p.p) * (1.0 / n))
}

/// Whether the aircraft wandered during the whole time: in each third (by
/// time) the distance made good is at most [`LOITER_MAX_STRAIGHTNESS`] of the
/// distance flown. An approach followed by a few minutes of manoeuvring
/// fails this, its first third being a straight line.
fn wanders_throughout(pts: &[Point]) -> bool {
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return false;
    };
    let third = (last.t - first.t) / 3.0;
    (0..3).all(|k| {
        let (lo, hi) = (first.t + k as f64 * third, first.t + (k + 1) as f64 * third);
        let part = &pts[pts.partition_point(|p| p.t < lo)..pts.partition_point(|p| p.t <= hi)];
        let flown: f64 = part.windows(2).map(|w| (w[1].p - w[0].p).norm()).sum();
        match (part.first(), part.last()) {
            (Some(a), Some(b)) => (b.p - a.p).norm() <= LOITER_MAX_STRAIGHTNESS * flown,
            _ => false,
        }
    })
}

/// The longest qualifying loiter ending at the newest fix.
fn detect_loiter(track: &Track) -> Option<Detection> {
    let pts = &track.pts;
    let (first, last) = (pts.first()?, pts.last()?);
    let mut best = None;
    let mut duration = LOITER_MIN_S;
    while duration <= last.t - first.t {
        let t_start = last.t - duration;
        let from = pts.partition_point(|p| p.t < t_start);
        if let Some(area) = loiter_area(&pts[from..], t_start) {
            best = Some((duration, area));
        }
        duration += LOITER_STEP_S;
    }
    best.map(|(duration, (centre, radius))| {
        let longer = ((duration - LOITER_MIN_S) / (MAX_WINDOW_S - LOITER_MIN_S)).clamp(0.0, 1.0);
        Detection {
            pattern: Pattern::Loitering,
            confidence: 0.4 + 0.2 * longer,
            centre: track.lat_lon(centre),
            extent_nm: radius,
        }
    })
}

// ---------------------------------------------------------------------------
// Combining
// ---------------------------------------------------------------------------

/// Every recogniser's view of one history, computed once.
struct Analysis {
    track: Track,
    circling: Option<Detection>,
    grid: Option<Detection>,
    oval: Option<Oval>,
    /// Two laps of an oval of any kind in the window.
    any_oval: bool,
}

impl Analysis {
    fn of(h: &[Fix]) -> Analysis {
        let track = Track::from_history(h);
        let legs = find_legs(&track.pts);
        Analysis {
            circling: detect_circling(&track),
            grid: detect_grid(&track, &legs),
            oval: find_oval(&track, &legs),
            any_oval: holds_in_window(&legs),
            track,
        }
    }

    fn racetrack(&self) -> Option<Detection> {
        self.oval.and_then(Oval::racetrack)
    }

    /// Loitering unless the track is clearly something more specific
    /// (including an ATC hold, which is an oval but not a racetrack).
    fn loitering(&self) -> Option<Detection> {
        if self.circling.is_some() || self.grid.is_some() || self.oval.is_some() || self.any_oval {
            return None;
        }
        detect_loiter(&self.track)
    }

    fn best(&self) -> Option<Detection> {
        [self.circling, self.grid, self.racetrack()]
            .into_iter()
            .flatten()
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
            .or_else(|| self.loitering())
    }
}

#[cfg(test)]
mod tests {
    //! Deterministic tests on generated tracks: 1 s sampling, ~10 m position
    //! noise, random dropouts of up to 30 s, evaluated on a sliding 15-minute
    //! window every 5 s.

    use super::*;
    use dsp::gen::path::{min_turn_radius_nm, to_local, LatLon, Path, Step};

    /// Stream times are offset by a realistic epoch to exercise precision.
    const EPOCH: f64 = 1.7e9;
    /// Position noise per axis, nm (about 10 m horizontally).
    const NOISE_NM: f64 = 7.0 / 1852.0;
    /// Chance per second that a dropout starts, and its longest length.
    const DROPOUT_PER_S: f64 = 1.0 / 120.0;
    const MAX_DROPOUT_S: f64 = 30.0;
    const EVAL_STEP_S: f64 = 5.0;
    const WINDOW_S: f64 = 900.0;
    /// Detected circling and racetrack centres must be this close, nm.
    const CENTRE_TOLERANCE_NM: f64 = 0.3;

    /// SplitMix64: tiny, deterministic, good enough for test variations.
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }

        fn chance(&mut self, p: f64) -> bool {
            self.unit() < p
        }

        fn sign(&mut self) -> f64 {
            if self.chance(0.5) {
                1.0
            } else {
                -1.0
            }
        }

        /// Standard normal (Box–Muller).
        fn normal(&mut self) -> f64 {
            let u = self.unit().max(1e-12);
            (-2.0 * u.ln()).sqrt() * (TAU * self.unit()).cos()
        }
    }

    fn random_place(rng: &mut Rng) -> LatLon {
        (rng.range(-60.0, 60.0), rng.range(-180.0, 180.0))
    }

    fn distance_nm(a: LatLon, b: LatLon) -> f64 {
        let (x, y) = to_local(a, b);
        x.hypot(y)
    }

    /// Samples `path` every second from 0 to `duration_s` as ADS-B would
    /// deliver it: noisy positions, altitude in 25 ft steps, random dropouts.
    fn sample(path: &Path, duration_s: f64, rng: &mut Rng) -> Vec<Fix> {
        let mut fixes = Vec::with_capacity(duration_s as usize + 1);
        let mut t = 0.0;
        while t <= duration_s {
            if rng.chance(DROPOUT_PER_S) {
                t += rng.range(1.0, MAX_DROPOUT_S).round();
                continue;
            }
            let s = path.at(t);
            let cos_lat = s.lat.to_radians().cos();
            fixes.push(Fix {
                t: EPOCH + t,
                lat: s.lat + NOISE_NM * rng.normal() / 60.0,
                lon: s.lon + NOISE_NM * rng.normal() / (60.0 * cos_lat),
                alt_ft: Some((s.alt_ft / 25.0).round() as i32 * 25),
            });
            t += 1.0;
        }
        fixes
    }

    /// The fixes of the 15-minute window ending at stream time `t_end`.
    fn window(fixes: &[Fix], t_end: f64) -> &[Fix] {
        let lo = fixes.partition_point(|f| f.t < t_end - WINDOW_S);
        let hi = fixes.partition_point(|f| f.t <= t_end);
        &fixes[lo..hi]
    }

    type ScenarioFn = fn(&mut Rng) -> Scenario;
    type PathFn = fn(&mut Rng) -> Path;

    /// A positive track: lead-in, then the pattern from `start_s` to `end_s`.
    struct Scenario {
        path: Path,
        start_s: f64,
        end_s: f64,
        /// True centre, where the pattern has a fixed one (not for a grid,
        /// whose detected centre is that of the legs flown so far).
        centre: Option<LatLon>,
        radius_nm: Option<f64>,
    }

    fn orbit_scenario(rng: &mut Rng) -> Scenario {
        loop {
            let speed = rng.range(40.0, 160.0);
            let r_min = min_turn_radius_nm(speed, 30.0).max(0.12);
            let radius = rng.range(r_min, 2.0);
            // At most 5 minutes a turn, so several turns fit in 15 minutes.
            if TAU * radius / speed * 3600.0 > 300.0 {
                continue;
            }
            let centre = random_place(rng);
            let lead = rng.range(60.0, 300.0);
            let path = Path::Orbit {
                centre,
                radius_nm: radius,
                speed_kt: speed,
                clockwise: rng.chance(0.5),
                start_bearing_deg: rng.range(0.0, 360.0),
                alt_ft: rng.range(500.0, 8000.0),
            }
            .with_lead_in(lead);
            return Scenario {
                path,
                start_s: lead,
                end_s: lead + 900.0,
                centre: Some(centre),
                radius_nm: Some(radius),
            };
        }
    }

    fn grid_scenario(rng: &mut Rng) -> Scenario {
        let speed = rng.range(70.0, 160.0);
        let spacing = rng
            .range(0.5, 2.0)
            .max(2.0 * min_turn_radius_nm(speed, 30.0));
        let (leg, legs) = (rng.range(2.0, 6.0), 4 + (rng.unit() * 5.0) as u32);
        let lead = rng.range(60.0, 300.0);
        let grid = Path::Grid {
            origin: random_place(rng),
            heading_deg: rng.range(0.0, 360.0),
            leg_nm: leg,
            spacing_nm: spacing,
            legs,
            to_right: rng.chance(0.5),
            speed_kt: speed,
            alt_ft: rng.range(500.0, 5000.0),
        };
        let duration = grid.duration_s().unwrap_or(900.0);
        Scenario {
            path: grid.with_lead_in(lead),
            start_s: lead,
            end_s: lead + duration,
            centre: None,
            radius_nm: None,
        }
    }

    fn racetrack_scenario(rng: &mut Rng) -> Scenario {
        loop {
            let speed = rng.range(70.0, 170.0);
            // Surveillance legs: 2 nm and 2 minutes at least.
            let min_leg = (speed * 120.0 / 3600.0).max(2.0);
            let leg = rng.range(min_leg, min_leg + 3.0);
            let width = rng
                .range(0.8, 2.5)
                .max(2.0 * min_turn_radius_nm(speed, 30.0));
            let leg_s = leg / speed * 3600.0;
            let turn_s = PI * width / 2.0 / speed * 3600.0;
            // Two laps must fit in the 15-minute window with room to spare.
            if width > leg || 3.5 * leg_s + 3.0 * turn_s > 720.0 {
                continue;
            }
            let centre = random_place(rng);
            let lead = rng.range(60.0, 300.0);
            let path = Path::Racetrack {
                centre,
                heading_deg: rng.range(0.0, 360.0),
                leg_nm: leg,
                width_nm: width,
                clockwise: rng.chance(0.5),
                speed_kt: speed,
                alt_ft: rng.range(500.0, 10000.0),
            }
            .with_lead_in(lead);
            return Scenario {
                path,
                start_s: lead,
                end_s: lead + 900.0,
                centre: Some(centre),
                radius_nm: None,
            };
        }
    }

    fn loiter_scenario(rng: &mut Rng) -> Scenario {
        let speed = rng.range(40.0, 110.0);
        let radius = rng.range(0.7, 2.0);
        let centre = random_place(rng);
        let lead = rng.range(60.0, 300.0);
        let path = Path::Loiter {
            centre,
            radius_nm: radius,
            speed_kt: speed,
            alt_ft: rng.range(300.0, 3000.0),
            seed: rng.next_u64(),
        }
        .with_lead_in(lead);
        Scenario {
            path,
            start_s: lead,
            end_s: lead + 900.0,
            centre: Some(centre),
            radius_nm: None,
        }
    }

    /// What happened on one positive track.
    #[derive(Default)]
    struct Outcome {
        delay: Option<f64>,
        evals: usize,
        /// Evaluations after the first right detection, and how many hit.
        after: usize,
        hits: usize,
        /// Evaluations reporting another specific pattern.
        wrong: usize,
        centre_err_nm: f64,
        extent_err: f64,
    }

    fn fly(expected: Pattern, sc: &Scenario, rng: &mut Rng) -> Outcome {
        let fixes = sample(&sc.path, sc.end_s, rng);
        let mut out = Outcome::default();
        let mut t = sc.start_s + EVAL_STEP_S;
        while t <= sc.end_s {
            out.evals += 1;
            if out.delay.is_some() {
                out.after += 1;
            }
            match detect(window(&fixes, EPOCH + t)) {
                Some(d) if d.pattern == expected => {
                    if out.delay.is_none() {
                        out.delay = Some(t - sc.start_s);
                        out.after += 1;
                    }
                    out.hits += 1;
                    if let Some(centre) = sc.centre {
                        let err = distance_nm(d.centre, centre);
                        let asserted = matches!(expected, Pattern::Circling | Pattern::Racetrack);
                        if asserted
                            && err > CENTRE_TOLERANCE_NM
                            && out.centre_err_nm <= CENTRE_TOLERANCE_NM
                        {
                            println!(
                                "  centre {err:.2} nm off at {:.0} s: {:?}",
                                t - sc.start_s,
                                sc.path
                            );
                            explain(window(&fixes, EPOCH + t));
                        }
                        out.centre_err_nm = out.centre_err_nm.max(err);
                    }
                    if let Some(r) = sc.radius_nm {
                        out.extent_err = out.extent_err.max((d.extent_nm / r - 1.0).abs());
                    }
                }
                Some(d) if d.pattern != Pattern::Loitering => out.wrong += 1,
                _ => {}
            }
            t += EVAL_STEP_S;
        }
        if out.delay.is_none() {
            println!("  {} missed: {:?}", expected.name(), sc.path);
            explain(window(&fixes, EPOCH + sc.end_s));
        }
        out
    }

    /// Nearest-rank percentile of sorted values.
    fn percentile(sorted: &[f64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = (p * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    struct Summary {
        tracks: usize,
        detected: usize,
        delays: Vec<f64>,
        wrong_rate: f64,
        persistence: f64,
        centre_err_nm: f64,
        extent_err: f64,
    }

    /// Base seed, shifted by `PATTERN_TEST_SEED` to try other variations.
    fn seeded(base: u64) -> Rng {
        let shift = std::env::var("PATTERN_TEST_SEED")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        Rng(base.wrapping_add(shift.wrapping_mul(1_000_003)))
    }

    fn run_positive(expected: Pattern, tracks: usize, seed: u64, scenario: ScenarioFn) -> Summary {
        let mut rng = seeded(seed);
        let outcomes: Vec<Outcome> = (0..tracks)
            .map(|_| {
                let sc = scenario(&mut rng);
                fly(expected, &sc, &mut rng)
            })
            .collect();
        let mut delays: Vec<f64> = outcomes.iter().filter_map(|o| o.delay).collect();
        delays.sort_by(f64::total_cmp);
        let evals: usize = outcomes.iter().map(|o| o.evals).sum();
        let wrong: usize = outcomes.iter().map(|o| o.wrong).sum();
        let after: usize = outcomes.iter().map(|o| o.after).sum();
        let hits: usize = outcomes.iter().map(|o| o.hits).sum();
        Summary {
            tracks,
            detected: delays.len(),
            delays,
            wrong_rate: wrong as f64 / evals.max(1) as f64,
            persistence: hits as f64 / after.max(1) as f64,
            centre_err_nm: outcomes.iter().map(|o| o.centre_err_nm).fold(0.0, f64::max),
            extent_err: outcomes.iter().map(|o| o.extent_err).fold(0.0, f64::max),
        }
    }

    /// Detection delay per pattern: stream seconds from the start of the
    /// pattern until `detect` first names it (15-minute window, every 5 s).
    /// Run with `cargo test --release measure_detection_delay -- --nocapture`.
    #[test]
    fn measure_detection_delay() {
        let cases: [(Pattern, usize, u64, ScenarioFn); 4] = [
            (Pattern::Circling, 100, 11, orbit_scenario),
            (Pattern::GridSearch, 100, 22, grid_scenario),
            (Pattern::Racetrack, 100, 33, racetrack_scenario),
            (Pattern::Loitering, 60, 44, loiter_scenario),
        ];
        println!("detection delay: stream seconds from the start of the pattern to the first");
        println!("detect() naming it (15-minute window, every 5 s); persistent = share of later");
        println!("evaluations still naming it; wrong = evaluations naming another specific");
        println!("pattern; centre/radius errors are the worst over all right detections.");
        println!(
            "{:<12} {:>6} {:>8} {:>6} {:>8} {:>6} {:>6} {:>10} {:>7} {:>10} {:>10}",
            "pattern",
            "tracks",
            "detected",
            "min_s",
            "median_s",
            "p90_s",
            "max_s",
            "persistent",
            "wrong",
            "centre_nm",
            "radius_err"
        );
        for (pattern, tracks, seed, scenario) in cases {
            let s = run_positive(pattern, tracks, seed, scenario);
            let centre = match pattern {
                Pattern::GridSearch => "-".to_string(),
                _ => format!("{:.3}", s.centre_err_nm),
            };
            let radius = match pattern {
                Pattern::Circling => format!("{:.1}%", 100.0 * s.extent_err),
                _ => "-".to_string(),
            };
            println!(
                "{:<12} {:>6} {:>8} {:>6.0} {:>8.0} {:>6.0} {:>6.0} {:>9.1}% {:>6.2}% {:>10} {:>10}",
                pattern.name(),
                s.tracks,
                s.detected,
                s.delays.first().copied().unwrap_or(f64::NAN),
                percentile(&s.delays, 0.5),
                percentile(&s.delays, 0.9),
                percentile(&s.delays, 1.0),
                100.0 * s.persistence,
                100.0 * s.wrong_rate,
                centre,
                radius
            );
            assert_eq!(
                s.detected,
                s.tracks,
                "{}: undetected tracks",
                pattern.name()
            );
            // Random wandering sometimes really does contain an orbit or a
            // short zigzag, so loiter tracks get a looser bound.
            let wrong_limit = if pattern == Pattern::Loitering {
                0.02
            } else {
                0.01
            };
            assert!(
                s.wrong_rate <= wrong_limit,
                "{}: wrong pattern",
                pattern.name()
            );
            if matches!(pattern, Pattern::Circling | Pattern::Racetrack) {
                assert!(
                    s.centre_err_nm <= CENTRE_TOLERANCE_NM,
                    "{}: centre off",
                    pattern.name()
                );
            }
            if pattern == Pattern::Circling {
                assert!(s.extent_err <= 0.25, "circling: radius off");
            }
        }
    }

    /// Prints the legs and verdicts seen on one history (diagnostics).
    fn explain(h: &[Fix]) {
        let track = Track::from_history(h);
        let legs = find_legs(&track.pts);
        let t_end = track.end_time();
        for leg in &legs {
            println!(
                "    leg t0={:>6.0} t1={:>6.0} hdg={:>4.0} len={:.2} dur={:>4.0} kt={:>4.0}",
                leg.t0 - t_end,
                leg.t1 - t_end,
                leg.heading().to_degrees(),
                leg.length(),
                leg.duration(),
                leg.speed_kt()
            );
        }
        println!(
            "    run={} circling={:?} grid={:?} oval={:?} loiter={:?}",
            recent_run(&legs, t_end).len(),
            detect_circling(&track).map(|d| d.confidence),
            detect_grid(&track, &legs).map(|d| d.confidence),
            find_oval(&track, &legs).map(|o| (o.surveillance, o.detection.confidence)),
            detect_loiter(&track).map(|d| d.extent_nm),
        );
    }

    fn fix(t: f64, lat: f64, lon: f64) -> Fix {
        Fix {
            t,
            lat,
            lon,
            alt_ft: None,
        }
    }

    fn orbit_at(centre: LatLon, radius_nm: f64, speed_kt: f64) -> Path {
        Path::Orbit {
            centre,
            radius_nm,
            speed_kt,
            clockwise: false,
            start_bearing_deg: 30.0,
            alt_ft: 1500.0,
        }
    }

    #[test]
    fn pattern_names_are_stable() {
        let names = [
            Pattern::Circling,
            Pattern::Loitering,
            Pattern::GridSearch,
            Pattern::Racetrack,
        ]
        .map(Pattern::name);
        assert_eq!(names, ["circling", "loitering", "grid_search", "racetrack"]);
    }

    #[test]
    fn degenerate_histories_never_panic() {
        let (nan, inf) = (f64::NAN, f64::INFINITY);
        let series =
            |n: usize, f: &dyn Fn(f64) -> Fix| (0..n).map(|i| f(i as f64)).collect::<Vec<_>>();
        let cases: Vec<Vec<Fix>> = vec![
            vec![],
            vec![fix(0.0, 10.0, 20.0)],
            vec![fix(0.0, 10.0, 20.0); 600],
            series(600, &|i| fix(5.0, 10.0 + i * 1e-3, 20.0)),
            series(600, &|i| fix(-i, 10.0 + i * 1e-3, 20.0)),
            vec![
                fix(nan, 10.0, 20.0),
                fix(1.0, nan, 20.0),
                fix(2.0, 10.0, nan),
                fix(inf, 10.0, 20.0),
                fix(3.0, 91.0, 20.0),
                fix(4.0, 10.0, -181.0),
                fix(-inf, 10.0, 20.0),
            ],
            series(600, &|i| fix(i, 90.0, 20.0 + i)),
            series(600, &|i| {
                fix(
                    2.0 * i,
                    0.0,
                    if i % 2.0 == 0.0 { 179.9999 } else { -179.9999 },
                )
            }),
            series(600, &|i| fix(3.0 * i, i.sin() * 80.0, i.cos() * 170.0)),
            series(2000, &|i| fix(1e12 + i * 1e-3, 10.0, 20.0)),
            series(2000, &|i| fix(i, 10.0 + (i % 7.0) * 1e-4, 20.0)),
            series(2000, &|i| fix(i * 1e6, 10.0, 20.0 + i * 1e-2)),
        ];
        for h in &cases {
            let all = [
                circling(h),
                loitering(h),
                grid_search(h),
                racetrack(h),
                detect(h),
            ];
            for d in all.into_iter().flatten() {
                assert!((0.0..=1.0).contains(&d.confidence), "{d:?}");
                assert!(
                    d.extent_nm.is_finite() && d.centre.0.is_finite() && d.centre.1.is_finite()
                );
            }
        }
    }

    #[test]
    fn random_histories_never_panic() {
        let mut rng = Rng(4);
        for _ in 0..300 {
            let n = (rng.unit() * 2000.0) as usize;
            let (lat0, lon0) = random_place(&mut rng);
            let mut t = rng.range(-1e6, 1e9);
            let h: Vec<Fix> = (0..n)
                .map(|_| {
                    t += rng.range(-3.0, 8.0).round();
                    let spread = if rng.chance(0.01) { 50.0 } else { 0.05 };
                    fix(
                        t,
                        lat0 + spread * rng.normal(),
                        lon0 + spread * rng.normal(),
                    )
                })
                .collect();
            let all = [
                circling(&h),
                loitering(&h),
                grid_search(&h),
                racetrack(&h),
                detect(&h),
            ];
            for d in all.into_iter().flatten() {
                assert!((0.0..=1.0).contains(&d.confidence), "{d:?}");
                assert!(d.extent_nm.is_finite() && d.centre.0.abs() <= 90.0);
            }
        }
    }

    #[test]
    fn hovering_or_parked_aircraft_is_nothing() {
        let mut rng = Rng(5);
        let parked = Path::Straight {
            start: (51.47, -0.45),
            heading_deg: 90.0,
            speed_kt: 0.0,
            alt_ft: 300.0,
        };
        let fixes = sample(&parked, 900.0, &mut rng);
        assert_eq!(detect(&fixes), None);
    }

    #[test]
    fn duplicated_and_out_of_order_fixes_are_skipped() {
        let mut rng = Rng(6);
        let centre = (47.0, 8.0);
        let clean = sample(&orbit_at(centre, 0.6, 90.0), 600.0, &mut rng);
        let mut messy = Vec::new();
        for (i, f) in clean.iter().enumerate() {
            messy.push(*f);
            if i % 7 == 0 {
                messy.push(*f);
            }
            if i % 11 == 0 && i > 30 {
                messy.push(clean[i - 30]);
            }
        }
        let d = circling(&messy).filter(|d| d.pattern == Pattern::Circling);
        let d = d.map(|d| (distance_nm(d.centre, centre), d.extent_nm));
        assert!(
            matches!(d, Some((err, r)) if err < 0.1 && (r - 0.6).abs() < 0.06),
            "{d:?}"
        );
    }

    #[test]
    fn orbits_across_the_antimeridian_and_far_north() {
        let mut rng = Rng(7);
        for centre in [(0.0, 179.99), (-33.0, -179.995), (78.0, 15.0)] {
            let fixes = sample(&orbit_at(centre, 1.0, 120.0), 600.0, &mut rng);
            let d = detect(&fixes);
            assert!(
                matches!(d, Some(d) if d.pattern == Pattern::Circling
                    && distance_nm(d.centre, centre) < CENTRE_TOLERANCE_NM),
                "{centre:?}: {d:?}"
            );
        }
    }

    #[test]
    fn specific_patterns_win_over_loitering() {
        let mut rng = Rng(8);
        let fixes = sample(&orbit_at((40.0, -3.0), 0.8, 90.0), 900.0, &mut rng);
        assert_eq!(detect(&fixes).map(|d| d.pattern), Some(Pattern::Circling));
        assert_eq!(loitering(&fixes), None);
    }

    #[test]
    fn holds_are_not_racetracks_but_slow_long_ovals_are() {
        let mut rng = Rng(9);
        let hold = Path::Hold {
            fix: (50.0, 5.0),
            inbound_deg: 270.0,
            leg_min: 1.0,
            speed_kt: 200.0,
            alt_ft: 9000.0,
        };
        let fixes = sample(&hold, 900.0, &mut rng);
        assert_eq!(detect(&fixes), None);
        assert_eq!(racetrack(&fixes), None);
        let oval = Path::Racetrack {
            centre: (50.0, 5.0),
            heading_deg: 270.0,
            leg_nm: 5.0,
            width_nm: 1.5,
            clockwise: true,
            speed_kt: 120.0,
            alt_ft: 3000.0,
        };
        let fixes = sample(&oval, 900.0, &mut rng);
        let d = racetrack(&fixes).map(|d| distance_nm(d.centre, (50.0, 5.0)));
        assert!(matches!(d, Some(err) if err < CENTRE_TOLERANCE_NM), "{d:?}");
    }

    #[test]
    fn two_thousand_fixes_are_thinned_and_still_recognised() {
        let mut rng = Rng(10);
        let path = orbit_at((35.0, 139.0), 1.2, 140.0);
        let fixes: Vec<Fix> = (0..2000)
            .map(|i| {
                let s = path.at(f64::from(i) * 0.5);
                let noise = NOISE_NM / 60.0;
                fix(
                    EPOCH + f64::from(i) * 0.5,
                    s.lat + noise * rng.normal(),
                    s.lon,
                )
            })
            .collect();
        // The cost is measured by `cargo bench --bench cannonball`.
        let d = detect(&fixes);
        assert_eq!(d.map(|d| d.pattern), Some(Pattern::Circling));
    }

    /// Diagnostics: how far the ovals of holds and racetracks are from the
    /// racetrack thresholds. Run with `-- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn oval_margins() {
        let mut rng = seeded(77);
        let kinds: [(&str, PathFn); 3] = [
            ("atc hold", |rng| negative_path(3, rng)),
            ("slow hold", |rng| negative_path(4, rng)),
            ("racetrack", |rng| racetrack_scenario(rng).path),
        ];
        for (name, make) in kinds {
            let (mut durations, mut lengths, mut speeds) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..40 {
                let path = make(&mut rng);
                let fixes = sample(&path, 1100.0, &mut rng);
                let track = Track::from_history(window(&fixes, EPOCH + 1100.0));
                let legs = find_legs(&track.pts);
                let run = recent_run(&legs, track.end_time());
                if let Some(ladder) = sub_runs(run, OVAL_MIN_LEGS).find_map(Ladder::of) {
                    durations.push(median(ladder.completed_durations()));
                    lengths.push(median(ladder.completed_lengths()));
                }
                speeds.push(median(&run.iter().map(Leg::speed_kt).collect::<Vec<_>>()));
            }
            let range = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                (
                    v.first().copied().unwrap_or(f64::NAN),
                    v.last().copied().unwrap_or(f64::NAN),
                )
            };
            println!(
                "{name:<10} ovals {:>2}/40 leg_s {:.0?} leg_nm {:.2?} kt {:.0?}",
                durations.len(),
                range(&mut durations),
                range(&mut lengths),
                range(&mut speeds)
            );
        }
    }

    /// The negative track families: none of them is a surveillance pattern.
    const NEGATIVE_KINDS: [&str; 8] = [
        "straight",
        "single turn",
        "s-turns",
        "atc hold",
        "slow hold",
        "procedure turn",
        "departure",
        "heli transit",
    ];

    fn negative_path(kind: usize, rng: &mut Rng) -> Path {
        let start = random_place(rng);
        let heading = rng.range(0.0, 360.0);
        match kind {
            0 => Path::Straight {
                start,
                heading_deg: heading,
                speed_kt: rng.range(80.0, 480.0),
                alt_ft: rng.range(1000.0, 41000.0),
            },
            1 => Path::Turn {
                start,
                heading_deg: heading,
                speed_kt: rng.range(90.0, 300.0),
                alt_ft: rng.range(2000.0, 30000.0),
                straight_s: rng.range(60.0, 600.0),
                turn_deg: rng.sign() * [90.0, 180.0, 270.0][(rng.unit() * 3.0) as usize],
                rate_dps: rng.range(1.5, 3.0),
            },
            2 => Path::Weave {
                start,
                heading_deg: heading,
                speed_kt: rng.range(90.0, 300.0),
                alt_ft: rng.range(2000.0, 30000.0),
                amplitude_deg: rng.range(10.0, 45.0),
                period_s: rng.range(40.0, 240.0),
            },
            3 | 4 => {
                let (speed, alt) = if kind == 3 {
                    (rng.range(180.0, 230.0), rng.range(4000.0, 15000.0))
                } else {
                    (rng.range(90.0, 170.0), rng.range(2000.0, 8000.0))
                };
                Path::Hold {
                    fix: start,
                    inbound_deg: heading,
                    leg_min: if alt > 14000.0 { 1.5 } else { 1.0 },
                    speed_kt: speed,
                    alt_ft: alt,
                }
                .with_lead_in(rng.range(60.0, 240.0))
            }
            5 => {
                // Outbound, 45° off, one minute, rate-one 180° the other way,
                // back to intercept, 45° onto the inbound course.
                let side = rng.sign();
                let descent = -rng.range(300.0, 700.0);
                Path::Manoeuvres {
                    start,
                    heading_deg: heading,
                    speed_kt: rng.range(90.0, 140.0),
                    alt_ft: rng.range(2500.0, 4000.0),
                    steps: vec![
                        step(rng.range(90.0, 240.0), 0.0, 0.0),
                        step(15.0, -3.0 * side, 0.0),
                        step(rng.range(60.0, 75.0), 0.0, 0.0),
                        step(60.0, 3.0 * side, 0.0),
                        step(rng.range(40.0, 60.0), 0.0, 0.0),
                        step(15.0, 3.0 * side, descent),
                        step(600.0, 0.0, descent),
                    ],
                }
            }
            6 => {
                let climb = rng.range(1500.0, 3000.0);
                let mut steps = vec![step(rng.range(30.0, 90.0), 0.0, climb)];
                for _ in 0..1 + (rng.unit() * 3.0) as usize {
                    let rate = rng.sign() * rng.range(2.0, 3.0);
                    steps.push(step(rng.range(30.0, 150.0) / rate.abs(), rate, climb));
                    steps.push(step(rng.range(30.0, 180.0), 0.0, climb));
                }
                Path::Manoeuvres {
                    start,
                    heading_deg: heading,
                    speed_kt: rng.range(140.0, 250.0),
                    alt_ft: rng.range(0.0, 1000.0),
                    steps,
                }
            }
            _ => Path::Straight {
                start,
                heading_deg: heading,
                speed_kt: rng.range(30.0, 90.0),
                alt_ft: rng.range(300.0, 2000.0),
            },
        }
    }

    fn step(secs: f64, turn_dps: f64, climb_fpm: f64) -> Step {
        Step {
            secs,
            turn_dps,
            climb_fpm,
        }
    }

    /// False pattern rate over ≥ 200 negative tracks of 15 minutes, each
    /// evaluated every 5 s on the window ending there.
    #[test]
    fn false_pattern_rate() {
        const PER_KIND: usize = 30;
        let mut rng = seeded(55);
        let (mut evals, mut flagged_evals, mut tracks, mut flagged_tracks) = (0, 0, 0, 0);
        for (kind, name) in NEGATIVE_KINDS.iter().enumerate() {
            let (mut kind_evals, mut kind_tracks) = (0, 0);
            let mut seen: Vec<&str> = Vec::new();
            for _ in 0..PER_KIND {
                let path = negative_path(kind, &mut rng);
                let fixes = sample(&path, WINDOW_S, &mut rng);
                let mut flagged = false;
                let mut t = EVAL_STEP_S;
                while t <= WINDOW_S {
                    evals += 1;
                    if let Some(d) = detect(window(&fixes, EPOCH + t)) {
                        if !flagged {
                            println!("  false {d:?} at {t}: {path:?}");
                            explain(window(&fixes, EPOCH + t));
                        }
                        kind_evals += 1;
                        flagged = true;
                        if !seen.contains(&d.pattern.name()) {
                            seen.push(d.pattern.name());
                        }
                    }
                    t += EVAL_STEP_S;
                }
                tracks += 1;
                kind_tracks += usize::from(flagged);
            }
            println!("  {name:<15} tracks flagged {kind_tracks:>2}/{PER_KIND}, evaluations flagged {kind_evals:>4} {seen:?}");
            flagged_evals += kind_evals;
            flagged_tracks += kind_tracks;
        }
        let per_eval = flagged_evals as f64 / evals as f64;
        let per_track = flagged_tracks as f64 / tracks as f64;
        println!(
            "false pattern rate: {:.3}% of {evals} evaluations, {:.2}% of {tracks} tracks",
            100.0 * per_eval,
            100.0 * per_track
        );
        assert!(tracks >= 200);
        assert!(
            per_track <= 0.02,
            "false pattern rate per track {per_track}"
        );
    }
}
