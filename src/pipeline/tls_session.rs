//! TLS connections opened with a key log: the key schedule of TLS 1.3
//! (RFC 8446 s7) and TLS 1.2 (RFC 5246 s6.3, RFC 5288, RFC 7905), and the
//! decryption of each record, so that SIP over TLS and over secure
//! WebSocket is read as if in clear. The ciphers and hashes are RustCrypto's
//! (`aes-gcm`, `chacha20poly1305`, `hkdf`, `hmac`, `sha2`); the hello
//! messages are read by `tls-parser`.
//!
//! What decrypted application data carries is framed by a framer of its
//! own (SIP by Content-Length, or WebSocket), exactly as on a clear stream.

use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};
use tls_parser::{
    parse_tls_extensions, parse_tls_plaintext, TlsExtension, TlsMessage, TlsMessageHandshake,
};

use super::stream::{StreamFramer, StreamKind};
use crate::decode::dtls::content_type;
use crate::decode::keylog::{KeyLog, SessionSecrets};

/// What became of a connection's decryption, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsDecryption {
    /// Records were decrypted.
    Decrypted,
    /// The key log has no secret for the handshake's client random.
    NoKey,
    /// A cipher suite this reader does not decrypt (e.g. CBC).
    UnsupportedSuite(u16),
    /// The secrets did not open the records (a wrong key log).
    WrongKey,
    /// The ClientHello or ServerHello was not captured.
    HandshakeNotSeen,
}

