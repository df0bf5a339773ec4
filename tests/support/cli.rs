//! The `pulltui` binary, run as the tests run it. `Pulltui` builds one
//! invocation — kubeconfig, context, arguments, standard input, environment
//! — with every file it writes (data: the audit log; state: the logs;
//! config; cache) under a directory of its own and no config file, in the
//! style of `tv(&pt).args(..)`:
//!
//! ```ignore
//! let run = Pulltui::new().kubeconfig(h.kubeconfig()).context("admin")
//!     .args(&["check", "--json"]).run();
//! ```
//!
//! `run()` waits for it and returns a `Run`; `command()` and `pty()` hand
//! out the configured process to tests that drive it themselves; `shell()`
//! is the same invocation as a shell command line (the console in tmux:
//! `Tmux::launch`).

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pulltui");

/// Where one invocation writes, under one root: `data` (the audit log,
/// `PULLTUI_DATA_DIR`), `state` (`pulltui.log`, `stderr.log`), `config`
/// and `cache`.
#[derive(Debug, Clone)]
pub struct Dirs(PathBuf);

impl Dirs {
    pub fn new(root: impl Into<PathBuf>) -> Dirs {
        Dirs(root.into())
    }
    pub fn root(&self) -> &Path {
        &self.0
    }
    pub fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    pub fn state(&self) -> PathBuf {
        self.0.join("state")
    }
    pub fn config(&self) -> PathBuf {
        self.0.join("config")
    }
    pub fn cache(&self) -> PathBuf {
        self.0.join("cache")
    }
    /// `pulltui.log`.
    pub fn log(&self) -> PathBuf {
        self.state().join("pulltui").join("pulltui.log")
    }
    /// The log's text (empty when there is none).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }
    /// `audit.jsonl`, one JSON value a line.
    pub fn audit_lines(&self) -> Vec<Value> {
        super::secrets::audit_lines(&self.data())
    }

    /// The variables that put every file of a run under the root.
    fn vars(&self) -> [(&'static str, PathBuf); 5] {
        [
            ("PULLTUI_DATA_DIR", self.data()),
            ("XDG_DATA_HOME", self.data()),
            ("XDG_STATE_HOME", self.state()),
            ("XDG_CONFIG_HOME", self.config()),
            ("XDG_CACHE_HOME", self.cache()),
        ]
    }
}

enum Root {
    /// A temporary directory of the builder's own, gone with it.
    Own(tempfile::TempDir),
    /// The test's directory (it reads what the run wrote).
    At(PathBuf),
}

/// One invocation of the binary; see the module doc.
pub struct Pulltui {
    context: Option<String>,
    args: Vec<OsString>,
    /// `None`: remove the variable.
    env: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    root: Root,
    current_dir: Option<PathBuf>,
    /// The binary by another path (`BIN` when `None`).
    program: Option<PathBuf>,
}

impl Default for Pulltui {
    fn default() -> Self {
        Pulltui::new()
    }
}

impl Pulltui {
    /// No arguments, a temporary directory of its own for every file, no
    /// config file (`PULLTUI_CONFIG` removed), standard input empty.
    /// `KUBECONFIG` is the test's own unless `kubeconfig` sets it.
    pub fn new() -> Pulltui {
        Pulltui {
            context: None,
            args: Vec::new(),
            env: vec![("PULLTUI_CONFIG".into(), None)],
            stdin: None,
            root: Root::Own(tempfile::tempdir().expect("temp dir")),
            current_dir: None,
            program: None,
        }
    }

    pub fn kubeconfig(self, path: impl AsRef<Path>) -> Self {
        self.env("KUBECONFIG", path.as_ref())
    }

    /// `--context NAME`, first on the command line.
    pub fn context(mut self, name: &str) -> Self {
        self.context = Some(name.to_string());
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    /// Fed to standard input (`run`; written from another thread, so a
    /// big input cannot block on a full output pipe).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// `NO_COLOR=1`: the console's screens read as plain text.
    pub fn no_color(self) -> Self {
        self.env("NO_COLOR", "1")
    }

    /// No proxy from the test's environment (the registries are on loopback).
    pub fn no_proxy(self) -> Self {
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]
            .into_iter()
            .fold(self, |p, k| p.env_remove(k))
    }

