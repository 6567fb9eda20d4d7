//! Synthetic aircraft trajectories for tests and for the simulator.
//!
//! Every [`Path`] is a pure function of time: [`Path::at`] returns where the
//! aircraft is `t` seconds after the path began (times before 0, and
//! non-finite times, are treated as 0). Nothing is integrated step by step
//! except the irregular [`Path::Loiter`], which replays its own deterministic
//! sequence of manoeuvres from `t = 0` on every call.
//!
//! Geometry is done on a local flat earth (equirectangular projection)
//! centred on each path's reference point: `x` nautical miles east and `y`
//! nautical miles north, with `lat = lat0 + y / 60` and
//! `lon = lon0 + x / (60 cos lat0)`. All patterns span a few nautical miles,
//! where the projection error is a few metres.
//!
//! Most paths are chains of constant-curvature pieces (`Arc`s): a straight
//! line has curvature 0, a turn of radius `r` has curvature `±1/r` (positive
//! for a right, i.e. clockwise, turn). Ground speed is constant along a path.

use std::f64::consts::{PI, TAU};

/// A geographic position: (latitude, longitude) in degrees.
pub type LatLon = (f64, f64);

/// Nautical miles per degree of latitude.
const NM_PER_DEG_LAT: f64 = 60.0;
/// Standard gravity, m/s².
const G_MPS2: f64 = 9.806_65;
/// Metres per second in one knot.
const MPS_PER_KT: f64 = 1852.0 / 3600.0;
/// Rate-one ("standard rate") turn, degrees per second.
pub const STANDARD_RATE_DPS: f64 = 3.0;
/// Bank limit for holding-pattern turns (ICAO: 25° or rate one, whichever is less).
pub const HOLD_MAX_BANK_DEG: f64 = 25.0;
/// Loiter: each manoeuvre steers towards a random point within this fraction of the radius ...
const LOITER_TARGET_FRACTION: f64 = 0.7;
/// ... at least this fraction of the radius away from the aircraft.
const LOITER_TARGET_MIN_FRACTION: f64 = 0.6;
/// Loiter: most draws of a target.
const LOITER_TARGET_DRAWS: usize = 16;
/// Loiter: refinements of the turn angle.
const LOITER_AIM_ITERATIONS: usize = 3;
/// Loiter: turn radii are drawn between these fractions of the loiter radius.
const LOITER_TURN_FRACTION: (f64, f64) = (0.08, 0.15);
/// Loiter: shortest straight after a turn, as a fraction of the loiter radius.
const LOITER_MIN_STRAIGHT_FRACTION: f64 = 0.05;
/// Loiter: upper bound on replayed manoeuvres (about a day of flight at typical sizes).
const LOITER_MAX_SEGMENTS: usize = 200_000;

/// Where an aircraft is at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    pub lat: f64,
    pub lon: f64,
    pub alt_ft: f64,
    /// Ground speed, knots.
    pub gs_kt: f64,
    /// Track over the ground, degrees clockwise from true north, in [0, 360).
    pub track_deg: f64,
}

/// One step of a [`Path::Manoeuvres`] program: fly `secs` seconds turning at
/// `turn_dps` degrees per second (positive = right, 0 = straight) while
/// climbing at `climb_fpm` feet per minute (negative = descending).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    pub secs: f64,
    pub turn_dps: f64,
    pub climb_fpm: f64,
}

