//! What to do next, from the well-known causes of each failure.

/// Advice lines for a verdict code.
pub fn advice_for(code: &str) -> Vec<String> {
    let lines: &[&str] = match code {
        "ok" | "ok-registered" | "ok-allocated" => &[],
        "capture-ended" => &[
            "The capture stopped before this stage could finish: capture longer (at least 35 s past the failure) and analyse again.",
        ],
        "sip-no-response" => &[
            "Check that the SIP server address and port are right and reachable from this network (DNS, routing, firewall).",
            "Check that UDP/TCP 5060 (or TCP/TLS 5061, 443 for WSS) is open outbound and that no SIP ALG rewrites or drops the traffic.",
            "Retry over TCP or TLS if UDP is filtered.",
        ],
        "sip-no-final-response" => &[
            "The far end received the request but never answered finally: check the callee's registration and the server's routing/forking timers.",
            "If a proxy is in the path, look for a lost 200 OK (large responses over UDP may be fragmented and dropped).",
        ],
        "sip-transport-refused" => &[
            "Nothing listens on the signalling port at that address: check the server address, port and transport (UDP/TCP/TLS).",
            "An ICMP unreachable from a router means the host or network is gone; from the host itself, the port is closed.",
        ],
        "sip-transport-blocked" => &[
            "A firewall drops the connection silently: open TCP 5060/5061 (or 443) outbound to the SIP server.",
        ],
        "sip-tls-failed" => &[
            "Check the server certificate (name, chain, expiry) and the TLS versions and cipher suites both sides allow.",
            "If the server asks for a client certificate, make sure one is configured.",
        ],
        "sip-auth-failed" => &[
            "The credentials were refused: check username, password and realm for this SIP domain.",
            "Check that the account is enabled and that IP access control lists allow this source address.",
        ],
        "sip-401" | "sip-407" => &[
            "The server asked for credentials and none were sent: configure the SIP account's username and password.",
        ],
        "sip-403" => &[
            "Forbidden: check the SIP domain, the credentials and any IP access control list on the server.",
        ],
        "sip-404" => &[
            "Not found: check the dialled number or SIP URI and the domain it is sent to.",
        ],
        "sip-480" => &[
            "The callee is not reachable right now (not registered or not answering): check the callee's registration.",
        ],
        "sip-486" => &["The callee is busy: retry later."],
        "sip-487" => &["The caller cancelled before the call was answered: no fault on the network path."],
        "sip-603" => &["The callee declined the call: this is an explicit decline and must not be retried automatically."],
        "stun-server-unreachable" => &[
            "Open UDP 3478 outbound to the STUN server, or check its address.",
            "Without a server-reflexive candidate, calls across NAT need a TURN relay.",
        ],
        "turn-unreachable" => &[
            "Open UDP 3478 (and the relay range) outbound to the TURN server, or use TURN over TCP/TLS on 443 as a fallback.",
            "Check the TURN server address and region/edge.",
        ],
        "turn-auth-failed" => &[
            "The TURN credentials were refused: check username, password (or the expiry of time-limited credentials) and realm.",
        ],
        "turn-allocate-error" => &[
            "The TURN server refused the allocation: see the error code (486 quota reached, 508 insufficient capacity, 403 forbidden, 437 mismatch) and check the server's limits and policy.",
        ],
        "ice-no-response" => &[
            "No candidate pair worked: UDP between the parties is blocked. Open UDP 10000-60000 (media) or provide a TURN relay, ideally TURN over TCP/TLS on 443.",
            "Check that the candidates offered are reachable from the other side (private addresses across NAT need srflx or relay candidates).",
        ],
        "ice-check-errors" => &[
            "Checks were refused: a 401 means the ICE credentials (ufrag/pwd) do not match the SDP exchanged; 487 is a role conflict.",
        ],
        "ice-not-started" => &[
            "Signalling agreed on ICE but no connectivity check followed: check that the answer reached the client and that the ICE agent started (browser permissions, application logic).",
        ],
        "ice-consent-lost" => &[
            "The media path stopped answering mid-call: a NAT binding or firewall timeout, a network change (Wi-Fi to cellular, VPN), or the far end went away.",
            "Keep-alives and ICE restarts help; TURN over TCP/TLS on 443 survives stricter firewalls.",
        ],
        "dtls-no-response" => &[
            "The DTLS ClientHello got no answer: the path works for STUN but something drops DTLS (a firewall inspecting UDP), or the far end never started its DTLS side.",
            "Check that both sides agree on roles (a=setup: actpass/active/passive).",
        ],
        "dtls-incomplete" => &[
            "The handshake started but a final flight was lost: look for large certificate flights fragmented and dropped (path MTU), or one-way loss.",
        ],
        "dtls-alert" => &[
            "A fatal alert ended the handshake: see its description (bad_certificate, unknown_ca, handshake_failure) and check certificates, fingerprints and cipher suites.",
        ],
        "dtls-fingerprint-mismatch" => &[
            "The certificate does not match the SDP a=fingerprint: the SDP was altered in transit or the endpoint renewed its certificate; check any SBC or proxy rewriting SDP.",
        ],
        "media-none" => &[
            "Signalling succeeded but no media flowed: check the media addresses in SDP (private addresses behind NAT), and that UDP 10000-60000 is open both ways.",
        ],
        "media-one-way" => &[
            "Media flows in one direction only: typical of NAT or firewall problems on the silent side, a wrong c= address in SDP, or a SIP ALG rewriting SDP.",
        ],
        "media-stopped" => &[
            "Media stopped while the call went on: a NAT binding timeout, a network change, or a hold not signalled in SDP.",
        ],
        _ => &[
            "See the SIP status code's meaning in RFC 3261 s21 and the server's logs for this Call-ID.",
        ],
    };
    lines.iter().map(|s| s.to_string()).collect()
}
