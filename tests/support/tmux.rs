//! tmux as a real terminal for the UI's tests: the binary runs in a tmux
//! server of the test's own, keys go in with `send-keys`, the screen comes
//! back with `capture-pane`.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// A tmux server of its own running `command` in a `w` x `h` window.
    pub fn start(name: &str, command: &str, w: u16, h: u16) -> Tmux {
        let t = Tmux {
            socket: format!("callscope-test-{}-{name}", std::process::id()),
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            "ui",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux")
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "ui", k]);
            // A lone Escape must not run into the next key.
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "ui"];
        if escapes {
            args.push("-e");
        }
        String::from_utf8_lossy(&self.run(&args).stdout).to_string()
    }

    /// Waits (at most 15 s) for the screen to hold `text`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(15))
    }

    /// Waits (at most `limit`) for the screen to hold `text`.
    pub fn wait_for_within(&self, text: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen(false);
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "{text:?} never appeared; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
