//! Saving a live capture: every packet to one pcapng file as it arrives,
//! or to a ring of files for long sessions (a new file when the current
//! one reaches its size, the oldest deleted past the count), as dumpcap's
//! ring buffer does. Every file is a whole pcapng section of its own
//! (header, the interfaces, packets, closing statistics), so each opens in
//! Wireshark alone.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use super::writer::{InterfaceCounters, InterfaceDesc, PcapngWriter};

/// Where and how a live capture is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingOptions {
    /// The file; with a ring, the name its files are numbered from
    /// (`call.pcapng` gives `call_00001.pcapng`, `call_00002.pcapng`...).
    pub path: PathBuf,
    /// Files kept: past this, the oldest is deleted. `None`: every file.
    pub files: Option<usize>,
    /// A new file once the current one holds this many bytes. `None`: one
    /// file (no ring).
    pub file_bytes: Option<u64>,
}

impl RingOptions {
    /// One file, no ring.
    pub fn single(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            files: None,
            file_bytes: None,
        }
    }

    fn is_ring(&self) -> bool {
        self.file_bytes.is_some() || self.files.is_some()
    }

    /// The name of the ring's file number `index` (from 1).
    pub fn file_name(&self, index: u64) -> PathBuf {
        if !self.is_ring() {
            return self.path.clone();
        }
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "capture".into());
        let ext = self
            .path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pcapng".into());
        self.path.with_file_name(format!("{stem}_{index:05}.{ext}"))
    }
}

/// Counts the bytes written through it: the ring's size test.
pub struct CountingWriter<W> {
    inner: W,
    pub written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type FileWriter = PcapngWriter<CountingWriter<BufWriter<File>>>;

/// A file of the ring: where it is and the first frame it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingFile {
    pub path: PathBuf,
    /// The number of its first frame in the whole capture (from 1).
    pub first_frame: u64,
}

/// Named `error`, not `source`: the message says it already, so it is not
/// a cause to print again.
#[derive(Debug, thiserror::Error)]
#[error("writing {}: {error}", path.display())]
pub struct RingError {
    pub path: PathBuf,
    pub error: io::Error,
}

/// Writes a live capture's packets to a file or a ring of files.
pub struct PcapngRing {
    options: RingOptions,
    interfaces: Vec<InterfaceDesc>,
    writer: Option<FileWriter>,
    /// The files on disk now, oldest first.
    files: VecDeque<RingFile>,
    next_index: u64,
    /// Frames written so far (the next frame is number `frames + 1`).
    frames: u64,
    last_ts_ns: i64,
    /// The counters the next file's closing block says.
    counters: Vec<InterfaceCounters>,
}

impl PcapngRing {
    /// Creates the first file and declares the interfaces in it.
    pub fn create(options: RingOptions, interfaces: Vec<InterfaceDesc>) -> Result<Self, RingError> {
        let mut ring = Self {
            options,
            interfaces,
            writer: None,
            files: VecDeque::new(),
            next_index: 1,
            frames: 0,
            last_ts_ns: 0,
            counters: Vec::new(),
        };
        ring.open_next()?;
        Ok(ring)
    }

