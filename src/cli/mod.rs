use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use callscope::decode::keylog::KeyLog;
use callscope::engine::{decode_file_with_keys, CallSelection, ExportOptions};
use callscope::report::packets::{Format, PacketPrinter};

mod analyze;
mod export;
mod ladder;
mod live;
mod triage;
mod tui;

#[derive(Parser)]
#[command(
    name = "callscope",
    version,
    about = "Tells where a failed VoIP/WebRTC call stopped: SIP, ICE, DTLS or media"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// What `analyze` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// A table of calls (with -v, each call's evidence and advice).
    Text,
    /// The report contract's JSON (several files: one line each).
    Json,
    /// One self-contained page: the capture, totals, and every failed
    /// call's verdict and ladder drawn (one capture).
    Html,
    /// The page's content in Markdown, for ticket systems (one capture).
    Markdown,
}

/// Which calls to show (all must hold).
#[derive(clap::Args, Clone, Default)]
struct Select {
    /// Only failed calls.
    #[arg(long)]
    failed: bool,
    /// Only this call: its number (the # column) or its id; repeatable.
    #[arg(long = "call", value_name = "ID")]
    calls: Vec<String>,
    /// Only calls with this verdict code (e.g. sip-603, 486, dtls-alert); repeatable.
    #[arg(long = "code", value_name = "CODE", value_parser = verdict_code)]
    codes: Vec<String>,
}

