//! Which captures a triage run reads: the files and folders given
//! (folders walked recursively, in name order), and with `--shard K/N`
//! the stable share of them that is this run's.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// One capture to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageInput {
    /// The path, as written in the output: the folder given joined with
    /// the path found under it, or the file as given (a byte that is not
    /// UTF-8 shown as U+FFFD).
    pub path: String,
    /// The path to open, as the system gave it.
    pub file: PathBuf,
    /// What the shard is chosen by: the path relative to the folder given
    /// (`/` between names), or a file's name when it was given itself.
    pub shard_key: String,
    /// Named on the command line, not found in a folder: a file that is
    /// not a capture is then an error, not something to pass over.
    pub named: bool,
    /// The folder walk failed here (a folder that cannot be read).
    pub walk_error: Option<String>,
    /// The file's size (0 where unknown): progress is shown in bytes.
    pub bytes: u64,
}

/// `--shard K/N`: this run takes the inputs whose key hashes to K of N
/// (K from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not K/N (e.g. 1/4)"))?;
        let k: u64 = k.trim().parse().map_err(|e| format!("K in {s:?}: {e}"))?;
        let n: u64 = n.trim().parse().map_err(|e| format!("N in {s:?}: {e}"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!(
                "{s:?}: K counts from 1 to N (K/N, e.g. 1/4 to 4/4)"
            ));
        }
        Ok(Self { k, n })
    }
}

impl Shard {
    /// Whether an input with this key is this shard's. The key's SHA-256,
    /// first 8 bytes big-endian, modulo N: the same on every machine,
    /// every run and every version of this program.
    pub fn takes(&self, key: &str) -> bool {
        shard_index(key, self.n) == self.k - 1
    }
}

/// The shard (from 0) that a key falls in, of `n`.
pub fn shard_index(key: &str, n: u64) -> u64 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % n
}

/// Names a capture usually has: a file so named that turns out not to be
/// a capture is reported, where another file found in a folder (a README,
/// a log) is passed over.
pub fn capture_file_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [
        ".pcap", ".pcapng", ".cap", ".snoop", ".ntar", ".dmp", ".erf",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// What a walk over the paths given found.
#[derive(Debug, Default)]
pub struct Collected {
    /// The captures to read, in order (this shard's only).
    pub inputs: Vec<TriageInput>,
    /// Found in folders and passed over without being opened: what is not
    /// a regular file (a FIFO, a socket, a device), and links to nothing
    /// whose names do not say capture.
    pub passed_over: Vec<String>,
    /// Paths reached a second time (a folder and a folder inside it, a
    /// link to a capture beside the capture): read once, at the first.
    pub repeated: Vec<String>,
}

/// The inputs under the paths given, in order: each path in turn, a
/// folder's files in name order (symbolic links to files taken, links
/// to folders not followed, so a walk cannot loop), each file once, then
/// only the shard's share. A path that does not exist stays in, to be
/// reported, as does a link to nothing named as a capture.
pub fn collect(paths: &[PathBuf], shard: Option<Shard>) -> Collected {
    let mut found = Collected::default();
    // A file is its device and inode, read from the metadata already
    // taken for its size; one without (it will fail to open) is its own.
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut push = |found: &mut Collected, input: TriageInput, meta: Option<&Metadata>| {
        if meta.is_none_or(|m| seen.insert((m.dev(), m.ino()))) {
            found.inputs.push(input);
        } else {
            found.repeated.push(input.path);
        }
    };
    for given in paths {
        // `dir/` and `dir` are one folder: its files are `dir/x`.
        let root = trim_trailing_slashes(given);
        let root = root.as_path();
        let name = text(root);
        let meta = std::fs::metadata(root).ok();
        if !meta.as_ref().is_some_and(|m| m.is_dir()) {
            let key = root
                .file_name()
                .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
            let input = TriageInput {
                path: name,
                file: root.to_path_buf(),
                shard_key: key,
                named: true,
                walk_error: None,
                bytes: meta.as_ref().map_or(0, |m| m.len()),
            };
            push(&mut found, input, meta.as_ref());
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().unwrap_or(root).to_path_buf();
                    found.inputs.push(TriageInput {
                        path: text(&path),
                        shard_key: relative_key(root, &path),
                        file: path,
                        named: false,
                        walk_error: Some(match e.io_error() {
                            Some(io) => format!("cannot read folder: {io}"),
                            None => format!("cannot read folder: {e}"),
                        }),
                        bytes: 0,
                    });
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.path();
            let capture_name = capture_file_name(&entry.file_name().to_string_lossy());
            // A link's metadata is its target's.
            let meta = match std::fs::metadata(path) {
                Ok(m) if m.is_file() => Some(m),
                // A link to a folder: not followed.
                Ok(m) if m.is_dir() => continue,
                // A link to nothing named as a capture is a capture
                // missing: reported when it fails to open.
                Err(_) if capture_name => None,
                _ => {
                    found.passed_over.push(text(path));
                    continue;
                }
            };
            let input = TriageInput {
                path: text(path),
                file: path.to_path_buf(),
                shard_key: relative_key(root, path),
                named: false,
                walk_error: None,
                bytes: meta.as_ref().map_or(0, |m| m.len()),
            };
            push(&mut found, input, meta.as_ref());
        }
    }
    if let Some(shard) = shard {
        found.inputs.retain(|i| shard.takes(&i.shard_key));
    }
    found
}

/// A path as text for the output: as it is when UTF-8, else with
/// U+FFFD where a byte is not (the file is still opened by its own path).
fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `dir///` as `dir` (and `/` as `/`).
fn trim_trailing_slashes(path: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    PathBuf::from(std::ffi::OsStr::from_bytes(&bytes[..end]))
}

/// `path` relative to `root`, names joined by `/` whatever the system.
fn relative_key(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_cover_every_key_once() {
        // Fixed values, computed apart with Python's hashlib
        // (`int.from_bytes(sha256(key).digest()[:8], "big") % n`): a change
        // of hash would move captures between shards across a fleet
        // running two versions.
        assert_eq!(shard_index("a.pcap", 3), 0);
        assert_eq!(shard_index("day1/b.pcapng", 3), 1);
        assert_eq!(shard_index("day1/b.pcapng", 1000), 99);
        let shards: Vec<Shard> = (1..=4).map(|k| Shard { k, n: 4 }).collect();
        for i in 0..1000 {
            let key = format!("x/{i}.pcap");
            assert_eq!(shards.iter().filter(|s| s.takes(&key)).count(), 1);
        }
    }

    #[test]
    fn shard_text() {
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { k: 2, n: 5 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/3", "1/b"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn capture_names() {
        for name in ["a.pcap", "B.PCAPNG", "x.cap.gz", "y.pcap.gz", "z.snoop"] {
            assert!(capture_file_name(name), "{name}");
        }
        for name in ["README.md", "notes.txt", "a.pcap.txt", "log.gz"] {
            assert!(!capture_file_name(name), "{name}");
        }
    }
}
