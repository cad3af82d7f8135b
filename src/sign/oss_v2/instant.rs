//! The calendar fields of a Python `datetime` in UTC, and the two texts oss-v2's signers make
//! of them: `strftime('%Y%m%dT%H%M%SZ')` and `email.utils.format_datetime(dt, usegmt=True)`.

use crate::sign::UtcDateTime;

/// A UTC instant at microsecond resolution, in `datetime`'s range (years 1 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub microsecond: u32,
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Fields {
    /// Microseconds since the epoch (negative before it).
    pub fn unix_micros(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * 1_000_000 + i64::from(self.microsecond)
    }

    pub fn from_unix_micros(micros: i64) -> Self {
        let secs = micros.div_euclid(1_000_000);
        let t = UtcDateTime::from_unix(secs);
        Fields {
            year: t.year,
            month: t.month,
            day: t.day,
            hour: t.hour,
            minute: t.minute,
            second: t.second,
            microsecond: micros.rem_euclid(1_000_000) as u32,
        }
    }

    /// Within `datetime`'s range.
    pub fn in_range(&self) -> bool {
        (1..=9999).contains(&self.year)
    }

    /// The same fields with their weekday (no round trip through seconds: this runs per request).
    fn calendar(&self) -> UtcDateTime {
        let days = days_from_civil(self.year, self.month, self.day);
        UtcDateTime {
            year: self.year,
            month: self.month,
            day: self.day,
            hour: self.hour,
            minute: self.minute,
            second: self.second,
            // 1970-01-01 was a Thursday (weekday 3).
            weekday: (days + 3).rem_euclid(7) as u32,
        }
    }

    /// `strftime('%Y%m%dT%H%M%SZ')` as glibc formats it: `%Y` is not padded below year 1000.
    pub fn iso8601_basic(&self) -> String {
        let padded = self.calendar().iso8601_basic();
        if self.year >= 1000 {
            padded
        } else {
            format!("{}{}", self.year, &padded[4..])
        }
    }

    /// `Sat, 16 Dec 2023 16:20:57 GMT` (`%04d` for the year).
    pub fn http_date(&self) -> String {
        self.calendar().http_date()
    }

    /// `int(self.timestamp())`: microseconds / 10^6 rounded to the nearest double, then
    /// truncated toward zero. `None` where that rounding could cross a whole second (beyond
    /// 2^53 microseconds, about 285 years from 1970): the caller asks Python.
    pub fn timestamp_secs(&self) -> Option<i64> {
        truncated_seconds(self.unix_micros())
    }
}

/// `int(timedelta(microseconds=micros).total_seconds())`, where that is exact integer
/// division (see [`Fields::timestamp_secs`]).
pub fn truncated_seconds(micros: i64) -> Option<i64> {
    // Below 2^53 the quotient is at least 10^-6 from a whole number and its double is within
    // half an ulp (< 10^-6), so truncating the double equals integer division.
    (micros.unsigned_abs() < (1u64 << 53)).then_some(micros / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_agrees_with_the_epoch_breakdown_on_every_day() {
        // Every day of datetime's range, at a time that changes with the day.
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        for days in first..=last {
            let secs = days * 86_400 + (days.rem_euclid(86_400));
            let f = Fields::from_unix_micros(secs * 1_000_000 + 7);
            assert_eq!(f.calendar(), UtcDateTime::from_unix(secs), "{secs}");
        }
    }

    #[test]
    fn round_trip_and_formats() {
        // 2023-12-16 16:20:57.5 UTC, a Saturday.
        let f = Fields::from_unix_micros(1_702_743_657_500_000);
        assert_eq!(
            (
                f.year,
                f.month,
                f.day,
                f.hour,
                f.minute,
                f.second,
                f.microsecond
            ),
            (2023, 12, 16, 16, 20, 57, 500_000)
        );
        assert_eq!(f.unix_micros(), 1_702_743_657_500_000);
        assert_eq!(f.iso8601_basic(), "20231216T162057Z");
        assert_eq!(f.http_date(), "Sat, 16 Dec 2023 16:20:57 GMT");
        assert_eq!(f.timestamp_secs(), Some(1_702_743_657));
        let early = Fields::from_unix_micros(-62_135_596_800_000_000); // 0001-01-01
        assert_eq!(early.year, 1);
        assert_eq!(early.iso8601_basic(), "10101T000000Z");
        assert_eq!(early.http_date(), "Mon, 01 Jan 0001 00:00:00 GMT");
        assert_eq!(early.timestamp_secs(), None);
        assert_eq!(truncated_seconds(-1_500_000), Some(-1));
    }
}
