//! The verdict codes of `verdicts.md`, each with its stage, Twilio hint and
//! advice in one table, so a code cannot be misspelt or lack an entry.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use super::Stage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictCode {
    Ok,
    OkRegistered,
    OkAllocated,
    /// A stage the capture stopped in the middle of: not a failure.
    CaptureEnded,
    SipNoResponse,
    SipNoFinalResponse,
    SipTransportRefused,
    SipTransportBlocked,
    SipTlsFailed,
    SipAuthFailed,
    Sip401,
    Sip403,
    Sip404,
    Sip407,
    Sip480,
    Sip486,
    Sip487,
    Sip603,
    /// `sip-<status>` for a final status without a variant of its own; made
    /// by [`VerdictCode::sip_status`], which keeps catalogued ones out.
    SipStatus(u16),
    StunServerUnreachable,
    TurnUnreachable,
    TurnAuthFailed,
    TurnAllocateError,
    IceNoResponse,
    IceCheckErrors,
    IceNotStarted,
    IceConsentLost,
    DtlsNoResponse,
    DtlsIncomplete,
    DtlsAlert,
    DtlsFingerprintMismatch,
    MediaNone,
    MediaOneWay,
    MediaStopped,
}

/// One row of the catalogue.
struct Entry {
    text: &'static str,
    /// For `capture-ended`, the stage comes from where the capture stopped.
    stage: Stage,
    twilio: Option<u32>,
    advice: &'static [&'static str],
}

const fn row(
    text: &'static str,
    stage: Stage,
    twilio: Option<u32>,
    advice: &'static [&'static str],
) -> Entry {
    Entry {
        text,
        stage,
        twilio,
        advice,
    }
}

const NO_CREDENTIALS: &[&str] = &[
    "The server asked for credentials and none were sent: configure the SIP account's username and password.",
];

impl VerdictCode {
    /// The code for a final SIP failure status.
    /// Every code but the `sip-<status>` family.
    pub const CATALOGUE: [VerdictCode; 33] = [
        Self::Ok,
        Self::OkRegistered,
        Self::OkAllocated,
        Self::CaptureEnded,
        Self::SipNoResponse,
        Self::SipNoFinalResponse,
        Self::SipTransportRefused,
        Self::SipTransportBlocked,
        Self::SipTlsFailed,
        Self::SipAuthFailed,
        Self::Sip401,
        Self::Sip403,
        Self::Sip404,
        Self::Sip407,
        Self::Sip480,
        Self::Sip486,
        Self::Sip487,
        Self::Sip603,
        Self::StunServerUnreachable,
        Self::TurnUnreachable,
        Self::TurnAuthFailed,
        Self::TurnAllocateError,
        Self::IceNoResponse,
        Self::IceCheckErrors,
        Self::IceNotStarted,
        Self::IceConsentLost,
        Self::DtlsNoResponse,
        Self::DtlsIncomplete,
        Self::DtlsAlert,
        Self::DtlsFingerprintMismatch,
        Self::MediaNone,
        Self::MediaOneWay,
        Self::MediaStopped,
    ];