/// A synthetic trajectory.
///
/// Headings and tracks are degrees clockwise from true north, speeds are
/// ground speeds in knots, distances nautical miles, altitudes feet.
#[derive(Clone, Debug, PartialEq)]
pub enum Path {
    /// Constant track and speed from `start`.
    Straight {
        start: LatLon,
        heading_deg: f64,
        speed_kt: f64,
        alt_ft: f64,
    },
    /// Endless circle of `radius_nm` around `centre`, starting at the point
    /// that lies `start_bearing_deg` from the centre.
    Orbit {
        centre: LatLon,
        radius_nm: f64,
        speed_kt: f64,
        clockwise: bool,
        start_bearing_deg: f64,
        alt_ft: f64,
    },
    /// Lawn-mower search: `legs` parallel legs of `leg_nm`, the first starting
    /// at `origin` on `heading_deg`, each next leg `spacing_nm` further to the
    /// right (`to_right`) or left of the previous one, joined by semicircles of
    /// radius `spacing_nm / 2` that alternate right and left. The pattern is
    /// flown once: after the last leg the aircraft continues straight on.
    Grid {
        origin: LatLon,
        heading_deg: f64,
        leg_nm: f64,
        spacing_nm: f64,
        legs: u32,
        to_right: bool,
        speed_kt: f64,
        alt_ft: f64,
    },
    /// Endless oval centred on `centre`: two straight legs of `leg_nm`
    /// parallel to `heading_deg`, `width_nm` apart, joined by semicircles of
    /// radius `width_nm / 2`. At `t = 0` the aircraft starts the leg flown on
    /// `heading_deg`; `clockwise` means right turns.
    Racetrack {
        centre: LatLon,
        heading_deg: f64,
        leg_nm: f64,
        width_nm: f64,
        clockwise: bool,
        speed_kt: f64,
        alt_ft: f64,
    },
    /// Irregular wandering that stays within `radius_nm` of `centre`: a
    /// seeded (`seed`) sequence of turns towards random points within 70 % of
    /// the radius from the centre, each followed by a straight run 60–100 %
    /// of the way there. Turns have a radius of 8–15 % of the area radius and
    /// are never more than a half turn; targets that would let the heading
    /// drift over half a turn from where it started are avoided, so it does
    /// not orbit. Starts at the centre.
    Loiter {
        centre: LatLon,
        radius_nm: f64,
        speed_kt: f64,
        alt_ft: f64,
        seed: u64,
    },
    /// Standard (right-hand) ATC holding pattern at `fix`: inbound leg on
    /// `inbound_deg` ending at the fix, outbound leg of `leg_min` minutes, turns
    /// at rate one or 25° bank, whichever is shallower. At `t = 0` the aircraft
    /// is over the fix, heading inbound, about to turn outbound.
    Hold {
        fix: LatLon,
        inbound_deg: f64,
        leg_min: f64,
        speed_kt: f64,
        alt_ft: f64,
    },
    /// Straight for `straight_s` seconds, then a turn through `turn_deg`
    /// (positive = right) at `rate_dps`, then straight on.
    Turn {
        start: LatLon,
        heading_deg: f64,
        speed_kt: f64,
        alt_ft: f64,
        straight_s: f64,
        turn_deg: f64,
        rate_dps: f64,
    },
    /// S-turns about a mean track: the heading swings between
    /// `heading_deg ± amplitude_deg` at a constant turn rate, one full swing
    /// (right, left, back) every `period_s` seconds.
    Weave {
        start: LatLon,
        heading_deg: f64,
        speed_kt: f64,
        alt_ft: f64,
        amplitude_deg: f64,
        period_s: f64,
    },
    /// A programme of [`Step`]s (approaches, departures, ad-hoc shapes); after
    /// the last step the aircraft flies straight and level.
    Manoeuvres {
        start: LatLon,
        heading_deg: f64,
        speed_kt: f64,
        alt_ft: f64,
        steps: Vec<Step>,
    },
    /// `first` until `switch_s`, then `then` with its own clock restarted.
    /// The caller makes the two join up (see [`Path::with_lead_in`]).
    Then {
        first: Box<Path>,
        switch_s: f64,
        then: Box<Path>,
    },
}

