//! What the report says of a capture besides its calls: what was read,
//! what could not be, and every bound the analysis reached; shared by the
//! text, JSON, HTML and Markdown reports, `triage` and `live`.

use std::io::{self, Write};

use crate::analysis::evidence::plural;
use crate::capture::CaptureInfo;
use crate::engine::{FrameAccounting, LimitHit};
use crate::net::link_type_name;

/// What the report says of the capture besides its calls.
#[derive(Debug, Clone, Default)]
pub struct CaptureFacts {
    pub info: CaptureInfo,
    pub accounting: FrameAccounting,
    /// Bounds of the analysis that were reached: never a silent drop.
    pub limits: Vec<LimitHit>,
    /// An error that stopped reading early (a file cut short).
    pub error: Option<String>,
    /// What a live capture counted: only in a live session's report.
    pub live: Option<LiveFacts>,
    /// TLS connections by what became of their decryption ("decrypted",
    /// "no key", "key did not decrypt", ...).
    pub tls: std::collections::BTreeMap<&'static str, u64>,
}

/// What a live capture adds to the report's `capture` object.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LiveFacts {
    /// Each interface captured on, with libpcap's counters.
    pub interfaces: Vec<LiveInterfaceFacts>,
    /// The files every packet was written to (the ring's files still on
    /// disk, oldest first); empty when nothing was saved.
    pub files: Vec<String>,
    /// Packets taken from the interfaces and analysed (and written).
    pub packets: u64,
    /// Why capture stopped: `interrupt`, `duration`, `count`, `quit`
    /// (the UI), or `error`.
    pub stopped_by: &'static str,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LiveInterfaceFacts {
    pub name: String,
    pub link_type: String,
    /// Packets the capture filter passed (libpcap's `ps_recv`).
    pub received: u64,
    /// Dropped by the operating system: its buffer was full (`ps_drop`).
    pub dropped_by_kernel: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`).
    pub dropped_by_interface: u64,
}

impl LiveFacts {
    pub fn dropped_by_kernel(&self) -> u64 {
        self.interfaces.iter().map(|i| i.dropped_by_kernel).sum()
    }

    pub fn dropped_by_interface(&self) -> u64 {
        self.interfaces.iter().map(|i| i.dropped_by_interface).sum()
    }
}

impl CaptureFacts {
    /// The facts of a session's run over a capture.
    pub fn from_run(session: &crate::engine::Session, outcome: crate::engine::RunOutcome) -> Self {
        Self {
            info: outcome.info,
            accounting: session.accounting().clone(),
            limits: session.limits(),
            error: outcome.late_error.map(|e| e.to_string()),
            live: None,
            tls: outcome.stats.streams.tls_connections.clone(),
        }
    }
}

/// One line per bound reached and per kind of frame that could not be
/// decoded: what the numbers above do not include.
pub fn write_warnings(out: &mut impl Write, facts: &CaptureFacts) -> io::Result<()> {
    for w in warnings(facts) {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// What the capture's reading left undone: every bound reached, every
/// link type and kind of frame not decoded. One line each.
pub fn warnings(facts: &CaptureFacts) -> Vec<String> {
    let mut out = Vec::new();
    for l in &facts.limits {
        out.push(format!(
            "bound reached in {}: {} {}",
            l.table, l.count, l.effect
        ));
    }
    for (link, n) in &facts.accounting.unsupported_link_types {
        out.push(format!(
            "{} of link type {} ({link}) not decoded",
            plural(*n, "frame"),
            link_type_name(*link)
        ));
    }
    // Signalling inside TLS that was not opened is not judged: say so,
    // so that no call in it is taken for no call at all.
    for (outcome, n) in &facts.tls {
        match *outcome {
            "decrypted" => {}
            "key did not decrypt" => out.push(format!(
                "{}: the key log did not open every record (wrong or partial keys); calls on them may be judged from part of their signalling",
                plural(*n, "TLS connection"),
            )),
            _ => out.push(format!(
                "{} carrying data not decrypted ({outcome}): any SIP inside is not judged (--keylog gives the session keys)",
                plural(*n, "TLS connection"),
            )),
        }
    }
    for (reason, n) in &facts.accounting.undecodable_by_reason {
        if *reason == "unsupported link type" {
            continue;
        }
        out.push(format!("{} not decoded: {reason}", plural(*n, "frame")));
    }
    // A live capture never hides a drop: every interface that lost
    // packets is named.
    for i in facts.live.iter().flat_map(|l| &l.interfaces) {
        if i.dropped_by_kernel > 0 {
            out.push(format!(
                "{} on {} dropped by the kernel (its buffer was full): they are in no file and no verdict",
                plural(i.dropped_by_kernel, "packet"),
                i.name
            ));
        }
        if i.dropped_by_interface > 0 {
            out.push(format!(
                "{} on {} dropped by the interface or its driver",
                plural(i.dropped_by_interface, "packet"),
                i.name
            ));
        }
    }
    out
}