    /// A code as a person types it: its text in any case, `sip-<status>`,
    /// or a bare SIP final status (`486`).
    pub fn parse(text: &str) -> Option<Self> {
        let status = text
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("sip-"))
            .map_or(text, |_| &text[4..]);
        if let Ok(n) = status.parse::<u16>() {
            return (300..700).contains(&n).then(|| Self::sip_status(n));
        }
        Self::CATALOGUE
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }

    pub fn sip_status(status: u16) -> Self {
        match status {
            401 => Self::Sip401,
            403 => Self::Sip403,
            404 => Self::Sip404,
            407 => Self::Sip407,
            480 => Self::Sip480,
            486 => Self::Sip486,
            487 => Self::Sip487,
            603 => Self::Sip603,
            other => Self::SipStatus(other),
        }
    }

    /// The catalogue. The Twilio column is a hint for support engineers,
    /// never the verdict itself; advice is what to do next, from the
    /// well-known causes of each failure.
    fn entry(self) -> Entry {
        use Stage::{Dtls, Ice, Media, Sip};
        match self {
            Self::Ok => row("ok", Stage::None, None, &[]),
            Self::OkRegistered => row("ok-registered", Stage::None, None, &[]),
            Self::OkAllocated => row("ok-allocated", Stage::None, None, &[]),
            Self::CaptureEnded => row(
                "capture-ended",
                Stage::None,
                None,
                &["The capture stopped before this stage could finish: capture longer (at least 35 s past the failure) and analyse again."],
            ),
            Self::SipNoResponse => row(
                "sip-no-response",
                Sip,
                Some(31009),
                &[
                    "Check that the SIP server address and port are right and reachable from this network (DNS, routing, firewall).",
                    "Check that UDP/TCP 5060 (or TCP/TLS 5061, 443 for WSS) is open outbound and that no SIP ALG rewrites or drops the traffic.",
                    "Retry over TCP or TLS if UDP is filtered.",
                ],
            ),
            Self::SipNoFinalResponse => row(
                "sip-no-final-response",
                Sip,
                Some(31003),
                &[
                    "The far end received the request but never answered finally: check the callee's registration and the server's routing/forking timers.",
                    "If a proxy is in the path, look for a lost 200 OK (large responses over UDP may be fragmented and dropped).",
                ],
            ),
            Self::SipTransportRefused => row(
                "sip-transport-refused",
                Sip,
                Some(31009),
                &[
                    "Nothing listens on the signalling port at that address: check the server address, port and transport (UDP/TCP/TLS).",
                    "An ICMP unreachable from a router means the host or network is gone; from the host itself, the port is closed.",
                ],
            ),
            Self::SipTransportBlocked => row(
                "sip-transport-blocked",
                Sip,
                Some(31009),
                &["A firewall drops the connection silently: open TCP 5060/5061 (or 443) outbound to the SIP server."],
            ),
            Self::SipTlsFailed => row(
                "sip-tls-failed",
                Sip,
                Some(31009),
                &[
                    "Check the server certificate (name, chain, expiry) and the TLS versions and cipher suites both sides allow.",
                    "If the server asks for a client certificate, make sure one is configured.",
                ],
            ),
            Self::SipAuthFailed => row(
                "sip-auth-failed",
                Sip,
                None,
                &[
                    "The credentials were refused: check username, password and realm for this SIP domain.",
                    "Check that the account is enabled and that IP access control lists allow this source address.",
                ],
            ),
            Self::Sip401 => row("sip-401", Sip, None, NO_CREDENTIALS),
            Self::Sip407 => row("sip-407", Sip, None, NO_CREDENTIALS),
            Self::Sip403 => row(
                "sip-403",
                Sip,
                Some(31203),
                &["Forbidden: check the SIP domain, the credentials and any IP access control list on the server."],
            ),
            Self::Sip404 => row(
                "sip-404",
                Sip,
                Some(31203),
                &["Not found: check the dialled number or SIP URI and the domain it is sent to."],
            ),
            Self::Sip480 => row(
                "sip-480",
                Sip,
                Some(31480),
                &["The callee is not reachable right now (not registered or not answering): check the callee's registration."],
            ),
            Self::Sip486 => row(
                "sip-486",
                Sip,
                Some(31486),
                &["The callee is busy: retry later."],
            ),
            Self::Sip487 => row(
                "sip-487",
                Sip,
                None,
                &["The caller cancelled before the call was answered: no fault on the network path."],
            ),
            Self::Sip603 => row(
                "sip-603",
                Sip,
                Some(31603),
                &["The callee declined the call: this is an explicit decline and must not be retried automatically."],
            ),
            // The text is filled in with the status by `as_str`.
            Self::SipStatus(_) => row(
                "sip-<status>",
                Sip,
                None,
                &["See the SIP status code's meaning in RFC 3261 s21 and the server's logs for this Call-ID."],
            ),
            Self::StunServerUnreachable => row(
                "stun-server-unreachable",
                Ice,
                Some(31003),
                &[
                    "Open UDP 3478 outbound to the STUN server, or check its address.",
                    "Without a server-reflexive candidate, calls across NAT need a TURN relay.",
                ],
            ),
            Self::TurnUnreachable => row(
                "turn-unreachable",
                Ice,
                Some(31003),
                &[
                    "Open UDP 3478 (and the relay range) outbound to the TURN server, or use TURN over TCP/TLS on 443 as a fallback.",
                    "Check the TURN server address and region/edge.",
                ],
            ),
            Self::TurnAuthFailed => row(
                "turn-auth-failed",
                Ice,
                Some(31005),
                &["The TURN credentials were refused: check username, password (or the expiry of time-limited credentials) and realm."],
            ),
            Self::TurnAllocateError => row(
                "turn-allocate-error",
                Ice,
                Some(31005),
                &["The TURN server refused the allocation: see the error code (486 quota reached, 508 insufficient capacity, 403 forbidden, 437 mismatch) and check the server's limits and policy."],
            ),
            Self::IceNoResponse => row(
                "ice-no-response",
                Ice,
                Some(31005),
                &[
                    "No candidate pair worked: UDP between the parties is blocked. Open UDP 10000-60000 (media) or provide a TURN relay, ideally TURN over TCP/TLS on 443.",
                    "Check that the candidates offered are reachable from the other side (private addresses across NAT need srflx or relay candidates).",
                ],
            ),
            Self::IceCheckErrors => row(
                "ice-check-errors",
                Ice,
                Some(31005),
                &["Checks were refused: a 401 means the ICE credentials (ufrag/pwd) do not match the SDP exchanged; 487 is a role conflict."],
            ),
            Self::IceNotStarted => row(
                "ice-not-started",
                Ice,
                Some(31005),
                &["Signalling agreed on ICE but no connectivity check followed: check that the answer reached the client and that the ICE agent started (browser permissions, application logic)."],
            ),
            Self::IceConsentLost => row(
                "ice-consent-lost",
                Ice,
                Some(31005),
                &[
                    "The media path stopped answering mid-call: a NAT binding or firewall timeout, a network change (Wi-Fi to cellular, VPN), or the far end went away.",
                    "Keep-alives and ICE restarts help; TURN over TCP/TLS on 443 survives stricter firewalls.",
                ],
            ),
            Self::DtlsNoResponse => row(
                "dtls-no-response",
                Dtls,
                Some(31003),
                &[
                    "The DTLS ClientHello got no answer: the path works for STUN but something drops DTLS (a firewall inspecting UDP), or the far end never started its DTLS side.",
                    "Check that both sides agree on roles (a=setup: actpass/active/passive).",
                ],
            ),
            Self::DtlsIncomplete => row(
                "dtls-incomplete",
                Dtls,
                Some(31003),
                &["The handshake started but a final flight was lost: look for large certificate flights fragmented and dropped (path MTU), or one-way loss."],
            ),
            Self::DtlsAlert => row(
                "dtls-alert",
                Dtls,
                None,
                &["A fatal alert ended the handshake: see its description (bad_certificate, unknown_ca, handshake_failure) and check certificates, fingerprints and cipher suites."],
            ),
            Self::DtlsFingerprintMismatch => row(
                "dtls-fingerprint-mismatch",
                Dtls,
                None,
                &["The certificate does not match the SDP a=fingerprint: the SDP was altered in transit or the endpoint renewed its certificate; check any SBC or proxy rewriting SDP."],
            ),
            Self::MediaNone => row(
                "media-none",
                Media,
                Some(31005),
                &["Signalling succeeded but no media flowed: check the media addresses in SDP (private addresses behind NAT), and that UDP 10000-60000 is open both ways."],
            ),
            Self::MediaOneWay => row(
                "media-one-way",
                Media,
                None,
                &["Media flows in one direction only: typical of NAT or firewall problems on the silent side, a wrong c= address in SDP, or a SIP ALG rewriting SDP."],
            ),
            Self::MediaStopped => row(
                "media-stopped",
                Media,
                None,
                &["Media stopped while the call went on: a NAT binding timeout, a network change, or a hold not signalled in SDP."],
            ),
        }
    }

    /// The code as the report spells it.
    pub fn as_str(self) -> Cow<'static, str> {
        match self {
            Self::SipStatus(status) => Cow::Owned(format!("sip-{status}")),
            code => Cow::Borrowed(code.entry().text),
        }
    }

    /// The stage this code belongs to (`none` for the good outcomes and for
    /// `capture-ended`, whose verdict takes the stage the capture stopped in).
    pub fn stage(self) -> Stage {
        self.entry().stage
    }

    /// Whether a call given this code failed: every code of a stage is a
    /// failure; the good outcomes and `capture-ended` (a stage cut short
    /// by the capture, not by the call) have none.
    pub fn is_failure(self) -> bool {
        self.stage() != Stage::None
    }

    pub fn twilio_hint(self) -> Option<u32> {
        self.entry().twilio
    }

    pub fn advice(self) -> Vec<String> {
        self.entry().advice.iter().map(|s| s.to_string()).collect()
    }
}

