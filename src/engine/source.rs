//! Where a session's frames come from: a capture file (or standard input,
//! or bytes in memory) today, a live interface later, a list of frames in
//! tests.

use crate::capture::{CaptureError, CaptureInfo, CaptureReader, FrameBatch};

/// A source of frames in capture order, a batch at a time.
pub trait FrameSource: Send {
    /// Fills `batch` (cleared first) with the next frames; `Ok(0)` at the
    /// end. An error after some frames is returned on the next call.
    fn next_batch(&mut self, batch: &mut FrameBatch) -> Result<usize, CaptureError>;

    /// What is known of the capture so far (complete once drained).
    fn info(&self) -> CaptureInfo;
}

impl FrameSource for CaptureReader {
    fn next_batch(&mut self, batch: &mut FrameBatch) -> Result<usize, CaptureError> {
        CaptureReader::next_batch(self, batch)
    }

    fn info(&self) -> CaptureInfo {
        CaptureReader::info(self).clone()
    }
}

/// One frame held in memory.
#[derive(Debug, Clone)]
pub struct ListedFrame {
    pub ts_ns: i64,
    pub link_type: u32,
    pub data: Vec<u8>,
}

/// Frames held in memory, numbered from 1 in order: for tests, and for
/// feeding a session a capture's frames again.
#[derive(Debug, Clone, Default)]
pub struct FrameList {
    frames: Vec<ListedFrame>,
    next: usize,
    batch_frames: usize,
    info: CaptureInfo,
}

/// Frames per batch from a list: small, so tests see several batches.
const LIST_BATCH: usize = 256;

impl FrameList {
    pub fn new(name: &str, frames: Vec<ListedFrame>) -> Self {
        Self {
            frames,
            next: 0,
            batch_frames: LIST_BATCH,
            info: CaptureInfo {
                path: name.to_string(),
                ..CaptureInfo::default()
            },
        }
    }

    /// Batches of `n` frames (at least one) instead of the default.
    pub fn with_batch_frames(mut self, n: usize) -> Self {
        self.batch_frames = n.max(1);
        self
    }
}

impl FrameSource for FrameList {
    fn next_batch(&mut self, batch: &mut FrameBatch) -> Result<usize, CaptureError> {
        batch.clear();
        while batch.len() < self.batch_frames {
            let Some(f) = self.frames.get(self.next) else {
                break;
            };
            self.next += 1;
            let info = &mut self.info;
            info.frames += 1;
            info.bytes += f.data.len() as u64;
            info.first_ts_ns.get_or_insert(f.ts_ns);
            info.last_ts_ns = Some(f.ts_ns);
            if !info.link_types.contains(&f.link_type) {
                info.link_types.push(f.link_type);
            }
            batch.push(
                info.frames,
                f.ts_ns,
                f.link_type,
                f.data.len() as u32,
                &f.data,
            );
        }
        Ok(batch.len())
    }

    fn info(&self) -> CaptureInfo {
        self.info.clone()
    }
}
