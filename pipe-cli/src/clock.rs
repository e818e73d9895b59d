//! Wall-clock timestamps for the JSON output and the tap log: RFC 3339 in UTC, to the
//! microsecond (`2026-12-02T14:16:45.123456Z`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as RFC 3339 UTC with microseconds.
pub fn now() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_micros())
}

/// `at`, as RFC 3339 UTC to the second (`2026-12-02T14:16:45Z`).
pub fn rfc3339_seconds(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut text = rfc3339(secs, 0);
    text.replace_range(19..26, "");
    text
}

/// `secs` since the Unix epoch and `micros` in that second, as RFC 3339 UTC.
pub fn rfc3339(secs: u64, micros: u32) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(rfc3339(1_798_761_599, 999_999), "2026-12-31T23:59:59.999999Z");
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_798_761_599_900);
        assert_eq!(rfc3339_seconds(at), "2026-12-31T23:59:59Z");
    }
}
