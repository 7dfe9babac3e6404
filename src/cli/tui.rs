//! `callscope tui FILE`

use std::process::ExitCode;

pub fn run(file: &str, threads: usize) -> ExitCode {
    match callscope::tui::run(file, threads) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("callscope: {e}");
            ExitCode::from(2)
        }
    }
}
