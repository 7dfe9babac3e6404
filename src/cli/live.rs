//! `callscope live`. Capturing needs libpcap, so it is built only with the
//! `live` cargo feature; without it the command says what to install and
//! everything else works.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LiveFormat {
    /// The terminal UI (the default when standard output is a terminal).
    Tui,
    /// One JSON line per call as it is finalised, then the report as one
    /// line (the default otherwise).
    Jsonl,
}

#[derive(Args)]
pub struct LiveArgs {
    /// Interface to capture on; repeatable; `any` for every interface (Linux).
    #[arg(
        long = "interface",
        short = 'i',
        value_name = "IF",
        required_unless_present = "list_interfaces"
    )]
    interfaces: Vec<String>,
    /// List the interfaces that can be captured on, and exit.
    #[arg(long, short = 'D')]
    list_interfaces: bool,
    /// Capture filter (BPF, as tcpdump's); "" for every packet. The default
    /// keeps what calls use: all UDP, ICMP, IPv6 fragments, and TCP
    /// 5060-5090, 443, 80, 8080, 8443, 7443, 8088, 8089, 3478 and 5349.
    #[arg(long, short = 'f', default_value = callscope::capture::DEFAULT_LIVE_FILTER, hide_default_value = true)]
    filter: String,
    /// Bytes kept of each packet.
    #[arg(long, short = 's', default_value_t = 262_144)]
    snaplen: u32,
    /// Do not put the interfaces in promiscuous mode.
    #[arg(long = "no-promiscuous", short = 'p')]
    no_promiscuous: bool,
    /// The kernel's capture buffer per interface, in MB.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=2047))]
    buffer_size: u32,
    /// Save every captured packet to this pcapng file as it arrives.
    #[arg(long, short = 'w', value_name = "FILE", value_parser = parse_write)]
    write: Option<PathBuf>,
    /// A ring of files: a new file (FILE_00001.pcapng, ...) every --ring-size MB.
    #[arg(long, value_name = "MB", requires = "write", value_parser = clap::value_parser!(u64).range(1..))]
    ring_size: Option<u64>,
    /// Keep only the newest N ring files (the oldest is deleted).
    #[arg(long, value_name = "N", requires = "ring_size", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    ring_files: Option<u64>,
    /// Stop after this long (seconds, or with a unit: 90s, 10m, 2h).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stop after this many packets.
    #[arg(long, short = 'c')]
    count: Option<u64>,
    /// How verdicts are shown.
    #[arg(long, value_enum)]
    format: Option<LiveFormat>,
    /// Run as this user once the interfaces are open (as tcpdump's -Z); files are written as it.
    #[arg(long, short = 'Z', value_name = "NAME")]
    user: Option<String>,
    /// Exit with status 1 when any call failed (JSON lines; for scripts).
    #[arg(long)]
    fail_on_failure: bool,
    /// Decoding threads (0: one per core; at most 256).
    #[arg(long, default_value_t = 0, value_parser = super::parse_threads)]
    threads: usize,
}

/// `-w`: a file. Standard output carries the JSON lines or the screen.
fn parse_write(text: &str) -> Result<PathBuf, String> {
    if text == "-" {
        return Err("packets cannot go to standard output (it carries the JSON lines or the screen): give a file".into());
    }
    Ok(PathBuf::from(text))
}

