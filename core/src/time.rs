//! Clock arithmetic that saturates instead of panicking: timeouts and lifetimes come from
//! callers and servers, and `Instant + Duration` (or `SystemTime + Duration`) panics on
//! overflow. And the calendar: HTTP dates and certificate validity dates as Unix seconds
//! and back.

use std::time::{Duration, Instant, SystemTime};

/// Far enough to stand for "never" (about a century), near enough for every clock.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + d` on the monotonic clock, saturating at about a century.
#[inline]
pub(crate) fn instant_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// `now + d` on the wall clock, saturating at about a century.
pub(crate) fn system_time_after(now: SystemTime, d: Duration) -> SystemTime {
    now.checked_add(d)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as `2026-11-30 08:36:06 UTC`.
pub(crate) fn utc(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads an HTTP date, an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`
/// (RFC 9110 §5.6.7), as Unix seconds; `None` for anything else.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut it = s.split_whitespace().skip(1);
    let day: i64 = it.next()?.parse().ok()?;
    let month_name = it.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = it.next()?.parse().ok()?;
    let hms: Vec<i64> = it
        .next()?
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if hms.len() != 3 || it.next() != Some("GMT") || it.next().is_some() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_both_ways() {
        for (secs, shown) in [
            (0, "1970-01-01 00:00:00 UTC"),
            (1_577_836_800, "2020-01-01 00:00:00 UTC"),
            (1_709_210_096, "2024-02-29 12:34:56 UTC"),
            (4_102_444_799, "2099-12-31 23:59:59 UTC"),
        ] {
            assert_eq!(utc(secs), shown);
            let d = days_from_civil(
                shown[..4].parse().unwrap(),
                shown[5..7].parse().unwrap(),
                shown[8..10].parse().unwrap(),
            );
            assert_eq!(d * 86_400, (secs - secs % 86_400) as i64, "{shown}");
        }
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
    }

    #[test]
    fn huge_durations_saturate() {
        assert!(instant_after(Duration::MAX) > Instant::now());
        let now = SystemTime::now();
        assert!(system_time_after(now, Duration::MAX) > now);
        assert_eq!(
            system_time_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
    }
}
