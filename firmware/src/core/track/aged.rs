//! A value that remembers when it was set and by which source (dump978's `AgedField`,
//! dump1090-fa's `accept_data`): a weaker source overwrites only data that has gone stale.

use dsp::decode::Source;

/// One field of a track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aged<T> {
    pub value: T,
    /// Seconds, on the caller's clock.
    pub updated: f64,
    pub source: Source,
}

/// A field that may not be known yet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field<T>(Option<Aged<T>>);

impl<T> Default for Field<T> {
    fn default() -> Self {
        Field(None)
    }
}

/// What an update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// A weaker source while the current value is fresh: ignored.
    Refused,
    /// Accepted, same value as before (only the age changed).
    Refreshed,
    /// Accepted with a new value.
    Changed,
}

impl<T: PartialEq + Clone> Field<T> {
    /// Offers `value` from `source` at `now`. A value from a source at least as strong as the
    /// current one is always taken; from a weaker one only once the current value is older
    /// than `stale_s`.
    pub fn offer(&mut self, value: T, now: f64, source: Source, stale_s: f64) -> Update {
        if let Some(cur) = &self.0 {
            if source < cur.source && now - cur.updated <= stale_s {
                return Update::Refused;
            }
        }
        let changed = self.0.as_ref().is_none_or(|c| c.value != value);
        self.0 = Some(Aged {
            value,
            updated: now,
            source,
        });
        if changed {
            Update::Changed
        } else {
            Update::Refreshed
        }
    }

    pub fn get(&self) -> Option<T> {
        self.0.as_ref().map(|a| a.value.clone())
    }

    pub fn aged(&self) -> Option<&Aged<T>> {
        self.0.as_ref()
    }

    /// The value if it was updated within `max_age_s` of `now`.
    pub fn fresh(&self, now: f64, max_age_s: f64) -> Option<T> {
        self.0
            .as_ref()
            .filter(|a| now - a.updated <= max_age_s)
            .map(|a| a.value.clone())
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stronger_or_equal_source_always_wins() {
        let mut f = Field::default();
        assert_eq!(f.offer(100, 0.0, Source::Tisb, 10.0), Update::Changed);
        assert_eq!(f.offer(200, 1.0, Source::Adsb, 10.0), Update::Changed);
        assert_eq!(f.offer(200, 2.0, Source::Adsb, 10.0), Update::Refreshed);
        assert_eq!(f.get(), Some(200));
    }

    #[test]
    fn weaker_source_waits_for_staleness() {
        let mut f = Field::default();
        f.offer(1, 0.0, Source::Adsb, 10.0);
        assert_eq!(f.offer(2, 5.0, Source::Tisb, 10.0), Update::Refused);
        assert_eq!(f.get(), Some(1));
        assert_eq!(f.offer(2, 10.5, Source::Tisb, 10.0), Update::Changed);
        assert_eq!(f.aged().map(|a| a.source), Some(Source::Tisb));
    }

    #[test]
    fn freshness_is_relative_to_now() {
        let mut f = Field::default();
        f.offer(1, 100.0, Source::Modes, 10.0);
        assert_eq!(f.fresh(130.0, 60.0), Some(1));
        assert_eq!(f.fresh(161.0, 60.0), None);
    }
}