/// `90`, `90s`, `10m`, `2h`, `1.5h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 90, 90s, 10m, 2h)"))?;
    let seconds = match unit {
        "s" | "sec" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unit {unit:?}: use s, m or h")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
        return Err(format!("{text:?} is not a duration above zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(not(feature = "live"))]
pub fn run(args: LiveArgs) -> ExitCode {
    let interface = args
        .interfaces
        .first()
        .map(String::as_str)
        .unwrap_or("eth0");
    eprintln!(
        "callscope: live capture is not built into this binary.\n\
         It needs libpcap: install it (Debian/Ubuntu: apt-get install libpcap-dev; \
         Fedora: dnf install libpcap-devel; macOS: included) and rebuild with\n  \
         cargo install --path . --features live\n\
         Meanwhile, record with `tcpdump -i {interface} -w call.pcap` and run `callscope analyze call.pcap`."
    );
    ExitCode::from(2)
}

#[cfg(feature = "live")]
pub fn run(args: LiveArgs) -> ExitCode {
    match with_pcap::run(args) {
        Ok(code) => code,
        Err(e) => {
            // Each cause once: a typed error often says its cause already.
            let mut text = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !text.contains(&cause) {
                    text = format!("{text}: {cause}");
                }
            }
            eprintln!("callscope: {text}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "live")]
mod with_pcap {
    use std::io::{self, IsTerminal, Write};
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::sync::Arc;

    use anyhow::Context;
    use callscope::capture::live::{drop_privileges, list_interfaces, LiveCapture, LiveOptions};
    use callscope::capture::RingOptions;
    use callscope::engine::CallSelection;
    use callscope::live::{LiveConfig, LiveOutcome};
    use callscope::report::analyze::{warnings, ReportFormat, ReportWriter};

    use super::{LiveArgs, LiveFormat};

    pub fn run(args: LiveArgs) -> anyhow::Result<ExitCode> {
        if args.list_interfaces {
            return list();
        }
        let options = LiveOptions {
            interfaces: args.interfaces.clone(),
            filter: args.filter.clone(),
            snaplen: args.snaplen,
            promiscuous: !args.no_promiscuous,
            buffer_bytes: args.buffer_size.saturating_mul(1 << 20),
        };
        // Opened before anything else, so a missing permission is said
        // before the screen is taken, and root can be dropped right after.
        let capture = LiveCapture::open(&options)?;
        if let Some(user) = &args.user {
            drop_privileges(user)?;
        }
        let config = LiveConfig {
            write: args.write.as_ref().map(|path| RingOptions {
                path: path.clone(),
                files: args.ring_files.map(|n| n as usize),
                file_bytes: args.ring_size.map(|mb| mb.saturating_mul(1 << 20)),
            }),
            duration: args.duration,
            count: args.count,
            threads: args.threads,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let signals = Arc::new(AtomicU32::new(0));
        {
            let (stop, signals) = (stop.clone(), signals.clone());
            // SIGINT, SIGTERM and SIGHUP: stop cleanly, the files closed
            // whole; a second one while stopping ends at once. One signal
            // often arrives twice (`timeout` sends it to the program and to
            // its process group; a terminal's Ctrl-C reaches every process
            // of the group): a second within half a second is the same.
            let first = std::sync::OnceLock::<std::time::Instant>::new();
            ctrlc::set_handler(move || {
                let at = *first.get_or_init(std::time::Instant::now);
                if signals.fetch_add(1, Ordering::SeqCst) > 0 {
                    if at.elapsed() >= std::time::Duration::from_millis(500) {
                        std::process::exit(130);
                    }
                    return;
                }
                stop.store(true, Ordering::SeqCst);
            })
            .context("setting the signal handler")?;
        }
        let tui = match args.format {
            Some(f) => f == LiveFormat::Tui,
            None => io::stdout().is_terminal(),
        };
        if tui && !io::stdout().is_terminal() {
            anyhow::bail!(
                "the terminal UI needs a terminal on standard output: use --format jsonl"
            );
        }
        if tui {
            let user = args.user.clone();
            let code = callscope::tui::run_live(
                capture,
                config,
                stop,
                Box::new(move |outcome, temporary| match outcome {
                    Ok(o) => {
                        print_end(o, temporary);
                        if let Some(e) = &o.error {
                            eprintln!("callscope: {e}");
                            2
                        } else {
                            0
                        }
                    }
                    Err(e) => {
                        eprintln!("callscope: {}", with_user(e, user.as_deref()));
                        2
                    }
                }),
            )?;
            return Ok(ExitCode::from(code));
        }
        let selection = CallSelection::default();
        let mut report = ReportWriter::new(ReportFormat::JsonLine, &selection, args.threads);
        report.echo_calls_to(Box::new(io::stdout()));
        let names = args.interfaces.join(", ");
        eprintln!(
            "callscope: capturing on {names}{}; Ctrl-C stops",
            config
                .write
                .as_ref()
                .map(|w| match (w.file_bytes, w.files) {
                    (None, None) =>
                        format!(", saving every packet to {} (pcapng)", w.path.display()),
                    (_, files) => format!(
                        ", saving every packet to {}, {}... (pcapng, a new file every {} MB{})",
                        w.file_name(1).display(),
                        w.file_name(2).display(),
                        args.ring_size.unwrap_or(0),
                        files
                            .map(|n| format!(", the newest {n} kept"))
                            .unwrap_or_default()
                    ),
                })
                .unwrap_or_default()
        );
        if args.filter == callscope::capture::DEFAULT_LIVE_FILTER {
            eprintln!(
                "callscope: capture filter (the default; -f to change): {}",
                args.filter
            );
        }
        let outcome = callscope::live::run(capture, &config, stop, &mut report)
            .map_err(|e| anyhow::anyhow!(with_user(&e, args.user.as_deref())))?;
        let any_failed = report.any_failed;
        let mut out = io::stdout().lock();
        report
            .finish(&mut out, &outcome.facts)
            .and_then(|_| out.flush())
            .context("writing the report")?;
        print_end(&outcome, false);
        if let Some(e) = outcome.error {
            eprintln!("callscope: {e}");
            return Ok(ExitCode::from(2));
        }
        Ok(if args.fail_on_failure && any_failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// A write error says as whom files are written, after `--user`.
    fn with_user(e: &callscope::live::LiveRunError, user: Option<&str>) -> String {
        match (e, user) {
            (callscope::live::LiveRunError::Write(_), Some(u)) => {
                format!("{e} (files are written as user {u}, after --user)")
            }
            _ => e.to_string(),
        }
    }

    /// One line on standard error: what was captured, every drop, where
    /// it was saved; then each warning of the report.
    fn print_end(outcome: &LiveOutcome, temporary: bool) {
        let facts = &outcome.facts;
        let (kernel, interface) = facts.live.as_ref().map_or((0, 0), |l| {
            (
                l.interfaces
                    .iter()
                    .map(|i| i.dropped_by_kernel)
                    .sum::<u64>(),
                l.interfaces
                    .iter()
                    .map(|i| i.dropped_by_interface)
                    .sum::<u64>(),
            )
        });
        let saved = if temporary || outcome.files.is_empty() {
            "; not saved (--write FILE keeps every packet)".to_string()
        } else {
            let files: Vec<String> = outcome
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect();
            format!("; saved to {}", files.join(", "))
        };
        eprintln!(
            "callscope: {} packets captured, {kernel} dropped by the kernel, {interface} by the interface{saved}",
            facts.info.frames
        );
        for w in warnings(facts) {
            eprintln!("callscope: warning: {w}");
        }
    }

    fn list() -> anyhow::Result<ExitCode> {
        let mut out = io::stdout().lock();
        for i in list_interfaces()? {
            let mut flags = Vec::new();
            if i.up {
                flags.push("up");
            }
            if i.running {
                flags.push("running");
            }
            if i.loopback {
                flags.push("loopback");
            }
            let addresses: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
            let written = writeln!(
                out,
                "{:<16} [{}] {}{}",
                i.name,
                flags.join(","),
                addresses.join(" "),
                i.description
                    .map(|d| format!("  ({d})"))
                    .unwrap_or_default()
            );
            match written {
                // `-D | head` closes the pipe: not an error to report.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
                other => other?,
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