impl Path {
    /// The aircraft's state `t` seconds after the start of the path.
    pub fn at(&self, t: f64) -> State {
        let t = if t.is_finite() { t.max(0.0) } else { 0.0 };
        match self {
            Path::Straight {
                start,
                heading_deg,
                speed_kt,
                alt_ft,
            } => Pose::heading(*heading_deg)
                .advance(0.0, nm_per_s(*speed_kt) * t)
                .state(*start, *alt_ft, *speed_kt),
            Path::Orbit {
                centre,
                radius_nm,
                speed_kt,
                clockwise,
                start_bearing_deg,
                alt_ft,
            } => orbit_pose(*radius_nm, *speed_kt, *clockwise, *start_bearing_deg, t)
                .state(*centre, *alt_ft, *speed_kt),
            Path::Grid {
                origin,
                heading_deg,
                leg_nm,
                spacing_nm,
                legs,
                to_right,
                speed_kt,
                alt_ft,
            } => {
                let arcs = grid_arcs(*leg_nm, *spacing_nm, *legs, *to_right);
                walk(Pose::heading(*heading_deg), &arcs, nm_per_s(*speed_kt) * t)
                    .state(*origin, *alt_ft, *speed_kt)
            }
            Path::Racetrack {
                centre,
                heading_deg,
                leg_nm,
                width_nm,
                clockwise,
                speed_kt,
                alt_ft,
            } => {
                let sense = if *clockwise { 1.0 } else { -1.0 };
                let start = Pose::heading(*heading_deg)
                    .advance(0.0, -leg_nm / 2.0)
                    .shifted_right(-sense * width_nm / 2.0);
                let arcs = stadium_arcs(*leg_nm, *width_nm / 2.0, sense);
                walk_repeating(start, &arcs, nm_per_s(*speed_kt) * t)
                    .state(*centre, *alt_ft, *speed_kt)
            }
            Path::Loiter {
                centre,
                radius_nm,
                speed_kt,
                alt_ft,
                seed,
            } => loiter_pose(*radius_nm, nm_per_s(*speed_kt) * t, *seed)
                .state(*centre, *alt_ft, *speed_kt),
            Path::Hold {
                fix,
                inbound_deg,
                leg_min,
                speed_kt,
                alt_ft,
            } => {
                let v = nm_per_s(*speed_kt);
                let radius = turn_radius_nm(*speed_kt, hold_turn_rate_dps(*speed_kt));
                let leg = v * 60.0 * leg_min;
                let start = Pose::heading(*inbound_deg).advance(0.0, -leg);
                let arcs = stadium_arcs(leg, radius, 1.0);
                walk_repeating(start, &arcs, leg + v * t).state(*fix, *alt_ft, *speed_kt)
            }
            Path::Turn {
                start,
                heading_deg,
                speed_kt,
                alt_ft,
                straight_s,
                turn_deg,
                rate_dps,
            } => {
                let arcs = turn_arcs(*speed_kt, *straight_s, *turn_deg, *rate_dps);
                walk(Pose::heading(*heading_deg), &arcs, nm_per_s(*speed_kt) * t)
                    .state(*start, *alt_ft, *speed_kt)
            }
            Path::Weave {
                start,
                heading_deg,
                speed_kt,
                alt_ft,
                amplitude_deg,
                period_s,
            } => {
                let arcs = weave_arcs(*speed_kt, *amplitude_deg, *period_s);
                walk_repeating(Pose::heading(*heading_deg), &arcs, nm_per_s(*speed_kt) * t)
                    .state(*start, *alt_ft, *speed_kt)
            }
            Path::Manoeuvres {
                start,
                heading_deg,
                speed_kt,
                alt_ft,
                steps,
            } => {
                let v = nm_per_s(*speed_kt);
                let arcs: Vec<Arc> = steps.iter().map(|s| step_arc(s, v)).collect();
                let pose = walk(Pose::heading(*heading_deg), &arcs, v * t);
                pose.state(*start, alt_ft + climb_ft(steps, t), *speed_kt)
            }
            Path::Then {
                first,
                switch_s,
                then,
            } => {
                if t < *switch_s {
                    first.at(t)
                } else {
                    then.at(t - switch_s)
                }
            }
        }
    }

    /// Prefixes `self` with `secs` seconds of straight flight that arrives at
    /// the start of `self` on its initial track and speed, so the joined path
    /// is continuous. The pattern then starts at `t = secs`.
    pub fn with_lead_in(self, secs: f64) -> Path {
        let s0 = self.at(0.0);
        let back = Pose::heading(s0.track_deg).advance(0.0, -nm_per_s(s0.gs_kt) * secs);
        let start = to_lat_lon((s0.lat, s0.lon), back.x, back.y);
        Path::Then {
            first: Box::new(Path::Straight {
                start,
                heading_deg: s0.track_deg,
                speed_kt: s0.gs_kt,
                alt_ft: s0.alt_ft,
            }),
            switch_s: secs,
            then: Box::new(self),
        }
    }