impl TlsDecryption {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsDecryption::Decrypted => "decrypted",
            TlsDecryption::NoKey => "no key",
            TlsDecryption::UnsupportedSuite(_) => "unsupported cipher suite",
            TlsDecryption::WrongKey => "key did not decrypt",
            TlsDecryption::HandshakeNotSeen => "handshake not captured",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum HashAlg {
    Sha256,
    Sha384,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum AeadKind {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadKind {
    fn key_len(self) -> usize {
        match self {
            AeadKind::Aes128Gcm => 16,
            AeadKind::Aes256Gcm | AeadKind::ChaCha20Poly1305 => 32,
        }
    }
}

/// The AEAD suites browsers and SIP stacks negotiate (RFC 8446 B.4, RFC
/// 5288, RFC 5289, RFC 7905).
fn suite(id: u16) -> Option<(AeadKind, HashAlg)> {
    Some(match id {
        0x1301 | 0x009c | 0x009e | 0xc02b | 0xc02f => (AeadKind::Aes128Gcm, HashAlg::Sha256),
        0x1302 | 0x009d | 0x009f | 0xc02c | 0xc030 => (AeadKind::Aes256Gcm, HashAlg::Sha384),
        0x1303 | 0xcca8 | 0xcca9 | 0xccaa => (AeadKind::ChaCha20Poly1305, HashAlg::Sha256),
        _ => return None,
    })
}

enum CipherImpl {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// One direction's record protection.
struct RecordCipher {
    cipher: CipherImpl,
    /// TLS 1.3 and ChaCha20: the 12-byte IV XORed with the sequence
    /// number. TLS 1.2 AES-GCM: a 4-byte salt, the rest of the nonce in
    /// the record (RFC 5288 s3).
    iv: [u8; 12],
    explicit_nonce: bool,
    tls13: bool,
    seq: u64,
}

impl RecordCipher {
    fn new(aead: AeadKind, key: &[u8], iv: &[u8], tls13: bool) -> Option<Self> {
        let cipher = match aead {
            AeadKind::Aes128Gcm => {
                CipherImpl::Aes128(Box::new(Aes128Gcm::new_from_slice(key).ok()?))
            }
            AeadKind::Aes256Gcm => {
                CipherImpl::Aes256(Box::new(Aes256Gcm::new_from_slice(key).ok()?))
            }
            AeadKind::ChaCha20Poly1305 => {
                CipherImpl::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        };
        let mut full = [0u8; 12];
        full.get_mut(..iv.len())?.copy_from_slice(iv);
        Some(Self {
            cipher,
            iv: full,
            explicit_nonce: !tls13 && aead != AeadKind::ChaCha20Poly1305,
            tls13,
            seq: 0,
        })
    }

    /// Opens one record (`header`: its 5 bytes; `body`: what follows).
    /// Returns the content type and the plaintext.
    fn open(&mut self, header: &[u8], body: &[u8]) -> Option<(u8, Vec<u8>)> {
        const TAG: usize = 16;
        let mut nonce = self.iv;
        let (ciphertext, aad): (&[u8], Vec<u8>) = if self.tls13 {
            // RFC 8446 s5.2-5.3: the header is the additional data.
            (body, header.to_vec())
        } else {
            let ct = if self.explicit_nonce {
                nonce[4..].copy_from_slice(body.get(..8)?);
                body.get(8..)?
            } else {
                body
            };
            // RFC 5246 s6.2.3.3: seq, type, version, plaintext length.
            let len = ct.len().checked_sub(TAG)? as u16;
            let mut aad = self.seq.to_be_bytes().to_vec();
            aad.extend_from_slice(&header[..3]);
            aad.extend_from_slice(&len.to_be_bytes());
            (ct, aad)
        };
        if !self.explicit_nonce {
            for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
                *n ^= s;
            }
        }
        let payload = Payload {
            msg: ciphertext,
            aad: &aad,
        };
        let nonce = aes_gcm::Nonce::from_slice(&nonce);
        let plain = match &self.cipher {
            CipherImpl::Aes128(c) => c.decrypt(nonce, payload),
            CipherImpl::Aes256(c) => c.decrypt(nonce, payload),
            CipherImpl::ChaCha(c) => c.decrypt(nonce, payload),
        }
        .ok()?;
        self.seq += 1;
        if self.tls13 {
            // RFC 8446 s5.2: content, then the real type, then zeros.
            let mut plain = plain;
            let end = plain.iter().rposition(|b| *b != 0)?;
            let kind = plain[end];
            plain.truncate(end);
            Some((kind, plain))
        } else {
            Some((header[0], plain))
        }
    }
}

fn hmac_chunks(alg: HashAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            // HMAC takes a key of any length.
            let mut m = <Hmac<$d> as Mac>::new_from_slice(key).expect("any key length");
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        HashAlg::Sha256 => run!(Sha256),
        HashAlg::Sha384 => run!(Sha384),
    }
}

/// TLS 1.2 PRF (RFC 5246 s5): P_hash(secret, label + seed).
fn prf12(alg: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut a = hmac_chunks(alg, secret, &[label, seed]);
    while out.len() < len {
        out.extend(hmac_chunks(alg, secret, &[&a, label, seed]));
        a = hmac_chunks(alg, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// HKDF-Expand-Label with an empty context (RFC 8446 s7.1).
fn expand_label(alg: HashAlg, secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let full = format!("tls13 {label}");
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let mut out = vec![0u8; len];
    match alg {
        HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
    }
    Some(out)
}

fn tls13_cipher(aead: AeadKind, alg: HashAlg, secret: Option<&Vec<u8>>) -> Option<RecordCipher> {
    let secret = secret?;
    let key = expand_label(alg, secret, "key", aead.key_len())?;
    let iv = expand_label(alg, secret, "iv", 12)?;
    RecordCipher::new(aead, &key, &iv, true)
}

#[derive(Default)]
struct Direction {
    /// Records from this side are encrypted (after its ChangeCipherSpec in
    /// TLS 1.2; after the ServerHello in TLS 1.3).
    encrypted: bool,
    cipher: Option<RecordCipher>,
    /// TLS 1.3: the application traffic keys, used once the handshake
    /// keys stop opening records (after this side's Finished).
    next: Option<RecordCipher>,
    /// A record did not open: nothing more is tried this way.
    failed: bool,
}

/// One TCP connection's TLS.
pub struct TlsConnection {
    client_dir: Option<u8>,
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    suite: Option<u16>,
    tls13: bool,
    dirs: [Direction; 2],
    /// What the decrypted application data carries.
    inner: StreamFramer,
    pub outcome: Option<TlsDecryption>,
    /// A record was opened (even if a later one was not).
    pub opened_any: bool,
    /// Application data records seen each way (in TLS 1.3, every
    /// encrypted record).
    app_records: [u64; 2],
    pub last_use: u64,
}

/// Keys are never printed.
impl std::fmt::Debug for TlsConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnection")
            .field("suite", &self.suite)
            .field("tls13", &self.tls13)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl TlsConnection {
    pub fn new(max_message: usize) -> Self {
        Self {
            client_dir: None,
            client_random: None,
            server_random: None,
            suite: None,
            tls13: false,
            dirs: Default::default(),
            inner: StreamFramer::inner(max_message),
            outcome: None,
            opened_any: false,
            app_records: [0; 2],
            last_use: 0,
        }
    }

    /// The outcome as the report names it; a connection whose hello was
    /// not reached yet counts as "handshake not captured".
    pub fn outcome_name(&self) -> &'static str {
        self.outcome
            .unwrap_or(TlsDecryption::HandshakeNotSeen)
            .as_str()
    }

    /// The connection carried application data: one that carried none
    /// was not hiding signalling.
    pub fn carried_data(&self) -> bool {
        self.app_records.iter().any(|n| *n > 0)
    }

    /// The last record taken was the first application data record sent
    /// that way.
    pub fn first_app_data(&self, direction: u8) -> bool {
        self.app_records[usize::from(direction & 1)] == 1
    }

    /// What the decrypted data carries, once known.
    pub fn inner_kind(&self, direction: u8) -> StreamKind {
        self.inner.kind_of(0, direction)
    }

    pub fn inner_bytes_dropped(&self) -> u64 {
        self.inner.stats().bytes_dropped
    }

    /// Takes one whole record sent in `direction`, appending every message
    /// its decrypted data completes to `out`.
    pub fn on_record(
        &mut self,
        direction: u8,
        record: &[u8],
        keys: &KeyLog,
        out: &mut Vec<Vec<u8>>,
    ) {
        let (Some(header), Some(body)) = (record.get(..5), record.get(5..)) else {
            return;
        };
        let d = usize::from(direction & 1);
        let kind = header[0];
        if kind == content_type::APPLICATION_DATA {
            self.app_records[d] += 1;
        }
        if !self.dirs[d].encrypted {
            match kind {
                content_type::HANDSHAKE => self.on_hello(direction, record, keys),
                content_type::CHANGE_CIPHER_SPEC if !self.tls13 => {
                    self.dirs[d].encrypted = true;
                    self.set_up_tls12(keys);
                }
                _ => {}
            }
            return;
        }
        if kind == content_type::CHANGE_CIPHER_SPEC {
            // TLS 1.3 middlebox compatibility (RFC 8446 D.4): in clear.
            return;
        }
        let dir = &mut self.dirs[d];
        if dir.failed {
            return;
        }
        let Some(cipher) = dir.cipher.as_mut() else {
            return;
        };
        let opened = match cipher.open(header, body) {
            Some(p) => Some(p),
            None => match dir.next.take() {
                Some(mut next) => {
                    let p = next.open(header, body);
                    dir.cipher = Some(next);
                    p
                }
                None => None,
            },
        };
        self.opened_any |= opened.is_some();
        match opened {
            Some((content_type::APPLICATION_DATA, plain)) => {
                if self.outcome.is_none() {
                    self.outcome = Some(TlsDecryption::Decrypted);
                }
                self.inner.push(0, direction, &plain, 0, out);
            }
            Some(_) => {
                if self.outcome.is_none() {
                    self.outcome = Some(TlsDecryption::Decrypted);
                }
            }
            None => {
                // A key that opens some records and not others is wrong
                // too: what was read may be part of the story only.
                dir.failed = true;
                self.outcome = Some(TlsDecryption::WrongKey);
            }
        }
    }

    fn on_hello(&mut self, direction: u8, record: &[u8], keys: &KeyLog) {
        let Ok((_, plain)) = parse_tls_plaintext(record) else {
            return;
        };
        for msg in &plain.msg {
            match msg {
                TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) => {
                    self.client_dir = Some(direction);
                    self.client_random = ch.random.try_into().ok();
                }
                TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) => {
                    self.server_random = sh.random.try_into().ok();
                    self.suite = Some(sh.cipher.0);
                    self.tls13 = sh
                        .ext
                        .and_then(|e| parse_tls_extensions(e).ok())
                        .is_some_and(|(_, exts)| {
                            exts.iter().any(|x| {
                                matches!(x, TlsExtension::SupportedVersions(v)
                                    if v.iter().any(|v| v.0 == 0x0304))
                            })
                        });
                    if self.tls13 {
                        self.set_up_tls13(keys);
                    }
                }
                _ => {}
            }
        }
    }

    /// The secrets and suite, or why there are none.
    fn secrets<'k>(&mut self, keys: &'k KeyLog) -> Option<(&'k SessionSecrets, AeadKind, HashAlg)> {
        let (Some(random), Some(id), Some(_)) = (self.client_random, self.suite, self.client_dir)
        else {
            self.outcome = Some(TlsDecryption::HandshakeNotSeen);
            return None;
        };
        // No key says more than an unsupported suite that no key would
        // have opened anyway.
        let Some(secrets) = keys.get(&random) else {
            self.outcome = Some(TlsDecryption::NoKey);
            return None;
        };
        let Some((aead, alg)) = suite(id) else {
            self.outcome = Some(TlsDecryption::UnsupportedSuite(id));
            return None;
        };
        Some((secrets, aead, alg))
    }

    fn set_up_tls13(&mut self, keys: &KeyLog) {
        let Some(client) = self.client_dir.map(|c| usize::from(c & 1)) else {
            self.outcome = Some(TlsDecryption::HandshakeNotSeen);
            return;
        };
        let server = 1 - client;
        // Both sides encrypt from here (the client after its optional
        // ChangeCipherSpec, which is skipped).
        self.dirs[client].encrypted = true;
        self.dirs[server].encrypted = true;
        let Some((s, aead, alg)) = self.secrets(keys) else {
            return;
        };
        let (ch, sh, ct, st) = (
            s.client_handshake.as_ref(),
            s.server_handshake.as_ref(),
            s.client_traffic.as_ref(),
            s.server_traffic.as_ref(),
        );
        self.dirs[client].cipher = tls13_cipher(aead, alg, ch);
        self.dirs[client].next = tls13_cipher(aead, alg, ct);
        self.dirs[server].cipher = tls13_cipher(aead, alg, sh);
        self.dirs[server].next = tls13_cipher(aead, alg, st);
        if self.dirs[client].cipher.is_none() && self.dirs[server].cipher.is_none() {
            self.outcome = Some(TlsDecryption::NoKey);
        }
    }

    fn set_up_tls12(&mut self, keys: &KeyLog) {
        if self.dirs.iter().any(|d| d.cipher.is_some()) {
            return;
        }
        let (Some(cr), Some(sr)) = (self.client_random, self.server_random) else {
            self.outcome = Some(TlsDecryption::HandshakeNotSeen);
            return;
        };
        let Some((s, aead, alg)) = self.secrets(keys) else {
            return;
        };
        let Some(master) = s.master.as_ref() else {
            self.outcome = Some(TlsDecryption::NoKey);
            return;
        };
        // RFC 5246 s6.3: client then server write keys, then IVs; AEAD
        // suites have no MAC keys.
        let key_len = aead.key_len();
        let iv_len = if aead == AeadKind::ChaCha20Poly1305 {
            12
        } else {
            4
        };
        let seed = [sr.as_slice(), cr.as_slice()].concat();
        let block = prf12(alg, master, b"key expansion", &seed, 2 * (key_len + iv_len));
        let (ck, rest) = block.split_at(key_len);
        let (sk, rest) = rest.split_at(key_len);
        let (civ, siv) = rest.split_at(iv_len);
        let client = usize::from(self.client_dir.unwrap_or(0) & 1);
        self.dirs[client].cipher = RecordCipher::new(aead, ck, civ, false);
        self.dirs[1 - client].cipher = RecordCipher::new(aead, sk, siv, false);
    }
}
