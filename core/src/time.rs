//! Clock arithmetic that saturates instead of panicking: timeouts and lifetimes come from
//! callers and servers, and `Instant + Duration` (or `SystemTime + Duration`) panics on
//! overflow.

use std::time::{Duration, Instant, SystemTime};

/// Far enough to stand for "never" (about a century), near enough for every clock.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + d` on the monotonic clock, saturating at about a century.
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

#[cfg(test)]
mod tests {
    use super::*;

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