    /// How long the path's own shape lasts before it degenerates into straight
    /// flight, for the paths that end (grid, turn, manoeuvres, and a `Then`
    /// ending in one of them); `None` for endless patterns.
    pub fn duration_s(&self) -> Option<f64> {
        match self {
            Path::Grid {
                leg_nm,
                spacing_nm,
                legs,
                to_right,
                speed_kt,
                ..
            } => {
                let arcs = grid_arcs(*leg_nm, *spacing_nm, *legs, *to_right);
                Some(arcs.iter().map(|a| a.len).sum::<f64>() / nm_per_s(*speed_kt))
            }
            Path::Turn {
                straight_s,
                turn_deg,
                rate_dps,
                ..
            } => Some(straight_s + (turn_deg / rate_dps).abs()),
            Path::Manoeuvres { steps, .. } => Some(steps.iter().map(|s| s.secs).sum()),
            Path::Then { switch_s, then, .. } => then.duration_s().map(|d| switch_s + d),
            _ => None,
        }
    }
}

/// Turn rate, degrees per second, flown in a holding pattern at `speed_kt`:
/// rate one, or the rate that a 25° bank gives, whichever is lower.
pub fn hold_turn_rate_dps(speed_kt: f64) -> f64 {
    let bank_rate = G_MPS2 * HOLD_MAX_BANK_DEG.to_radians().tan() / (speed_kt * MPS_PER_KT);
    STANDARD_RATE_DPS.min(bank_rate.to_degrees())
}

/// Radius, nm, of a turn at `rate_dps` degrees per second and `speed_kt`.
pub fn turn_radius_nm(speed_kt: f64, rate_dps: f64) -> f64 {
    nm_per_s(speed_kt) / rate_dps.to_radians()
}

/// Smallest turn radius, nm, at `speed_kt` in a coordinated turn at `bank_deg`.
pub fn min_turn_radius_nm(speed_kt: f64, bank_deg: f64) -> f64 {
    let v = speed_kt * MPS_PER_KT;
    v * v / (G_MPS2 * bank_deg.to_radians().tan()) / 1852.0
}

/// Converts a local-plane offset (nm east, nm north of `origin`) to latitude
/// and longitude.
pub fn to_lat_lon(origin: LatLon, x_nm: f64, y_nm: f64) -> LatLon {
    let cos_lat = origin.0.to_radians().cos().max(1e-6);
    let lat = origin.0 + y_nm / NM_PER_DEG_LAT;
    let lon = origin.1 + x_nm / (NM_PER_DEG_LAT * cos_lat);
    (lat, (lon + 180.0).rem_euclid(360.0) - 180.0)
}

/// Converts `p` to a local-plane offset (nm east, nm north) from `origin`.
pub fn to_local(origin: LatLon, p: LatLon) -> (f64, f64) {
    let cos_lat = origin.0.to_radians().cos().max(1e-6);
    let dlon = (p.1 - origin.1 + 180.0).rem_euclid(360.0) - 180.0;
    (
        dlon * NM_PER_DEG_LAT * cos_lat,
        (p.0 - origin.0) * NM_PER_DEG_LAT,
    )
}

/// Knots to nautical miles per second; anything that is not a positive finite
/// speed is treated as standing still.
fn nm_per_s(speed_kt: f64) -> f64 {
    if speed_kt.is_finite() && speed_kt > 0.0 {
        speed_kt / 3600.0
    } else {
        0.0
    }
}

/// Position and heading on the local plane.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pose {
    /// nm east of the path's reference point.
    x: f64,
    /// nm north of the path's reference point.
    y: f64,
    /// Heading, radians clockwise from north.
    hdg: f64,
}

impl Pose {
    /// At the reference point, heading `deg`.
    fn heading(deg: f64) -> Pose {
        Pose {
            x: 0.0,
            y: 0.0,
            hdg: deg.to_radians(),
        }
    }

    /// Moves `s` nm along a curve of constant signed curvature `k` (1/nm,
    /// positive turning right). On a circle the heading grows by `k s`, and
    /// integrating (sin h, cos h) gives the closed form below.
    fn advance(self, k: f64, s: f64) -> Pose {
        if k.abs() < 1e-9 {
            Pose {
                x: self.x + s * self.hdg.sin(),
                y: self.y + s * self.hdg.cos(),
                hdg: self.hdg,
            }
        } else {
            let hdg = self.hdg + k * s;
            Pose {
                x: self.x + (self.hdg.cos() - hdg.cos()) / k,
                y: self.y + (hdg.sin() - self.hdg.sin()) / k,
                hdg,
            }
        }
    }

