//! `pulltui watch --json` as a child process, its lines read as they come
//! (the journal's tests, single cluster and fleet).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const WAIT: Duration = Duration::from_secs(90);

/// `pulltui watch --json` running, its lines read as they come.
pub struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<Value>,
}

impl Watch {
    pub fn start(pt: &super::cli::Pulltui) -> Watch {
        let mut cmd = pt.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("pulltui watch starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line (seen before or coming) that `pred` accepts.
    pub fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let start = Instant::now();
        while start.elapsed() < WAIT {
            let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("watch --json printed a non-JSON line {line:?}: {e}"));
            self.seen.push(v.clone());
            if pred(&v) {
                return v;
            }
        }
        panic!("no {what} within {WAIT:?}; lines: {:#?}", self.seen);
    }

    /// Every line that came within `d`.
    pub fn drain(&mut self, d: Duration) {
        let start = Instant::now();
        while start.elapsed() < d {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100))
                && let Ok(v) = serde_json::from_str(&line)
            {
                self.seen.push(v);
            }
        }
    }

    /// SIGTERM; the exit code.
    pub fn term(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -TERM {pid}");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = self.child.kill();
                panic!("watch did not end within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
