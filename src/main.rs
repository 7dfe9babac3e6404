//! The `callscope` command: parses the command line, calls the library, and
//! maps errors to exit codes (2: a capture could not be read).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
