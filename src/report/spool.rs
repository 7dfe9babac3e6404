//! Append-only storage for rendered text that must outlive the calls it
//! came from (the report's calls until they are sorted, the terminal UI's
//! calls until they are opened): memory up to [`Spool::IN_MEMORY`] bytes,
//! then an unlinked temporary file, so memory grows by a small index entry
//! per call, not by the text.

use std::io::{self, Write};

/// Append-only bytes: in memory while small, then an unlinked temporary
/// file (or memory still, where no temporary file can be made).
pub struct Spool {
    file: Option<(std::fs::File, io::BufWriter<std::fs::File>)>,
    memory: Vec<u8>,
    len: u64,
    /// A write failed: the file's length may no longer be `len`, so every
    /// later put fails too rather than handing out wrong offsets.
    broken: bool,
    /// No temporary file could be made: everything stays in memory.
    no_file: bool,
}

impl Spool {
    /// Bytes kept in memory before they move to a file: most captures'
    /// reports fit, and a file made per capture costs more than a small
    /// capture's analysis when many are read (`triage`).
    pub const IN_MEMORY: usize = 1 << 20;

    pub fn new() -> Self {
        Self {
            file: None,
            memory: Vec::new(),
            len: 0,
            broken: false,
            no_file: false,
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
        if self.file.is_none() && !self.no_file && self.memory.len() + bytes.len() > Self::IN_MEMORY
        {
            match Self::temp_file() {
                Some(mut file) => {
                    if let Err(e) = file.1.write_all(&self.memory) {
                        self.broken = true;
                        return Err(e);
                    }
                    self.memory = Vec::new();
                    self.file = Some(file);
                }
                None => self.no_file = true,
            }
        }
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

impl Spool {
    /// Everything put, in order, to `out` (a capture's triage lines, once
    /// the captures before it are written).
    pub fn copy_to(mut self, out: &mut dyn Write) -> io::Result<()> {
        self.flush()?;
        let Some((file, _)) = &self.file else {
            return out.write_all(&self.memory);
        };
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; 1 << 16];
        let mut at = 0u64;
        while at < self.len {
            let n = (self.len - at).min(buf.len() as u64) as usize;
            file.read_exact_at(&mut buf[..n], at)?;
            out.write_all(&buf[..n])?;
            at += n as u64;
        }
        Ok(())
    }
}

/// Bytes written are put at the end: a spool is where a writer's output
/// can wait.
impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.put(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Spool::flush(self)
    }
}

impl Default for Spool {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_to_a_file_past_its_memory_and_reads_back_either_way() {
        let mut spool = Spool::new();
        let small = spool.put(b"first").unwrap();
        assert!(spool.file.is_none());
        let big_text = vec![b'x'; Spool::IN_MEMORY];
        let big = spool.put(&big_text).unwrap();
        let last = spool.put(b"last").unwrap();
        assert!(spool.file.is_some() || spool.no_file);
        spool.flush().unwrap();
        let mut buf = Vec::new();
        spool.get(small, &mut buf).unwrap();
        assert_eq!(buf, b"first");
        spool.get(big, &mut buf).unwrap();
        assert_eq!(buf, big_text);
        spool.get(last, &mut buf).unwrap();
        assert_eq!(buf, b"last");
        let mut all = Vec::new();
        spool.copy_to(&mut all).unwrap();
        assert_eq!(all.len(), 5 + Spool::IN_MEMORY + 4);
        assert!(all.starts_with(b"firstxx") && all.ends_with(b"xxlast"));
    }
}