    fn open_next(&mut self) -> Result<(), RingError> {
        let path = self.options.file_name(self.next_index);
        self.next_index += 1;
        let fail = |source| RingError {
            path: path.clone(),
            error: source,
        };
        let file = File::create(&path).map_err(fail)?;
        let out = CountingWriter {
            inner: BufWriter::with_capacity(1 << 16, file),
            written: 0,
        };
        let mut w = PcapngWriter::new(out, concat!("callscope ", env!("CARGO_PKG_VERSION")))
            .map_err(fail)?;
        for desc in &self.interfaces {
            w.declare_interface(desc).map_err(fail)?;
        }
        // The header is on disk at once: the file opens even before its
        // first packet.
        w.flush().map_err(fail)?;
        self.writer = Some(w);
        self.files.push_back(RingFile {
            path: path.clone(),
            first_frame: self.frames + 1,
        });
        if let Some(keep) = self.options.files {
            while self.files.len() > keep.max(1) {
                if let Some(old) = self.files.pop_front() {
                    std::fs::remove_file(&old.path).map_err(|error| RingError {
                        path: old.path.clone(),
                        error,
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The counters the closing statistics block of each file says (the
    /// capture's totals so far).
    pub fn set_counters(&mut self, counters: Vec<InterfaceCounters>) {
        self.counters = counters;
    }

    /// Writes one packet, starting the next file first when the current
    /// one is full.
    pub fn write(
        &mut self,
        interface: u32,
        ts_ns: i64,
        orig_len: u32,
        data: &[u8],
    ) -> Result<(), RingError> {
        let full = match (&self.writer, self.options.file_bytes) {
            (Some(w), Some(limit)) => w.get_ref().written >= limit,
            _ => false,
        };
        if full {
            self.close_current()?;
            self.open_next()?;
        }
        self.last_ts_ns = self.last_ts_ns.max(ts_ns);
        let path = self.current_path();
        if let Some(w) = self.writer.as_mut() {
            w.write_packet(interface, ts_ns, orig_len, data)
                .map_err(|error| RingError { path, error })?;
        }
        self.frames += 1;
        Ok(())
    }

    fn current_path(&self) -> PathBuf {
        self.files
            .back()
            .map(|f| f.path.clone())
            .unwrap_or_else(|| self.options.path.clone())
    }

    fn close_current(&mut self) -> Result<(), RingError> {
        let path = self.current_path();
        if let Some(w) = self.writer.take() {
            w.finish_with_counters(self.last_ts_ns, &self.counters)
                .map_err(|error| RingError { path, error })?;
        }
        Ok(())
    }

    /// Pushes buffered packets to the file.
    pub fn flush(&mut self) -> Result<(), RingError> {
        let path = self.current_path();
        match self.writer.as_mut() {
            Some(w) => w.flush().map_err(|error| RingError { path, error }),
            None => Ok(()),
        }
    }

    /// The files on disk now, oldest first.
    pub fn files(&self) -> &VecDeque<RingFile> {
        &self.files
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Closes the current file with the capture's end time and counters.
    pub fn finish(
        mut self,
        end_ts_ns: i64,
        counters: Vec<InterfaceCounters>,
    ) -> Result<Vec<RingFile>, RingError> {
        self.last_ts_ns = self.last_ts_ns.max(end_ts_ns);
        self.counters = counters;
        self.close_current()?;
        Ok(self.files.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;
    use std::path::Path;

    fn desc(name: &str) -> InterfaceDesc {
        InterfaceDesc {
            name: name.into(),
            link_type: 1,
            snaplen: 65535,
            filter: Some("udp".into()),
        }
    }

    /// An Ethernet/IPv4/UDP frame of `payload` bytes (the reader needs no
    /// more than a frame it can hand out).
    fn frame(payload: usize) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 8 + payload];
        f[12] = 0x08;
        f
    }

    fn count(path: &Path) -> (u64, Option<i64>) {
        let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
        let mut batch = crate::capture::FrameBatch::new();
        while r.next_batch(&mut batch).unwrap() > 0 {}
        (r.info().frames, r.info().end_ts_ns)
    }

    #[test]
    fn one_file_holds_every_packet_and_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.pcapng");
        let mut ring =
            PcapngRing::create(RingOptions::single(&path), vec![desc("a"), desc("b")]).unwrap();
        for i in 0..10 {
            ring.write(i % 2, 1_000_000_000 + i as i64, 60, &frame(18))
                .unwrap();
        }
        // Readable while open, once flushed: what the UI's frame view reads.
        ring.flush().unwrap();
        assert_eq!(count(&path).0, 10);
        let counters = vec![
            InterfaceCounters {
                received: 5,
                dropped_by_kernel: 1,
                dropped_by_interface: 0,
            };
            2
        ];
        let files = ring.finish(2_000_000_000, counters).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(count(&path), (10, Some(2_000_000_000)));
    }

    #[test]
    fn a_ring_rotates_and_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let options = RingOptions {
            path: dir.path().join("cap.pcapng"),
            files: Some(3),
            file_bytes: Some(4_000),
        };
        let mut ring = PcapngRing::create(options.clone(), vec![desc("a")]).unwrap();
        // 100 packets of about 1 KB: about 4 a file, 25 files made.
        for i in 0..100 {
            ring.write(0, 1_000 + i, 1000, &frame(958)).unwrap();
        }
        let files = ring.finish(5_000, Vec::new()).unwrap();
        assert_eq!(files.len(), 3);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let last = files.last().unwrap();
        let total: u64 = files.iter().map(|f| count(&f.path).0).sum();
        // The kept files hold the last packets, numbered on from the first.
        assert_eq!(last.first_frame + count(&last.path).0 - 1, 100);
        assert_eq!(files[0].first_frame + total - 1, 100);
        // Numbered in order, the older ones deleted.
        let index = |f: &RingFile| -> u64 {
            let name = f.path.file_stem().unwrap().to_string_lossy().into_owned();
            name.trim_start_matches("cap_").parse().unwrap()
        };
        let indexes: Vec<u64> = files.iter().map(index).collect();
        assert!(indexes[0] > 1, "{indexes:?}");
        assert_eq!(indexes, vec![indexes[0], indexes[0] + 1, indexes[0] + 2]);
    }
}
