/// Capture time (ns since the Unix epoch) as seconds, to the microsecond.
pub fn epoch_seconds(ts_ns: i64) -> f64 {
    (ts_ns / 1_000) as f64 / 1e6
}

/// Where a frame sits in its batch and what the capture said of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMeta {
    /// Frame number as Wireshark counts it: the first frame of the file is 1.
    pub number: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub link_type: u32,
    /// Length on the wire; the captured bytes may be fewer (snaplen).
    pub orig_len: u32,
    offset: u32,
    caplen: u32,
}

impl FrameMeta {
    /// A frame that is `caplen` bytes at `offset` of its batch's buffer.
    pub(crate) fn in_buffer(
        number: u64,
        ts_ns: i64,
        link_type: u32,
        orig_len: u32,
        offset: u32,
        caplen: u32,
    ) -> Self {
        Self {
            number,
            ts_ns,
            link_type,
            orig_len,
            offset,
            caplen,
        }
    }
}

/// One captured frame, borrowed from its batch.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    pub number: u64,
    pub ts_ns: i64,
    pub link_type: u32,
    pub orig_len: u32,
    pub data: &'a [u8],
}

/// A run of consecutive frames whose bytes share one arena, so that a batch
/// can be decoded in parallel without an allocation per frame.
#[derive(Debug, Default)]
pub struct FrameBatch {
    data: Vec<u8>,
    frames: Vec<FrameMeta>,
    /// TLS key logs from pcapng Decryption Secrets Blocks read with the
    /// batch's frames.
    secrets: Vec<Vec<u8>>,
}

impl FrameBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.frames.clear();
        self.secrets.clear();
    }

    /// Key log texts met in the capture with these frames.
    pub fn secrets(&self) -> &[Vec<u8>] {
        &self.secrets
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Bytes held in the arena.
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    pub fn push(&mut self, number: u64, ts_ns: i64, link_type: u32, orig_len: u32, bytes: &[u8]) {
        // A batch is bounded well below 4 GiB by the reader, so offsets fit.
        let offset = self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.frames.push(FrameMeta {
            number,
            ts_ns,
            link_type,
            orig_len,
            offset,
            caplen: bytes.len() as u32,
        });
    }

    /// The byte buffer and the frame table, apart: a reader fills the
    /// buffer, then records frames that are ranges of it (no copy).
    pub(crate) fn parts_mut(&mut self) -> (&mut Vec<u8>, &mut Vec<FrameMeta>, &mut Vec<Vec<u8>>) {
        (&mut self.data, &mut self.frames, &mut self.secrets)
    }

    pub fn meta(&self) -> &[FrameMeta] {
        &self.frames
    }

    pub fn get(&self, index: usize) -> Option<RawFrame<'_>> {
        let m = self.frames.get(index)?;
        Some(self.frame_of(m))
    }

    pub fn frame_of(&self, m: &FrameMeta) -> RawFrame<'_> {
        let start = m.offset as usize;
        let end = start + m.caplen as usize;
        RawFrame {
            number: m.number,
            ts_ns: m.ts_ns,
            link_type: m.link_type,
            orig_len: m.orig_len,
            data: self.data.get(start..end).unwrap_or(&[]),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = RawFrame<'_>> + '_ {
        self.frames.iter().map(|m| self.frame_of(m))
    }
}

/// The range `inner` occupies inside `base`, if it is a sub-slice of it.
pub fn range_within(base: &[u8], inner: &[u8]) -> Option<(usize, usize)> {
    let b = base.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    let start = i.checked_sub(b)?;
    let end = start.checked_add(inner.len())?;
    (end <= base.len()).then_some((start, end))
}
