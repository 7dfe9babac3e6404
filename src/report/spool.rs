//! Append-only storage for rendered text that must outlive the calls it
//! came from (the report's calls until they are sorted, the terminal UI's
//! calls until they are opened): an unlinked temporary file, so memory
//! grows by a small index entry per call, not by the text.

use std::io::{self, Write};

/// Append-only bytes: an unlinked temporary file, or memory where no
/// temporary file can be made.
pub struct Spool {
    file: Option<(std::fs::File, io::BufWriter<std::fs::File>)>,
    memory: Vec<u8>,
    len: u64,
    /// A write failed: the file's length may no longer be `len`, so every
    /// later put fails too rather than handing out wrong offsets.
    broken: bool,
}

impl Spool {
    pub fn new() -> Self {
        Self {
            file: Self::temp_file(),
            memory: Vec::new(),
            len: 0,
            broken: false,
        }
    }

    fn temp_file() -> Option<(std::fs::File, io::BufWriter<std::fs::File>)> {
        // Unlinked at once: it goes when the process does, whatever happens.
        let file = tempfile::tempfile().ok()?;
        let writer = file.try_clone().ok()?;
        Some((file, io::BufWriter::with_capacity(1 << 16, writer)))
    }

    pub fn put(&mut self, bytes: &[u8]) -> io::Result<(u64, u32)> {
        if self.broken {
            return Err(io::Error::other("an earlier write to the spool failed"));
        }
        let at = self.len;
        match &mut self.file {
            Some((_, w)) => {
                if let Err(e) = w.write_all(bytes) {
                    self.broken = true;
                    return Err(e);
                }
            }
            None => self.memory.extend_from_slice(bytes),
        }
        self.len += bytes.len() as u64;
        Ok((at, bytes.len() as u32))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some((_, w)) => w.flush(),
            None => Ok(()),
        }
    }

    pub fn get(&self, (at, len): (u64, u32), buf: &mut Vec<u8>) -> io::Result<()> {
        buf.resize(len as usize, 0);
        match &self.file {
            Some((f, _)) => {
                use std::os::unix::fs::FileExt;
                f.read_exact_at(buf, at)
            }
            None => {
                let start = at as usize;
                buf.copy_from_slice(&self.memory[start..start + len as usize]);
                Ok(())
            }
        }
    }
}

impl Default for Spool {
    fn default() -> Self {
        Self::new()
    }
}
