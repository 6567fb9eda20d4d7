//! Wall-clock time, for what leaves the daemon: wire timestamps (ms since the epoch), the
//! dates of feed lines, FIS-B report times. The picture's own clock is `core::clock`; this
//! module only reads the system clock and does calendar arithmetic (through `chrono`).

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Milliseconds since the Unix epoch now (0 if the system clock is before 1970).
pub fn now_ms() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The UTC date and time of `ms` since the epoch (the epoch itself if out of range).
pub fn utc(ms: u64) -> DateTime<Utc> {
    i64::try_from(ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default()
}

/// Calendar fields of an instant, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

pub fn civil(ms: u64) -> Civil {
    let t = utc(ms);
    Civil {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        hour: t.hour(),
        minute: t.minute(),
    }
}

/// Milliseconds since the epoch of a UTC date and time; `None` if it is not a real date.
pub fn ms_of(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Option<u64> {
    let t = chrono::NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, 0)?;
    u64::try_from(t.and_utc().timestamp_millis()).ok()
}

/// The year and month `step` months from `year`-`month` (`None` if out of range).
pub fn add_months(year: i32, month: u32, step: i32) -> Option<(i32, u32)> {
    let first = chrono::NaiveDate::from_ymd_opt(year, month, 1)?;
    let months = chrono::Months::new(step.unsigned_abs());
    let moved = if step >= 0 {
        first.checked_add_months(months)
    } else {
        first.checked_sub_months(months)
    }?;
    Some((moved.year(), moved.month()))
}

/// Milliseconds since the epoch of `hour`:`minute` on the day `step` days from `day`'s.
pub fn ms_of_day_step(day: Civil, step: i64, hour: u32, minute: u32) -> Option<u64> {
    let date = chrono::NaiveDate::from_ymd_opt(day.year, day.month, day.day)?
        .checked_add_signed(chrono::TimeDelta::try_days(step)?)?;
    ms_of(date.year(), date.month(), date.day(), hour, minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_fields_round_trip() {
        let ms = ms_of(2026, 11, 28, 13, 45).unwrap();
        assert_eq!(
            civil(ms),
            Civil {
                year: 2026,
                month: 11,
                day: 28,
                hour: 13,
                minute: 45
            }
        );
        assert_eq!(ms_of(2026, 2, 30, 0, 0), None);
        assert_eq!(utc(ms).format("%Y/%m/%d").to_string(), "2026/11/28");
        assert_eq!(add_months(2026, 12, 1), Some((2027, 1)));
        assert_eq!(add_months(2027, 1, -1), Some((2026, 12)));
        assert_eq!(add_months(2026, 11, 0), Some((2026, 11)));
    }
}
