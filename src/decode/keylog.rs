//! TLS key logs in the NSS format that browsers, curl, OpenSSL and Python
//! write when `SSLKEYLOGFILE` is set, and that pcapng Decryption Secrets
//! Blocks carry: one secret per line, `LABEL <client random> <secret>`, in
//! hex. TLS 1.2 logs the master secret (`CLIENT_RANDOM`), TLS 1.3 each
//! traffic secret (RFC 8446 s7.1). The secrets are kept here only: nothing
//! prints them.

use foldhash::HashMap;

/// The secrets logged for one handshake, found by its ClientHello random.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct SessionSecrets {
    /// TLS 1.2 master secret (48 bytes).
    pub master: Option<Vec<u8>>,
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    /// TLS 1.3 first application traffic secrets.
    pub client_traffic: Option<Vec<u8>>,
    pub server_traffic: Option<Vec<u8>>,
}

/// Never printed: a report or a log line must not carry a secret.
impl std::fmt::Debug for SessionSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecrets(..)")
    }
}

/// Every secret of every key log read, by client random.
#[derive(Debug, Default, Clone)]
pub struct KeyLog {
    sessions: HashMap<[u8; 32], SessionSecrets>,
    /// Lines that were neither a comment, blank, nor a secret we read.
    pub unread_lines: u64,
}

impl KeyLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a key log's text, adding its secrets (a later line for the
    /// same handshake and label replaces an earlier one).
    pub fn add_text(&mut self, text: &[u8]) {
        for line in text.split(|b| *b == b'\n') {
            let line = line.trim_ascii();
            if line.is_empty() || line.first() == Some(&b'#') {
                continue;
            }
            if !self.add_line(line) {
                self.unread_lines += 1;
            }
        }
    }

    fn add_line(&mut self, line: &[u8]) -> bool {
        let mut parts = line.split(|b| *b == b' ').filter(|p| !p.is_empty());
        let (Some(label), Some(random), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Some(random), Some(secret)) = (hex(random), hex(secret)) else {
            return false;
        };
        let Ok(random) = <[u8; 32]>::try_from(random.as_slice()) else {
            return false;
        };
        // A TLS 1.2 master secret is 48 bytes; a TLS 1.3 traffic secret
        // is its hash's length, 32 (SHA-256) or 48 (SHA-384).
        let tls12 = label == b"CLIENT_RANDOM";
        if (tls12 && secret.len() != 48) || (!tls12 && ![32, 48].contains(&secret.len())) {
            return false;
        }
        let s = self.sessions.entry(random).or_default();
        let slot = match label {
            b"CLIENT_RANDOM" => &mut s.master,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut s.client_handshake,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut s.server_handshake,
            b"CLIENT_TRAFFIC_SECRET_0" => &mut s.client_traffic,
            b"SERVER_TRAFFIC_SECRET_0" => &mut s.server_traffic,
            // Exporter and early-data secrets decrypt nothing we read.
            b"EXPORTER_SECRET" | b"EARLY_EXPORTER_SECRET" | b"CLIENT_EARLY_TRAFFIC_SECRET" => {
                return true
            }
            _ => return false,
        };
        *slot = Some(secret);
        true
    }

    pub fn get(&self, client_random: &[u8; 32]) -> Option<&SessionSecrets> {
        self.sessions.get(client_random)
    }

    /// Handshakes with at least one secret.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}

fn hex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_versions_and_counts_what_it_cannot() {
        let r = "11".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {r} {m}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {s}\n\
             EXPORTER_SECRET {r} {s}\nCLIENT_RANDOM short {m}\nSOMETHING {r} {s}\n",
            m = "ab".repeat(48),
            s = "cd".repeat(48),
        );
        // A secret of the wrong length is not taken (it would replace a
        // good one).
        let text = format!("{text}CLIENT_TRAFFIC_SECRET_0 {r} abcd\n");
        let mut k = KeyLog::new();
        k.add_text(text.as_bytes());
        let s = k.get(&[0x11; 32]).unwrap();
        assert_eq!(s.master.as_deref(), Some(&[0xab; 48][..]));
        assert_eq!(s.server_handshake.as_deref(), Some(&[0xcd; 48][..]));
        assert_eq!(s.client_traffic, None);
        assert_eq!((k.len(), k.unread_lines), (1, 3));
        assert_eq!(format!("{s:?}"), "SessionSecrets(..)");
    }
}
