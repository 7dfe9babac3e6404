/// Seconds since the Unix epoch with microsecond precision, as JSON wants.
pub fn format_epoch(ts_ns: i64) -> f64 {
    crate::capture::epoch_seconds(ts_ns)
}

/// Seconds since `base`, tshark style (`12.345678`).
pub fn format_relative(ts_ns: i64, base: i64) -> String {
    let d = ts_ns.saturating_sub(base);
    let sign = if d < 0 { "-" } else { "" };
    let d = d.unsigned_abs();
    format!(
        "{sign}{}.{:06}",
        d / 1_000_000_000,
        (d % 1_000_000_000) / 1_000
    )
}

/// Capture time as UTC wall-clock time, `2026-11-21 14:03:22.123`, so a
/// call can be matched to the time a user reported. (Civil-from-days after
/// Howard Hinnant's date algorithms; no time-zone database needed.)
pub fn format_utc(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let millis = ts_ns.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{millis:03}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00.000");
        // `date -u -d @1795274929.212`
        assert_eq!(
            format_utc(1_795_274_929_212_120_000),
            "2026-11-21 15:28:49.212"
        );
        assert_eq!(
            format_utc(951_782_400_000_000_000),
            "2000-02-29 00:00:00.000"
        );
        assert_eq!(format_relative(1_500_000, 0), "0.001500");
    }
}
