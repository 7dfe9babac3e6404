//! `callscope export FILE --call ID... -o OUT.pcapng`

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::capture::CaptureReader;
use callscope::engine::{export_calls, CallSelection, ExportOptions};

/// Standard input copied to a temporary file, removed when it is dropped.
fn spool_stdin() -> io::Result<tempfile::NamedTempFile> {
    let mut spooled = tempfile::Builder::new()
        .prefix("callscope-export-stdin-")
        .tempfile()?;
    io::copy(&mut io::stdin().lock(), spooled.as_file_mut())?;
    Ok(spooled)
}

pub fn run(
    file: &str,
    threads: usize,
    selection: CallSelection,
    output: &str,
    options: ExportOptions,
) -> ExitCode {
    if selection.is_all() {
        eprintln!("callscope: export needs --call ID, --code CODE or --failed");
        return ExitCode::from(2);
    }
    // Export reads its input three times: standard input goes to a
    // temporary file first.
    let spooled = if file == "-" {
        match spool_stdin() {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("callscope: -: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let path = spooled
        .as_ref()
        .map_or(file, |s| s.path().to_str().unwrap_or(file));
    // An input that cannot be read leaves no output file behind.
    if let Err(e) = CaptureReader::open(path) {
        eprintln!("callscope: {}", e.to_string().replace(path, file));
        return ExitCode::from(2);
    }
    let out: Box<dyn Write> = if output == "-" {
        Box::new(io::stdout().lock())
    } else {
        match File::create(output) {
            Ok(f) => Box::new(BufWriter::new(f)),
            Err(e) => {
                eprintln!("callscope: creating {output}: {e}");
                return ExitCode::from(1);
            }
        }
    };
    let result = export_calls(
        path,
        threads,
        |c| selection.matches(c),
        out,
        output,
        &options,
    );
    let failed = match &result {
        Ok(s) => s.calls.is_empty(),
        Err(_) => true,
    };
    if failed && output != "-" {
        let _ = std::fs::remove_file(output);
    }
    match result {
        Ok(s) if s.calls.is_empty() => {
            if let Some(e) = &s.late_error {
                eprintln!("callscope: {}", e.to_string().replace(path, file));
            }
            eprintln!("callscope: {file}: no call matches; {output} not written (`analyze` lists the calls)");
            ExitCode::from(1)
        }
        Ok(mut s) => {
            s.calls.sort_unstable();
            let which = if s.calls.len() <= 10 {
                let numbers: Vec<String> = s.calls.iter().map(|n| n.to_string()).collect();
                format!("call {}", numbers.join(", "))
            } else {
                format!("{} calls", s.calls.len())
            };
            eprintln!(
                "callscope: wrote {} frames of {which} to {output}",
                s.frames
            );
            if s.secrets_blocks > 0 {
                eprintln!(
                    "callscope: {output} holds the capture's TLS keys ({} decryption secrets blocks): share it as you would the keys, or export again with --strip-secrets",
                    s.secrets_blocks
                );
            }
            match &s.late_error {
                // Cut short: what came before the cut is exported, and the
                // status says the input was not whole, as `analyze` does.
                Some(e) => {
                    eprintln!("callscope: {}", e.to_string().replace(path, file));
                    ExitCode::from(2)
                }
                None => ExitCode::SUCCESS,
            }
        }
        Err(callscope::engine::ExportError::Capture(e)) => {
            eprintln!("callscope: {}", e.to_string().replace(path, file));
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("callscope: {e}");
            ExitCode::from(1)
        }
    }
}