impl fmt::Display for VerdictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: the text report aligns codes in a column.
        f.pad(&self.as_str())
    }
}

impl Serialize for VerdictCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

/// What the Twilio Voice error a verdict maps to means, in a few words.
pub fn twilio_error_meaning(code: u32) -> &'static str {
    match code {
        31003 => "connection timeout",
        31005 => "media connection failed",
        31009 => "transport error",
        31203 => "SIP 403/404: domain, credential or ACL",
        31480 => "temporarily unavailable",
        31486 => "busy here",
        31603 => "declined: do not retry",
        _ => "Twilio Voice error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogued_sip_statuses_get_their_own_variant() {
        for (status, code) in [
            (401, VerdictCode::Sip401),
            (403, VerdictCode::Sip403),
            (404, VerdictCode::Sip404),
            (407, VerdictCode::Sip407),
            (480, VerdictCode::Sip480),
            (486, VerdictCode::Sip486),
            (487, VerdictCode::Sip487),
            (603, VerdictCode::Sip603),
        ] {
            assert_eq!(VerdictCode::sip_status(status), code);
            assert_eq!(code.as_str(), format!("sip-{status}"));
        }
        let other = VerdictCode::sip_status(488);
        assert_eq!(other, VerdictCode::SipStatus(488));
        assert_eq!(other.as_str(), "sip-488");
        assert_eq!(other.stage(), Stage::Sip);
        assert_eq!(other.twilio_hint(), None);
        assert_eq!(other.advice().len(), 1);
    }

    #[test]
    fn serializes_and_displays_as_its_text() {
        let code = VerdictCode::DtlsFingerprintMismatch;
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            "\"dtls-fingerprint-mismatch\""
        );
        assert_eq!(
            serde_json::to_string(&VerdictCode::SipStatus(500)).unwrap(),
            "\"sip-500\""
        );
        assert_eq!(format!("[{:<10}]", VerdictCode::Ok), "[ok        ]");
    }

    #[test]
    fn codes_parse_as_people_type_them() {
        for c in VerdictCode::CATALOGUE {
            assert_eq!(VerdictCode::parse(&c.as_str()), Some(c));
            assert_eq!(VerdictCode::parse(&c.as_str().to_uppercase()), Some(c));
        }
        assert_eq!(VerdictCode::parse("486"), Some(VerdictCode::Sip486));
        assert_eq!(
            VerdictCode::parse("SIP-499"),
            Some(VerdictCode::SipStatus(499))
        );
        assert_eq!(VerdictCode::parse("sip-200"), None);
        assert_eq!(VerdictCode::parse("bogus"), None);
        assert_eq!(VerdictCode::parse("sip-"), None);
    }
}
