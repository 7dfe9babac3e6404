//! `callscope live`. Live capture needs libpcap, so it is built only with
//! the `live` cargo feature; without it the command says how to get it.

use std::process::ExitCode;

#[cfg(not(feature = "live"))]
pub fn run(interface: &str) -> ExitCode {
    eprintln!(
        "callscope: live capture on {interface} is not built into this binary.\n\
         It needs libpcap: install it (Debian/Ubuntu: apt-get install libpcap-dev; \
         Fedora: dnf install libpcap-devel; macOS: included) and rebuild with\n  \
         cargo install --path . --features live\n\
         Meanwhile, record with `tcpdump -i {interface} -w call.pcap` and run `callscope analyze call.pcap`."
    );
    ExitCode::from(2)
}

#[cfg(feature = "live")]
pub fn run(interface: &str) -> ExitCode {
    // Opening the device proves libpcap works; incremental verdicts come
    // with the analysis engine.
    match pcap::Capture::from_device(interface).and_then(|c| c.open()) {
        Ok(_) => {
            eprintln!("callscope: live analysis on {interface} is not available yet");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("callscope: cannot capture on {interface}: {e}");
            ExitCode::from(2)
        }
    }
}
