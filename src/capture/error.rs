use thiserror::Error;

/// What went wrong while reading a capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureErrorKind {
    Open(String),
    NotACapture,
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
#[error("{path}: {} (at byte {offset})", describe(.kind))]
pub struct CaptureError {
    pub path: String,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}

fn describe(kind: &CaptureErrorKind) -> String {
    match kind {
        CaptureErrorKind::Open(e) => format!("cannot open: {e}"),
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
