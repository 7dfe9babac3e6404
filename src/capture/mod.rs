//! Capture sources: where frames come from. Offline files are read in pure
//! Rust (pcap and pcapng, optionally gzip-compressed, or standard input);
//! live capture sits behind the `live` feature.

mod blocks;
mod error;
mod frame;
mod netmon;
mod reader;
mod snoop;
mod writer;

pub use error::{CaptureError, CaptureErrorKind};
pub use frame::{epoch_seconds, range_within, FrameBatch, FrameMeta, RawFrame};
pub use reader::{CaptureFormat, CaptureInfo, CaptureReader};
pub use writer::PcapngWriter;
