use thiserror::Error;

/// What went wrong while reading a capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureErrorKind {
    Open(String),
    NotACapture,
    /// The file holds no byte at all.
    Empty,
    Truncated,
    /// The file ends inside its own header: no frame could be read.
    TruncatedHeader,
    Malformed(String),
    Read(String),
}

/// A capture reading error. It always names the file and the byte offset
/// (in the uncompressed stream) where reading stopped, so that the one-line
/// message is enough to find the problem.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{path}: {}{}", describe(.kind), at(*.offset, .kind))]
pub struct CaptureError {
    pub path: String,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

/// Where reading stopped; not said where it means nothing (a file that
/// could not be opened, an empty file).
fn at(offset: u64, kind: &CaptureErrorKind) -> String {
    match kind {
        CaptureErrorKind::Open(_) | CaptureErrorKind::Empty => String::new(),
        _ => format!(" (at byte {offset})"),
    }
}

fn describe(kind: &CaptureErrorKind) -> String {
    match kind {
        CaptureErrorKind::Open(e) => format!("cannot open: {e}"),
        CaptureErrorKind::Empty => "empty file, not a capture".to_string(),
        CaptureErrorKind::NotACapture => {
            "not a pcap or pcapng capture (unknown magic number)".to_string()
        }
        CaptureErrorKind::TruncatedHeader => "capture cut short inside its file header".to_string(),
        CaptureErrorKind::Truncated => {
            "capture cut short in the middle of a frame; the frames before it were read".to_string()
        }
        CaptureErrorKind::Malformed(e) => format!("malformed capture block: {e}"),
        CaptureErrorKind::Read(e) => format!("read error: {e}"),
    }
}