    /// The same heading, displaced `d` nm to the right (negative: left).
    fn shifted_right(self, d: f64) -> Pose {
        Pose {
            x: self.x + d * self.hdg.cos(),
            y: self.y - d * self.hdg.sin(),
            hdg: self.hdg,
        }
    }

    /// Signed angle, radians, to turn right to point at `(x, y)`.
    fn bearing_error(self, x: f64, y: f64) -> f64 {
        let bearing = (x - self.x).atan2(y - self.y);
        (bearing - self.hdg + PI).rem_euclid(TAU) - PI
    }

    fn state(self, origin: LatLon, alt_ft: f64, gs_kt: f64) -> State {
        let (lat, lon) = to_lat_lon(origin, self.x, self.y);
        State {
            lat,
            lon,
            alt_ft,
            gs_kt,
            track_deg: self.hdg.to_degrees().rem_euclid(360.0),
        }
    }
}

/// A piece of constant curvature: `len` nm at curvature `k` (1/nm, + = right).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Arc {
    len: f64,
    k: f64,
}

impl Arc {
    fn straight(len: f64) -> Arc {
        Arc { len, k: 0.0 }
    }

    /// A turn through `angle` radians (sign: + right) on a circle of `radius`.
    fn turn(angle: f64, radius: f64) -> Arc {
        if radius > 0.0 && radius.is_finite() {
            Arc {
                len: angle.abs() * radius,
                k: angle.signum() / radius,
            }
        } else {
            Arc::straight(0.0)
        }
    }
}

/// Pose after `s` nm along `arcs` from `start`; past their end, straight on.
fn walk(start: Pose, arcs: &[Arc], s: f64) -> Pose {
    let mut pose = start;
    let mut rest = s;
    for arc in arcs {
        if rest <= arc.len {
            return pose.advance(arc.k, rest);
        }
        pose = pose.advance(arc.k, arc.len);
        rest -= arc.len;
    }
    pose.advance(0.0, rest)
}

/// Pose after `s` nm along `arcs` repeated for ever. Each repetition must turn
/// the heading by a whole number of turns; it then shifts the position by the
/// same vector every time (zero for a closed loop).
fn walk_repeating(start: Pose, arcs: &[Arc], s: f64) -> Pose {
    let period: f64 = arcs.iter().map(|a| a.len).sum();
    if !(period > 0.0 && s.is_finite()) {
        return start;
    }
    let laps = (s / period).floor();
    let end = walk(start, arcs, period);
    let pose = walk(start, arcs, s - laps * period);
    Pose {
        x: pose.x + laps * (end.x - start.x),
        y: pose.y + laps * (end.y - start.y),
        hdg: pose.hdg,
    }
}

/// Pose on an orbit: the bearing from the centre grows (clockwise) or shrinks
/// by `v t / r` radians, and the track is 90° ahead of that bearing.
fn orbit_pose(radius: f64, speed_kt: f64, clockwise: bool, start_bearing_deg: f64, t: f64) -> Pose {
    let sense = if clockwise { 1.0 } else { -1.0 };
    let swept = if radius > 0.0 {
        nm_per_s(speed_kt) * t / radius
    } else {
        0.0
    };
    let bearing = start_bearing_deg.to_radians() + sense * swept;
    Pose {
        x: radius * bearing.sin(),
        y: radius * bearing.cos(),
        hdg: bearing + sense * PI / 2.0,
    }
}

/// Legs and alternating semicircular turns of a lawn-mower pattern.
fn grid_arcs(leg: f64, spacing: f64, legs: u32, to_right: bool) -> Vec<Arc> {
    let mut arcs = Vec::with_capacity(2 * legs as usize);
    let mut sense = if to_right { 1.0 } else { -1.0 };
    for i in 0..legs {
        arcs.push(Arc::straight(leg));
        if i + 1 < legs {
            arcs.push(Arc::turn(sense * PI, spacing / 2.0));
            sense = -sense;
        }
    }
    arcs
}

/// One lap of a stadium: leg, half turn, leg back, half turn, all turns in
/// the direction `sense` (+1 right).
fn stadium_arcs(leg: f64, radius: f64, sense: f64) -> [Arc; 4] {
    let half_turn = Arc::turn(sense * PI, radius);
    [Arc::straight(leg), half_turn, Arc::straight(leg), half_turn]
}