    /// Every file under `root` (see `Dirs`) instead of a directory of its own.
    pub fn dir(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Root::At(root.into());
        self
    }

    /// The working directory (the test's own by default).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// The binary run by another path: a link to it (kubectl runs a plugin
    /// as `kubectl-pulltui`), or a copy (the one a package installed).
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    fn bin(&self) -> &Path {
        self.program.as_deref().unwrap_or(Path::new(BIN))
    }

    /// Where the invocation writes.
    pub fn dirs(&self) -> Dirs {
        Dirs::new(match &self.root {
            Root::Own(t) => t.path().to_path_buf(),
            Root::At(p) => p.clone(),
        })
    }

    /// The whole command line after the binary.
    fn argv(&self) -> Vec<OsString> {
        let mut argv: Vec<OsString> = Vec::new();
        if let Some(c) = &self.context {
            argv.extend(["--context".into(), c.into()]);
        }
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// Every variable set (in order; a later one wins) or removed.
    fn vars(&self) -> Vec<(OsString, Option<OsString>)> {
        let mut vars: Vec<(OsString, Option<OsString>)> = self
            .dirs()
            .vars()
            .into_iter()
            .map(|(k, v)| (k.into(), Some(v.into_os_string())))
            .collect();
        vars.extend(self.env.iter().cloned());
        vars
    }

    /// The configured process, standard input empty; the caller spawns it.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(self.bin());
        cmd.args(self.argv()).stdin(Stdio::null());
        for (k, v) in self.vars() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(d) = &self.current_dir {
            cmd.current_dir(d);
        }
        cmd
    }

    /// Runs it to the end with `stdin` fed in; what it printed.
    pub fn run(&self) -> Run {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("running pulltui {:?}: {e}", self.argv()));
        let writer = child.stdin.take().map(|mut input| {
            let data = self.stdin.clone().unwrap_or_default();
            // A pulltui that exits before reading it all is the test's to judge.
            std::thread::spawn(move || {
                let _ = input.write_all(&data);
            })
        });
        let out = child.wait_with_output().expect("pulltui ends");
        if let Some(w) = writer {
            let _ = w.join();
        }
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The invocation as one shell command (`env NAME=VALUE … pulltui ARGS`):
    /// for a shell in tmux, or inside a `sh -c '…'` of the test's.
    pub fn shell(&self) -> String {
        let vars = self.vars();
        // The last setting of each variable is the one that counts.
        let last: Vec<_> = vars
            .iter()
            .enumerate()
            .filter(|(i, (k, _))| !vars[i + 1..].iter().any(|(later, _)| later == k))
            .map(|(_, kv)| kv)
            .collect();
        let mut words = vec!["env".to_string()];
        // `env` takes its options (`-u NAME`) before the assignments.
        for (k, _) in last.iter().filter(|(_, v)| v.is_none()) {
            words.push(format!("-u {}", k.to_string_lossy()));
        }
        for (k, v) in last.iter().filter_map(|(k, v)| Some((k, v.as_ref()?))) {
            let (k, v) = (k.to_string_lossy(), v.to_string_lossy());
            words.push(format!("{k}={}", quote(&v)));
        }
        words.push(quote(&self.bin().to_string_lossy()));
        words.extend(self.argv().iter().map(|a| quote(&a.to_string_lossy())));
        words.join(" ")
    }

    /// The invocation in a pseudo-terminal (util-linux `script`), after the
    /// shell commands `before` (say, `stty cols 120 rows 40;`); the caller
    /// sets up its pipes and spawns it.
    pub fn pty(&self, before: &str) -> Command {
        let mut cmd = Command::new("script");
        cmd.args(["-qfec", &format!("{before} {}", self.shell()), "/dev/null"]);
        if let Some(d) = &self.current_dir {
            cmd.current_dir(d);
        }
        cmd
    }
}

/// `s` as one shell word: as it is when it needs no quoting, else in single
/// quotes.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:,=@+%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The fields of every entry of `check --json` (product.md); newer fields
/// (`facet`, …) come on top.
pub const CHECK_FIELDS: [&str; 10] = [
    "namespace",
    "name",
    "workload",
    "container",
    "image",
    "registry",
    "reason",
    "category",
    "message",
    "since",
];

/// What one run of the binary printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output as one JSON value; panics with the whole run when it
    /// is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("printed no JSON ({e}): {self:?}"))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
