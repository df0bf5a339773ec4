//! `pulltui help [TOPIC]` and `pulltui man [COMMAND]`: the help topics
//! (`categories`: the failure taxonomy with its typical evidence and fixes,
//! printed from the taxonomy table the console reads; or a subcommand's
//! help, as clap's own `help` subcommand gave it) and the man pages,
//! generated from the clap definitions by `clap_mangen`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::CommandFactory;

use super::Cli;
use crate::domain::classify::{Category, fixes_for};

/// The topics that are not subcommands.
pub const TOPICS: [(&str, &str); 1] = [(
    "categories",
    "why a pull fails: every category id, its meaning, typical evidence and fixes",
)];

/// The command with its subcommands' binary names set ("pulltui check").
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd
}

/// The subcommands a user can ask about (not `help` itself).
fn subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn emit(f: impl FnOnce(&mut dyn Write) -> io::Result<()>, what: &str) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match f(&mut out).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pulltui {what}: {e}");
            ExitCode::from(2)
        }
    }
}

/// `pulltui help [TOPIC]`.
pub fn run(topic: Option<&str>) -> ExitCode {
    let mut cmd = command();
    match topic {
        None => emit(
            |out| {
                write!(out, "{}", cmd.render_long_help())?;
                writeln!(out, "\nHelp topics (pulltui help TOPIC):")?;
                for (t, what) in TOPICS {
                    writeln!(out, "  {t:<12} {what}")?;
                }
                writeln!(out, "  {:<12} that subcommand's flags", "COMMAND")
            },
            "help",
        ),
        Some("categories") => emit(categories, "help"),
        Some(name) => match cmd.find_subcommand_mut(name) {
            Some(sub) if name != "help" => {
                let text = sub.render_long_help();
                emit(|out| write!(out, "{text}"), "help")
            }
            _ => {
                let names: Vec<&str> = subcommands(&cmd).map(|s| s.get_name()).collect();
                eprintln!(
                    "pulltui help: no topic {:?}; topics: {}; commands: {}",
                    crate::domain::inert::inert(name),
                    TOPICS.map(|(t, _)| t).join(", "),
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        },
    }
}

/// Words of `text` in lines of at most `width` columns, each after `indent`.
fn wrap(
    out: &mut dyn Write,
    indent: &str,
    first: &str,
    text: &str,
    width: usize,
) -> io::Result<()> {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            writeln!(out, "{line}")?;
            line = indent.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

/// `pulltui help categories`: the taxonomy (`domain::taxonomy`), each
/// category's typical evidence and its fixes (`domain::fixes`), the same
/// table the console's detail explains a failure from.
fn categories(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "pulltui reads each failing pull's innermost cause and files it under one category.\n\
         The ids are stable (check --json, explain --json, snapshots, the config).\n"
    )?;
    for c in Category::ALL {
        writeln!(out, "{}", c.id())?;
        wrap(out, "    ", "    ", c.explanation(), 80)?;
        for (i, (reason, message)) in c.typical_evidence().iter().enumerate() {
            let lead = if i == 0 {
                "  evidence: "
            } else {
                "            "
            };
            wrap(
                out,
                "              ",
                lead,
                &format!("{reason}: {message}"),
                80,
            )?;
        }
        for (i, f) in fixes_for(c, false, None, None).iter().enumerate() {
            let lead = if i == 0 {
                "  fixes:    "
            } else {
                "            "
            };
            wrap(
                out,
                "              ",
                lead,
                &format!("{}: {}", f.id(), f.title()),
                80,
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "Classify a message yourself: pulltui explain 'MESSAGE' (--json for scripts);\n\
         the ids alone: pulltui explain --categories."
    )
}

/// `pulltui man --list`: the pages `pulltui man [COMMAND]` prints.
pub fn list() -> ExitCode {
    let cmd = command();
    emit(
        |out| {
            writeln!(out, "pulltui")?;
            for s in subcommands(&cmd) {
                writeln!(out, "pulltui-{}", s.get_name())?;
            }
            Ok(())
        },
        "man",
    )
}

/// `pulltui man [COMMAND]`: the man page (roff) of pulltui or of one of
/// its commands, on stdout.
pub fn man(page: Option<&str>) -> ExitCode {
    let cmd = command();
    let page = page.map(|p| p.strip_prefix("pulltui-").unwrap_or(p));
    match page {
        None | Some("pulltui") => emit(
            |out| {
                clap_mangen::Man::new(cmd.clone()).render(out)?;
                man_categories(out)?;
                man_see_also(out, &cmd)
            },
            "man",
        ),
        Some(name) => match subcommands(&cmd).find(|s| s.get_name() == name) {
            Some(sub) => {
                let sub = sub.clone();
                emit(
                    |out| {
                        clap_mangen::Man::new(sub)
                            .title(format!("pulltui-{name}"))
                            .render(out)?;
                        writeln!(out, ".SH \"SEE ALSO\"\n\\fBpulltui\\fR(1)")
                    },
                    "man",
                )
            }
            None => {
                eprintln!(
                    "pulltui man: no command {:?} (pulltui man --list names the pages)",
                    crate::domain::inert::inert(name)
                );
                ExitCode::from(2)
            }
        },
    }
}

/// Text for roff: backslashes escaped, a leading dot or quote made inert.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The man page's FAILURE CATEGORIES section, from the taxonomy table.
fn man_categories(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, ".SH \"FAILURE CATEGORIES\"")?;
    writeln!(
        out,
        "Each failing pull is filed under one category (stable ids). \
         \\fBpulltui help categories\\fR adds typical evidence and fixes."
    )?;
    for c in Category::ALL {
        writeln!(
            out,
            ".TP\n\\fB{}\\fR\n{}",
            roff(c.id()),
            roff(c.explanation())
        )?;
    }
    Ok(())
}

fn man_see_also(out: &mut dyn Write, cmd: &clap::Command) -> io::Result<()> {
    let pages: Vec<String> = subcommands(cmd)
        .map(|s| format!("\\fBpulltui\\-{}\\fR(1)", roff(s.get_name())))
        .collect();
    writeln!(
        out,
        ".SH \"SEE ALSO\"\n{}, \\fBkubectl\\fR(1)",
        pages.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_text_cannot_start_a_request() {
        assert_eq!(roff(".SH x"), "\\&.SH x");
        assert_eq!(roff("a\\b-c"), "a\\eb\\-c");
    }
}
