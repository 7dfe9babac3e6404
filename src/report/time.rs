/// Seconds since the Unix epoch with microsecond precision, as JSON wants.
pub fn format_epoch(ts_ns: i64) -> f64 {
    (ts_ns / 1_000) as f64 / 1e6
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
