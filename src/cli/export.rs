//! `callscope export FILE --call ID... -o OUT.pcapng`

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use callscope::engine::{export_calls, CallSelection};

pub fn run(file: &str, threads: usize, selection: CallSelection, output: &str) -> ExitCode {
    if selection.is_all() {
        eprintln!("callscope: export needs --call ID, --code CODE or --failed");
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
    match export_calls(file, threads, |c| selection.matches(c), out, output) {
        Ok(s) if s.calls.is_empty() => {
            if output != "-" {
                let _ = std::fs::remove_file(output);
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
            ExitCode::SUCCESS
        }
        Err(callscope::engine::ExportError::Capture(e)) => {
            eprintln!("callscope: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("callscope: {e}");
            ExitCode::from(1)
        }
    }
}