/// A `--code` that names no verdict code is a typo, not an empty selection.
fn verdict_code(text: &str) -> Result<String, String> {
    match callscope::verdict::VerdictCode::parse(text) {
        Some(_) => Ok(text.to_string()),
        None => Err(format!(
            "no verdict code {text:?}; codes: {}, sip-<status> (300-699)",
            callscope::verdict::VerdictCode::CATALOGUE
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl From<Select> for CallSelection {
    fn from(s: Select) -> Self {
        CallSelection {
            failed_only: s.failed,
            calls: s.calls,
            codes: s.codes,
            ..CallSelection::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// One line per frame: addresses, protocol and a summary; then totals.
    Packets {
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
        /// Decoding threads (0: one per core; at most 256).
        #[arg(long, default_value_t = 0, value_parser = parse_threads)]
        threads: usize,
        /// Decode every frame but print only the closing summary (like tshark -q).
        #[arg(long, short)]
        quiet: bool,
        /// TLS key log (NSS format, as SSLKEYLOGFILE writes it) to decrypt
        /// SIP over TLS and secure WebSocket; repeatable. Never copied
        /// into the report.
        #[arg(long = "keylog", value_name = "FILE")]
        keylogs: Vec<String>,
        /// Capture file (pcap, pcapng, NetMon or snoop; optionally gzip-compressed), or - for standard input.
        file: String,
    },
    /// Per-call verdicts: where each call stopped (SIP, ICE, DTLS, media), why, and what to do.
    Analyze {
        #[arg(long, value_enum, default_value = "text")]
        format: AnalyzeFormat,
        /// Write the report to this file instead of standard output (- for
        /// standard output); it is made only once the capture was read.
        #[arg(long, short, value_name = "FILE")]
        output: Option<String>,
        #[command(flatten)]
        select: Select,
        /// Exit with status 1 when any call failed (for scripts).
        #[arg(long)]
        fail_on_failure: bool,
        /// Text output: also print each call's evidence frames and advice.
        #[arg(long, short)]
        verbose: bool,
        /// TLS key log (NSS format, as SSLKEYLOGFILE writes it) to decrypt
        /// SIP over TLS and secure WebSocket; repeatable. Never copied
        /// into the report.
        #[arg(long = "keylog", value_name = "FILE")]
        keylogs: Vec<String>,
        /// Decoding threads (0: one per core; at most 256).
        #[arg(long, default_value_t = 0, value_parser = parse_threads)]
        threads: usize,
        /// Capture files (pcap, pcapng, NetMon or snoop; optionally gzip-compressed), or - for standard input.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// A call's events across SIP, STUN/TURN, DTLS and RTP as a sequence
    /// diagram (120 columns); without --call, every failed call.
    Ladder {
        #[command(flatten)]
        select: Select,
        /// TLS key log (NSS format, as SSLKEYLOGFILE writes it) to decrypt
        /// SIP over TLS and secure WebSocket; repeatable. Never copied
        /// into the report.
        #[arg(long = "keylog", value_name = "FILE")]
        keylogs: Vec<String>,
        /// Decoding threads (0: one per core; at most 256).
        #[arg(long, default_value_t = 0, value_parser = parse_threads)]
        threads: usize,
        /// Capture file (pcap, pcapng, NetMon or snoop; optionally gzip-compressed).
        file: String,
    },
    /// Writes every frame of the chosen calls to a pcapng file (Wireshark
    /// opens it; `analyze` on it gives the chosen calls the same verdicts).
    /// A call on a TCP connection takes the whole connection with it.
    Export {
        #[command(flatten)]
        select: Select,
        /// Output file, or - for standard output.
        #[arg(long, short)]
        output: String,
        /// TLS key log (NSS format, as SSLKEYLOGFILE writes it) to decrypt
        /// SIP over TLS and secure WebSocket; repeatable. Never copied
        /// into the export.
        #[arg(long = "keylog", value_name = "FILE")]
        keylogs: Vec<String>,
        /// Leave out the capture's own decryption secrets (pcapng
        /// Decryption Secrets Blocks), which are otherwise copied.
        #[arg(long)]
        strip_secrets: bool,
        /// Decoding threads (0: one per core; at most 256).
        #[arg(long, default_value_t = 0, value_parser = parse_threads)]
        threads: usize,
        /// Capture file (pcap, pcapng, NetMon or snoop; optionally gzip-compressed).
        file: String,
    },
    /// Browse the calls of a capture in the terminal: the list, each call's
    /// ladder and verdict, each frame decoded (keys: ? once it runs).
    Tui {
        /// Decoding threads (0: one per core; at most 256).
        #[arg(long, default_value_t = 0, value_parser = parse_threads)]
        threads: usize,
        /// Capture file (pcap, pcapng, NetMon or snoop; optionally gzip-compressed).
        file: String,
    },
    /// Capture live and show each call's verdict as it happens; every
    /// packet can be saved to pcapng (needs the `live` feature and libpcap).
    Live(live::LiveArgs),
    /// Judges many captures in parallel (files and folders, recursively):
    /// one JSON line per call with its file, then a table of failures by
    /// stage and code on standard error.
    #[command(
        after_help = "JSON lines go to standard output; the progress bar (on a terminal) and the \
table to standard error.\n\nExit status: 0 all well; 1 with --fail-on-failure when a call failed; \
2 when a capture could not be read or was cut short, no capture was found, or the command line is \
wrong; 3 when the output could not be written. The higher number wins."
    )]
    Triage(triage::TriageArgs),
    /// The table of `triage` again, from its JSON lines (any number of runs
    /// or shards), without reading the captures.
    #[command(
        after_help = "The table goes to standard output. A capture whose lines appear again \
(a shard given twice) is counted once.\n\nExit status: 0 all well; 1 with --fail-on-failure when a \
call failed; 2 when a file could not be read or a line is not triage output; 3 when the output \
could not be written."
    )]
    Summary(triage::SummaryArgs),
}

/// Reads every `--keylog` file, then runs `f` with the secrets; a file
/// that cannot be read stops the command (status 2).
fn with_keys(paths: &[String], f: impl FnOnce(KeyLog) -> ExitCode) -> ExitCode {
    match read_keylogs(paths) {
        Ok(keys) => f(keys),
        Err(code) => code,
    }
}

/// Every `--keylog` file's secrets, or the status to end with (a file
/// that cannot be read, said on standard error).
fn read_keylogs(paths: &[String]) -> Result<KeyLog, ExitCode> {
    // A key log holds a few lines per connection: 64 MiB is millions of
    // connections, and a bound keeps a wrong path (/dev/zero) harmless.
    const MAX_KEYLOG: u64 = 64 << 20;
    let mut keys = KeyLog::new();
    for path in paths {
        use std::io::Read;
        let mut text = Vec::new();
        let read =
            std::fs::File::open(path).and_then(|f| f.take(MAX_KEYLOG + 1).read_to_end(&mut text));
        match read {
            Ok(n) if n as u64 > MAX_KEYLOG => {
                eprintln!("callscope: --keylog {path}: larger than 64 MiB, not a key log");
                return Err(ExitCode::from(2));
            }
            Ok(_) => keys.add_text(&text),
            Err(e) => {
                eprintln!("callscope: --keylog {path}: {e}");
                return Err(ExitCode::from(2));
            }
        }
    }
    if !paths.is_empty() && keys.is_empty() {
        eprintln!(
            "callscope: warning: no TLS secret found in {} (expected lines such as CLIENT_RANDOM <hex> <hex>)",
            paths.join(", ")
        );
    }
    Ok(keys)
}

/// `--threads`: more threads than any machine has cores only costs
/// (each is a thread and a malloc arena), so a number past
/// [`MAX_THREADS`](callscope::pipeline::MAX_THREADS) is refused.
fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if n > callscope::pipeline::MAX_THREADS {
        return Err(format!(
            "{n} is more than {} threads",
            callscope::pipeline::MAX_THREADS
        ));
    }
    Ok(n)
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Packets {
            format,
            threads,
            quiet,
            keylogs,
            file,
        } => with_keys(&keylogs, |keys| {
            packets(&file, format, threads, quiet, keys)
        }),
        Command::Analyze {
            format,
            output,
            select,
            fail_on_failure,
            verbose,
            keylogs,
            threads,
            files,
        } => with_keys(&keylogs, |keys| {
            analyze::run(analyze::AnalyzeArgs {
                files: &files,
                format,
                output: output.as_deref(),
                fail_on_failure,
                verbose,
                threads,
                selection: select.into(),
                keys,
            })
        }),
        Command::Ladder {
            select,
            keylogs,
            threads,
            file,
        } => with_keys(&keylogs, |keys| {
            ladder::run(&file, threads, select.into(), keys)
        }),
        Command::Export {
            select,
            output,
            keylogs,
            strip_secrets,
            threads,
            file,
        } => with_keys(&keylogs, |keys| {
            let options = ExportOptions {
                keys,
                strip_secrets,
            };
            export::run(&file, threads, select.into(), &output, options)
        }),
        Command::Tui { threads, file } => tui::run(&file, threads),
        Command::Live(args) => live::run(args),
        Command::Triage(args) => triage::run(args),
        Command::Summary(args) => triage::summary(args),
    }
}

fn packets(
    file: &str,
    format: OutputFormat,
    threads: usize,
    quiet: bool,
    keys: KeyLog,
) -> ExitCode {
    let stdout = io::stdout().lock();
    let format = match format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
    };
    let mut printer = PacketPrinter::new(BufWriter::with_capacity(1 << 16, stdout), format);
    printer.set_quiet(quiet);
    let mut write_error = None;
    let outcome = decode_file_with_keys(file, threads, keys, |f| {
        if write_error.is_none() {
            if let Err(e) = printer.frame(f) {
                write_error = Some(e);
            }
        }
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            eprintln!("callscope: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(e) = write_error {
        // A closed pipe (e.g. `| head`) is not an error worth a message.
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("callscope: writing output: {e}");
        }
        return ExitCode::from(1);
    }
    match printer.finish(&outcome.info, &outcome.stats) {
        Ok(mut w) => {
            let _ = w.flush();
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::from(1),
        Err(e) => {
            eprintln!("callscope: writing output: {e}");
            return ExitCode::from(1);
        }
    }
    if let Some(e) = outcome.late_error {
        eprintln!("callscope: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
