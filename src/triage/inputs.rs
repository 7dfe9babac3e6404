//! Which captures a triage run reads: the files and folders given
//! (folders walked recursively, in name order), and with `--shard K/N`
//! the stable share of them that is this run's.

use std::path::Path;

use sha2::{Digest, Sha256};

/// One capture to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageInput {
    /// The path, as written in the output: the folder given joined with
    /// the path found under it, or the file as given.
    pub path: String,
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

/// The inputs under the paths given, in order: each path in turn, a
/// folder's files in name order (symbolic links to files taken, links
/// to folders not followed, so a walk cannot loop), then only the
/// shard's share. A path that does not exist stays in, to be reported.
pub fn collect(paths: &[String], shard: Option<Shard>) -> Vec<TriageInput> {
    let mut out = Vec::new();
    for given in paths {
        let root = Path::new(given);
        if !root.is_dir() {
            let key = root
                .file_name()
                .map_or_else(|| given.clone(), |n| n.to_string_lossy().into_owned());
            out.push(TriageInput {
                path: given.clone(),
                shard_key: key,
                named: true,
                walk_error: None,
                bytes: std::fs::metadata(root).map_or(0, |m| m.len()),
            });
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map_or_else(|| given.clone(), |p| p.display().to_string());
                    let key = relative_key(root, Path::new(&path));
                    out.push(TriageInput {
                        path,
                        shard_key: key,
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
            // A link's metadata is its target's.
            let Ok(meta) = std::fs::metadata(entry.path()) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            out.push(TriageInput {
                path: entry.path().display().to_string(),
                shard_key: relative_key(root, entry.path()),
                named: false,
                walk_error: None,
                bytes: meta.len(),
            });
        }
    }
    if let Some(shard) = shard {
        out.retain(|i| shard.takes(&i.shard_key));
    }
    out
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
