//! The console in a real terminal: one tmux server per test (own socket,
//! killed on drop) running a clean shell, the binary started in it
//! (`launch`), keys, screen captures (plain, and the text shown in reverse
//! video), waiting for a screen.

use std::cell::RefCell;
use std::process::Command;
use std::time::{Duration, Instant};

use super::cli::Pulltui;

pub struct Tmux {
    socket: String,
    /// What was launched in the session: their directories live as long
    /// as the session.
    launched: RefCell<Vec<Pulltui>>,
}

impl Tmux {
    pub fn start(name: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("pulltui-e2e-{name}-{}", std::process::id());
        let t = Tmux {
            socket,
            launched: RefCell::default(),
        };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm-256color PS1='e2e$ ' bash --norc --noprofile",
            ])
            .status
            .success();
        assert!(ok, "tmux new-session failed (is tmux installed?)");
        // Pass Escape on at once: tmux would otherwise hold it to see whether
        // an escape sequence follows.
        let _ = t.cmd(&["set-option", "-s", "escape-time", "0"]);
        t
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux (install it: apt-get install -y tmux)")
    }

    /// Sends tmux key names. An Escape is followed by a pause before the
    /// next key: a terminal reads ESC and a key that arrives with it as one
    /// Alt-chord (ESC then `q` is Alt-q, not "close, then quit").
    pub fn send(&self, keys: &[&str]) {
        let literal = keys.first() == Some(&"-l");
        let mut batch: Vec<&str> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            batch.push(k);
            let escape = !literal && *k == "Escape";
            if escape || i + 1 == keys.len() {
                let mut args = vec!["send-keys", "-t", "e2e"];
                args.extend_from_slice(&batch);
                assert!(self.cmd(&args).status.success(), "tmux send-keys {keys:?}");
                batch.clear();
                if escape {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
    }

    /// Types `text` literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.send(&["-l", text]);
    }

    pub fn type_line(&self, line: &str) {
        self.type_text(line);
        self.send(&["Enter"]);
    }

    /// Starts `pt` at the shell, its exit status printed after it
    /// (`exit_line`). The session keeps `pt`, and so its directory.
    pub fn launch(&self, pt: Pulltui) {
        self.launch_in(pt, |cmd| format!("{cmd}; echo PULLTUI-EXIT=$?"));
    }

    /// Types the shell line `line` makes of `pt`'s command (a `sh -c` that
    /// records the pid, a redirection, its own `echo PULLTUI-EXIT=$?`).
    pub fn launch_in(&self, pt: Pulltui, line: impl FnOnce(&str) -> String) {
        self.type_line(&line(&pt.shell()));
        self.launched.borrow_mut().push(pt);
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// The capture with escape sequences.
    pub fn capture_escaped(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-e", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// The text shown in reverse video below the first line (the status
    /// bar is reverse too), runs on consecutive lines joined by a space.
    pub fn highlighted(&self) -> String {
        reverse_text(&self.capture_escaped())
    }

    /// The `c` form once its search for secrets to reuse has answered. When
    /// some cover the registry the form opens on that choice ("use", ←/→):
    /// three Tabs reach the username, where a new credential is typed.
    /// Returns the screen with the answer.
    pub fn credential_form_at_username(&self, timeout: Duration) -> String {
        let s = self.wait("the credential form's offers", timeout, |s| {
            s.contains("existing secrets cover this registry")
                || s.contains("no readable secret covers this registry")
                || s.contains("cannot look for secrets to reuse")
        });
        if s.contains("existing secrets cover this registry") {
            for _ in 0..3 {
                self.send(&["Tab"]);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        s
    }

    /// Waits until `pred` holds for the screen; panics with the screen otherwise.
    pub fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// Text in reverse video (SGR 7) in a `capture-pane -e` dump, skipping the
/// first line.
pub fn reverse_text(dump: &str) -> String {
    let mut out = String::new();
    for line in dump.lines().skip(1) {
        let mut reverse = false;
        let mut chars = line.chars().peekable();
        let mut run = String::new();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' && chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                let mut fin = ' ';
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() {
                        fin = p;
                        break;
                    }
                    params.push(p);
                }
                if fin == 'm' {
                    for p in params.split(';') {
                        match p {
                            "" | "0" | "27" => reverse = false,
                            "7" => reverse = true,
                            _ => {}
                        }
                    }
                }
                continue;
            }
            if reverse {
                run.push(c);
            }
        }
        let run = run.trim();
        if !run.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(run);
        }
    }
    out
}

pub fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but tmux is missing: install it (apt-get install -y tmux)"
        );
        eprintln!("SKIPPED: tmux not installed");
    }
    ok
}

/// The line the shell prints after pulltui exits (not the typed command).
pub fn exit_line(screen: &str) -> Option<&str> {
    screen
        .lines()
        .map(str::trim_end)
        .find(|l| l.starts_with("PULLTUI-EXIT=") && !l.contains('$'))
}
