use serde::Serialize;

/// A frame that proves something, with a short text saying what. Fields
/// in the order of their names, as the report's keys are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub frame: u64,
    pub text: String,
    #[serde(serialize_with = "crate::analysis::serialize_ts")]
    pub ts: i64,
}

impl Evidence {
    pub fn new(frame: u64, ts: i64, text: impl Into<String>) -> Self {
        Self {
            frame,
            ts,
            text: text.into(),
        }
    }
}

/// Keeps the first `cap` items and counts the rest, so per-call state stays
/// bounded however long a capture runs.
#[derive(Debug, Clone)]
pub struct Bounded<T> {
    items: Vec<T>,
    dropped: u64,
    cap: usize,
}

impl<T> Bounded<T> {
    pub fn new(cap: usize) -> Self {
        Self {
            items: Vec::new(),
            dropped: 0,
            cap,
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() < self.cap {
            self.items.push(item);
        } else {
            self.dropped += 1;
        }
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    pub fn items_mut(&mut self) -> &mut [T] {
        &mut self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.items.last_mut()
    }
}

/// Ordinal words for evidence texts ("3rd transmission").
pub fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// "1 call", "3 calls".
pub fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
