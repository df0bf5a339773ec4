//! Command line: clap definitions and the non-interactive subcommands.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::domain::classify::{Classification, ExplainJson, classify};
use crate::domain::image::ImageRef;

#[derive(Debug, Parser)]
#[command(
    name = "pulltui",
    version,
    about = "See, explain and fix Kubernetes image-pull failures",
    long_about = "pulltui shows the pods that cannot pull their images, explains why each pull \
                  fails (network, DNS, TLS, plain-HTTP registry, credentials, missing image, ...), \
                  and fixes the common causes."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify pull-error messages: one as an argument, or one per line on stdin.
    Explain {
        /// The message (kubelet event or pod status). Reads stdin when absent.
        message: Option<String>,
        /// The waiting or event reason, when known (e.g. ErrImagePull).
        #[arg(long)]
        reason: Option<String>,
        /// One JSON object per message, in input order.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Explain {
            message,
            reason,
            json,
        }) => explain(message, reason.as_deref(), json),
        None => {
            eprintln!(
                "pulltui: the interactive console is not built yet; try `pulltui explain --help`"
            );
            ExitCode::from(2)
        }
    }
}

fn explain(message: Option<String>, reason: Option<&str>, json: bool) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let colour = !json && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let result = match message {
        Some(m) => emit(&mut out, &m, reason, json, colour),
        None => {
            let stdin = io::stdin();
            let mut first = true;
            let mut res = Ok(());
            for line in stdin.lock().lines() {
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                };
                if !json && !first {
                    let _ = writeln!(out);
                }
                first = false;
                if let Err(e) = emit(&mut out, &line, reason, json, colour) {
                    res = Err(e);
                    break;
                }
            }
            res
        }
    };
    match result.and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui explain: {e}");
            ExitCode::from(2)
        }
    }
}

fn emit(
    out: &mut impl Write,
    message: &str,
    reason: Option<&str>,
    json: bool,
    colour: bool,
) -> io::Result<()> {
    let c = classify(message, reason);
    if json {
        let j = ExplainJson::from(&c);
        serde_json::to_writer(&mut *out, &j).map_err(io::Error::other)?;
        writeln!(out)
    } else {
        write_human(out, message, &c, colour)
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn cause(&self, s: &str) -> String {
        self.wrap("1;4;31", s)
    }
    fn category(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
}

fn write_human(
    out: &mut impl Write,
    message: &str,
    c: &Classification,
    colour: bool,
) -> io::Result<()> {
    let p = Paint { on: colour };
    writeln!(out, "{}  {}", p.category(c.category.id()), c.summary)?;
    if let Some(reg) = &c.registry {
        let kind = match ImageRef::parse(&format!("{reg}/x")) {
            Ok(r) if r.is_docker_hub() => " (Docker Hub)",
            _ => "",
        };
        writeln!(out, "  {} {reg}{kind}", p.dim("registry:"))?;
    }
    if let (Some(ip), Some(scope)) = (c.ip, c.ip_scope) {
        writeln!(out, "  {} {ip} ({scope})", p.dim("dialled: "))?;
    }
    match &c.cause_span {
        Some(span) => {
            // The message with the cause highlighted in place.
            let before = &message[..span.start];
            let after = &message[span.end..];
            writeln!(
                out,
                "  {} {}{}{}",
                p.dim("message: "),
                before,
                p.cause(&c.cause),
                after
            )?;
            if !colour {
                writeln!(out, "  {} {}", p.dim("cause:   "), c.cause)?;
            }
        }
        None => {
            writeln!(out, "  {} {message}", p.dim("message: "))?;
        }
    }
    writeln!(out, "  {} {}", p.dim("why:     "), c.category.explanation())?;
    writeln!(out, "  {}", p.bold("what to do:"))?;
    for f in &c.fixes {
        writeln!(
            out,
            "    - {} {}",
            f.title(),
            p.dim(&format!("[{}]", f.id()))
        )?;
    }
    Ok(())
}
