use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use callscope::pipeline::run_capture;
use callscope::report::packets::{Format, PacketPrinter};

mod analyze;
mod live;

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

#[derive(Subcommand)]
enum Command {
    /// One line per frame: addresses, protocol and a summary; then totals.
    Packets {
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
        /// Decoding threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Decode every frame but print only the closing summary (like tshark -q).
        #[arg(long, short)]
        quiet: bool,
        /// Capture file (pcap or pcapng, optionally gzip-compressed), or - for standard input.
        file: String,
    },
    /// Per-call verdicts: where each call stopped (SIP, ICE, DTLS, media), why, and what to do.
    Analyze {
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
        /// Exit with status 1 when any call failed (for scripts).
        #[arg(long)]
        fail_on_failure: bool,
        /// Text output: also print each call's evidence frames and advice.
        #[arg(long, short)]
        verbose: bool,
        /// Decoding threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Capture files (pcap or pcapng, optionally gzip-compressed), or - for standard input.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Live capture on an interface (needs the `live` feature and libpcap).
    Live {
        #[arg(long, short)]
        interface: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Packets {
            format,
            threads,
            quiet,
            file,
        } => packets(&file, format, threads, quiet),
        Command::Analyze {
            format,
            fail_on_failure,
            verbose,
            threads,
            files,
        } => analyze::run(
            &files,
            matches!(format, OutputFormat::Json),
            fail_on_failure,
            verbose,
            threads,
        ),
        Command::Live { interface } => live::run(&interface),
    }
}

fn packets(file: &str, format: OutputFormat, threads: usize, quiet: bool) -> ExitCode {
    let stdout = io::stdout().lock();
    let format = match format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
    };
    let mut printer = PacketPrinter::new(BufWriter::with_capacity(1 << 16, stdout), format);
    printer.set_quiet(quiet);
    let mut write_error = None;
    let outcome = run_capture(file, threads, |f| {
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