fn turn_arcs(speed_kt: f64, straight_s: f64, turn_deg: f64, rate_dps: f64) -> [Arc; 2] {
    [
        Arc::straight(nm_per_s(speed_kt) * straight_s),
        Arc::turn(turn_deg.to_radians(), turn_radius_nm(speed_kt, rate_dps)),
    ]
}

/// One S-turn cycle: right by the amplitude, left through twice the
/// amplitude, right back to the mean track, all at rate `4 A / period`.
fn weave_arcs(speed_kt: f64, amplitude_deg: f64, period_s: f64) -> [Arc; 3] {
    let amplitude = amplitude_deg.to_radians();
    let rate_dps = (4.0 * amplitude / period_s).to_degrees();
    let radius = turn_radius_nm(speed_kt, rate_dps);
    [
        Arc::turn(amplitude, radius),
        Arc::turn(-2.0 * amplitude, radius),
        Arc::turn(amplitude, radius),
    ]
}

fn step_arc(step: &Step, v: f64) -> Arc {
    let len = v * step.secs.max(0.0);
    if v > 0.0 {
        Arc {
            len,
            k: step.turn_dps.to_radians() / v,
        }
    } else {
        Arc::straight(0.0)
    }
}

/// Height gained, feet, after `t` seconds of a [`Step`] programme.
fn climb_ft(steps: &[Step], t: f64) -> f64 {
    let mut gained = 0.0;
    let mut rest = t;
    for step in steps {
        let dt = rest.min(step.secs.max(0.0));
        gained += step.climb_fpm / 60.0 * dt;
        rest -= dt;
        if rest <= 0.0 {
            break;
        }
    }
    gained
}

/// Small deterministic generator (SplitMix64) for the loiter's choices.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One loiter manoeuvre: a turn of `arc_len` nm at curvature `k`, then a
/// straight of `straight_len` nm.
struct LoiterSegment {
    k: f64,
    arc_len: f64,
    straight_len: f64,
}

impl LoiterSegment {
    /// Picks a random point near the centre but well away from the aircraft
    /// (so it can be reached without orbiting it), and a random turn radius;
    /// turns the short way until the nose points at that point, then flies
    /// 60–100 % of the way there. `net_turn` is the heading change so far
    /// (radians, + right): targets that would take it beyond half a turn
    /// either way are avoided, so the wandering never becomes an orbit.
    fn plan(pose: Pose, radius: f64, net_turn: f64, rng: &mut SplitMix) -> LoiterSegment {
        let (lo, hi) = LOITER_TURN_FRACTION;
        let turn_radius = radius * (lo + (hi - lo) * rng.unit());
        let (tx, ty) = loiter_target(pose, radius, net_turn, rng);
        let error = pose.bearing_error(tx, ty);
        let sense = if error < 0.0 { -1.0 } else { 1.0 };
        let k = sense / turn_radius;
        // Fixed-point refinement: the nose must point at the target from
        // where the turn ends, not from where it starts.
        let mut angle = error.abs();
        for _ in 0..LOITER_AIM_ITERATIONS {
            let end = pose.advance(k, angle * turn_radius);
            angle = (angle + sense * end.bearing_error(tx, ty)).clamp(0.0, PI);
        }
        let arc_len = angle * turn_radius;
        let end = pose.advance(k, arc_len);
        let dist = (tx - end.x).hypot(ty - end.y);
        let straight_len =
            (dist * (0.6 + 0.4 * rng.unit())).max(LOITER_MIN_STRAIGHT_FRACTION * radius);
        LoiterSegment {
            k,
            arc_len,
            straight_len,
        }
    }

    fn len(&self) -> f64 {
        self.arc_len + self.straight_len
    }

    fn pose_at(&self, start: Pose, s: f64) -> Pose {
        if s <= self.arc_len {
            start.advance(self.k, s)
        } else {
            start
                .advance(self.k, self.arc_len)
                .advance(0.0, s - self.arc_len)
        }
    }
}

