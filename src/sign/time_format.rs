//! The two timestamp formats OSS signing uses, computed without libc so that the output does
//! not depend on locale: RFC 1123 for V1/V2 `Date` and ISO 8601 basic for V4 `x-oss-date`.

/// A UTC calendar instant at whole-second resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Monday, as Python's `weekday()`.
    pub weekday: u32,
}

impl UtcDateTime {
    /// Breaks down seconds since the epoch (floored) into a UTC calendar date.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        // 1970-01-01 was a Thursday (weekday 3).
        let weekday = (days + 3).rem_euclid(7) as u32;
        UtcDateTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            weekday,
        }
    }

    /// `Sat, 05 Dec 2015 11:10:29 GMT`, exactly as `email.utils.formatdate(t, usegmt=True)`.
    pub fn http_date(&self) -> String {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        // Hand-written rather than format!: this runs once per signed request.
        let mut s = String::with_capacity(29);
        s.push_str(DAYS[self.weekday as usize]);
        s.push_str(", ");
        push_2(&mut s, self.day);
        s.push(' ');
        s.push_str(MONTHS[self.month as usize - 1]);
        s.push(' ');
        push_year(&mut s, self.year);
        s.push(' ');
        push_2(&mut s, self.hour);
        s.push(':');
        push_2(&mut s, self.minute);
        s.push(':');
        push_2(&mut s, self.second);
        s.push_str(" GMT");
        s
    }

    /// `20231203T121212Z`, as `strftime("%Y%m%dT%H%M%SZ")`.
    pub fn iso8601_basic(&self) -> String {
        let mut s = String::with_capacity(16);
        push_year(&mut s, self.year);
        push_2(&mut s, self.month);
        push_2(&mut s, self.day);
        s.push('T');
        push_2(&mut s, self.hour);
        push_2(&mut s, self.minute);
        push_2(&mut s, self.second);
        s.push('Z');
        s
    }
}

fn push_2(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
}

/// `%04d` for the years signing meets; anything else the slow general way.
fn push_year(s: &mut String, y: i64) {
    if (0..10_000).contains(&y) {
        let y = y as u32;
        push_2(s, y / 100);
        push_2(s, y % 100);
    } else {
        s.push_str(&format!("{y:04}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_instants() {
        let e = UtcDateTime::from_unix(0);
        assert_eq!(e.http_date(), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(e.iso8601_basic(), "19700101T000000Z");
        // 2015-12-05 11:10:29 UTC, the example in oss2's http_date docstring.
        let t = UtcDateTime::from_unix(1_449_313_829);
        assert_eq!(t.http_date(), "Sat, 05 Dec 2015 11:10:29 GMT");
        // Leap day and the last second of a year.
        assert_eq!(
            UtcDateTime::from_unix(951_782_400).iso8601_basic(),
            "20000229T000000Z"
        );
        assert_eq!(
            UtcDateTime::from_unix(1_704_067_199).http_date(),
            "Sun, 31 Dec 2023 23:59:59 GMT"
        );
        assert_eq!(
            UtcDateTime::from_unix(4_102_444_800).http_date(),
            "Fri, 01 Jan 2100 00:00:00 GMT"
        );
    }

    #[test]
    fn before_epoch_floors() {
        assert_eq!(
            UtcDateTime::from_unix(-1).iso8601_basic(),
            "19691231T235959Z"
        );
    }
}
