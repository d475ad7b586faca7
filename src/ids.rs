//! 64-bit, time-sortable ids: milliseconds since the Unix epoch in the high bits.
use std::sync::atomic::{AtomicI64, Ordering};

static LAST: AtomicI64 = AtomicI64::new(0);

/// A new id, larger than every id this process made before. The low 16 bits start at a random
/// value so that two processes writing in the same millisecond rarely meet.
pub fn next_id() -> i64 {
    let ms = chrono::Utc::now().timestamp_millis();
    let candidate = (ms << 16) | i64::from(rand::random::<u16>() & 0x3fff);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = candidate.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// The smallest id that could have been made at `time`: for paginating by date.
pub fn id_at(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_millis() << 16
}

/// Parses an id given by a client; anything but a non-negative integer is `None`.
pub fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|v| *v >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_encode_time() {
        let a = next_id();
        let b = next_id();
        assert!(b > a);
        let now = chrono::Utc::now().timestamp_millis();
        assert!((a >> 16) <= now && (a >> 16) > now - 10_000);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert_eq!(parse_id("123"), Some(123));
        assert_eq!(parse_id("-1"), None);
        assert_eq!(parse_id("abc"), None);
        assert_eq!(parse_id("99999999999999999999999"), None);
    }
}