/// A random point within [`LOITER_TARGET_FRACTION`] of the loiter radius
/// from the centre: the best of a few draws, preferring points at least
/// [`LOITER_TARGET_MIN_FRACTION`] of the radius from the aircraft and
/// reachable without the heading drifting more than half a turn from where
/// it started.
fn loiter_target(pose: Pose, radius: f64, net_turn: f64, rng: &mut SplitMix) -> (f64, f64) {
    let mut best = (f64::INFINITY, (0.0, 0.0));
    for _ in 0..LOITER_TARGET_DRAWS {
        let rho = LOITER_TARGET_FRACTION * radius * rng.unit().sqrt();
        let theta = TAU * rng.unit();
        let (tx, ty) = (rho * theta.sin(), rho * theta.cos());
        let near = LOITER_TARGET_MIN_FRACTION * radius - (tx - pose.x).hypot(ty - pose.y);
        let overturn = (net_turn + pose.bearing_error(tx, ty)).abs() - PI;
        let badness = near.max(0.0) / radius + 10.0 * overturn.max(0.0);
        if badness < best.0 {
            best = (badness, (tx, ty));
        }
        if badness <= 0.0 {
            break;
        }
    }
    best.1
}

/// Pose after `s` nm of a seeded loiter within `radius` of the origin.
fn loiter_pose(radius: f64, s: f64, seed: u64) -> Pose {
    let mut rng = SplitMix(seed);
    let mut pose = Pose {
        x: 0.0,
        y: 0.0,
        hdg: TAU * rng.unit(),
    };
    if !(radius > 0.0 && radius.is_finite() && s > 0.0) {
        return pose;
    }
    let mut rest = s;
    let mut net_turn = 0.0;
    for _ in 0..LOITER_MAX_SEGMENTS {
        let segment = LoiterSegment::plan(pose, radius, net_turn, &mut rng);
        if rest <= segment.len() {
            return segment.pose_at(pose, rest);
        }
        pose = segment.pose_at(pose, segment.len());
        net_turn += segment.k * segment.arc_len;
        rest -= segment.len();
    }
    pose
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist_nm(a: LatLon, b: LatLon) -> f64 {
        let (x, y) = to_local(a, b);
        x.hypot(y)
    }

    fn all_paths() -> Vec<Path> {
        let p = (45.0, 7.0);
        vec![
            Path::Straight {
                start: p,
                heading_deg: 30.0,
                speed_kt: 250.0,
                alt_ft: 20000.0,
            },
            Path::Orbit {
                centre: p,
                radius_nm: 0.7,
                speed_kt: 90.0,
                clockwise: true,
                start_bearing_deg: 10.0,
                alt_ft: 1500.0,
            },
            Path::Grid {
                origin: p,
                heading_deg: 100.0,
                leg_nm: 3.0,
                spacing_nm: 1.0,
                legs: 5,
                to_right: false,
                speed_kt: 110.0,
                alt_ft: 1000.0,
            },
            Path::Racetrack {
                centre: p,
                heading_deg: 200.0,
                leg_nm: 4.0,
                width_nm: 1.5,
                clockwise: false,
                speed_kt: 130.0,
                alt_ft: 3000.0,
            },
            Path::Loiter {
                centre: p,
                radius_nm: 1.5,
                speed_kt: 70.0,
                alt_ft: 800.0,
                seed: 42,
            },
            Path::Hold {
                fix: p,
                inbound_deg: 90.0,
                leg_min: 1.0,
                speed_kt: 210.0,
                alt_ft: 8000.0,
            },
            Path::Turn {
                start: p,
                heading_deg: 0.0,
                speed_kt: 160.0,
                alt_ft: 5000.0,
                straight_s: 60.0,
                turn_deg: -270.0,
                rate_dps: 3.0,
            },
            Path::Weave {
                start: p,
                heading_deg: 45.0,
                speed_kt: 200.0,
                alt_ft: 9000.0,
                amplitude_deg: 30.0,
                period_s: 120.0,
            },
            Path::Manoeuvres {
                start: p,
                heading_deg: 270.0,
                speed_kt: 180.0,
                alt_ft: 0.0,
                steps: vec![
                    Step {
                        secs: 60.0,
                        turn_dps: 0.0,
                        climb_fpm: 2000.0,
                    },
                    Step {
                        secs: 30.0,
                        turn_dps: 3.0,
                        climb_fpm: 2000.0,
                    },
                ],
            },
        ]
    }

    #[test]
    fn every_path_flies_at_its_ground_speed() {
        for path in all_paths() {
            for t in (0..1200).step_by(7) {
                let (a, b) = (path.at(f64::from(t)), path.at(f64::from(t) + 1.0));
                let moved_kt = dist_nm((a.lat, a.lon), (b.lat, b.lon)) * 3600.0;
                assert!(
                    (moved_kt - a.gs_kt).abs() <= 0.02 * a.gs_kt,
                    "{path:?} at {t}: {moved_kt}"
                );
            }
        }
    }

    #[test]
    fn track_follows_the_motion() {
        for path in all_paths() {
            for t in (0..1200).step_by(11) {
                let (a, b) = (path.at(f64::from(t)), path.at(f64::from(t) + 0.01));
                let (x, y) = to_local((a.lat, a.lon), (b.lat, b.lon));
                let moving = x.atan2(y).to_degrees().rem_euclid(360.0);
                let off = (moving - a.track_deg + 540.0).rem_euclid(360.0) - 180.0;
                assert!(
                    off.abs() < 1.0,
                    "{path:?} at {t}: {moving} vs {}",
                    a.track_deg
                );
            }
        }
    }

    #[test]
    fn orbit_keeps_its_radius() {
        let path = &all_paths()[1];
        for t in 0..600 {
            let s = path.at(f64::from(t));
            assert!((dist_nm((45.0, 7.0), (s.lat, s.lon)) - 0.7).abs() < 1e-3);
        }
    }

    #[test]
    fn hold_returns_to_the_fix_every_lap() {
        let speed = 210.0;
        let radius = turn_radius_nm(speed, hold_turn_rate_dps(speed));
        let lap_s = (2.0 * speed / 60.0 + 2.0 * PI * radius) / (speed / 3600.0);
        let path = &all_paths()[5];
        for lap in 0..4 {
            let s = path.at(f64::from(lap) * lap_s);
            assert!(dist_nm((45.0, 7.0), (s.lat, s.lon)) < 1e-3);
            assert!((s.track_deg - 90.0).abs() < 0.1);
        }
        assert!(hold_turn_rate_dps(120.0) == STANDARD_RATE_DPS);
        assert!(hold_turn_rate_dps(230.0) < STANDARD_RATE_DPS);
    }

    #[test]
    fn grid_ends_and_flies_on() {
        let path = &all_paths()[2];
        let end = path.duration_s().unwrap_or(0.0);
        let (a, b) = (path.at(end), path.at(end + 600.0));
        assert!((a.track_deg - 100.0).abs() < 0.1 && (b.track_deg - 100.0).abs() < 0.1);
        // 600 s at 110 kt; the two points are projected about different origins.
        assert!((dist_nm((a.lat, a.lon), (b.lat, b.lon)) - 110.0 / 6.0).abs() < 0.05);
    }

    #[test]
    fn weave_keeps_its_mean_track() {
        let path = &all_paths()[7];
        let (a, b) = (path.at(0.0), path.at(1200.0));
        let (x, y) = to_local((a.lat, a.lon), (b.lat, b.lon));
        assert!((x.atan2(y).to_degrees() - 45.0).abs() < 0.5);
    }

    #[test]
    fn lead_in_joins_the_pattern() {
        for path in all_paths() {
            let joined = path.clone().with_lead_in(120.0);
            let (a, b) = (joined.at(119.999), joined.at(120.0));
            assert!(dist_nm((a.lat, a.lon), (b.lat, b.lon)) < 0.01, "{path:?}");
            assert_eq!(joined.at(150.0), path.at(30.0));
        }
    }

    #[test]
    fn odd_times_and_inputs_do_not_panic() {
        for path in all_paths() {
            for t in [f64::NAN, -5.0, f64::INFINITY, 1e9] {
                let _ = path.at(t);
            }
        }
        let still = Path::Loiter {
            centre: (0.0, 0.0),
            radius_nm: 0.0,
            speed_kt: f64::NAN,
            alt_ft: 0.0,
            seed: 1,
        };
        assert_eq!(still.at(100.0).lat, 0.0);
    }

    #[test]
    fn loiter_stays_inside_its_radius() {
        let mut worst: f64 = 0.0;
        for seed in 0..40 {
            let centre = (10.0 + seed as f64, 20.0);
            let path = Path::Loiter {
                centre,
                radius_nm: 1.5,
                speed_kt: 90.0,
                alt_ft: 1000.0,
                seed,
            };
            for t in 0..3600 {
                let s = path.at(f64::from(t));
                worst = worst.max(dist_nm(centre, (s.lat, s.lon)) / 1.5);
            }
        }
        assert!(worst <= 1.1, "{worst}");
    }
}
