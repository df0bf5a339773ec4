//! The files pulltui writes for its user alone: `pulltui.log`, `stderr.log`
//! (a credential plugin's output), `audit.jsonl` and snapshots. On a shared
//! machine (a bastion) they must not be readable by others, whatever the
//! umask: every one is created with mode 0600 through this module, and a
//! file of ours found with wider bits (written by an older pulltui) is
//! narrowed to 0600 when it is opened again. Directories pulltui creates
//! for them are 0700; existing directories are left as they are.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Owner read and write, nothing for group and others.
pub const MODE: u32 = 0o600;
/// Owner only, for the directories pulltui creates.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and its missing parents with mode 0700 (existing ones are
/// left alone).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Narrows an open file to 0600 when group or others have any bit on it.
fn narrow(file: &File) -> io::Result<()> {
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700 | MODE))?;
    }
    Ok(())
}

/// Opens `path` for appending, creating it (and its directory) private.
/// An existing file with wider bits is narrowed to 0600; one that cannot be
/// narrowed (not ours) is refused rather than written to.
pub fn append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(MODE)
        .open(path)?;
    narrow(&file).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: cannot make it private (0600): {e}", path.display()),
        )
    })?;
    Ok(file)
}

/// Creates a new file at `path` (never an existing one: `O_EXCL`), private.
pub fn create_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .open(path)?;
    // The umask can only take bits away; this is for a umask of 0 and
    // filesystems that ignore the mode.
    narrow(&file)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_and_its_directory_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a/b/log");
        append(&p).expect("append");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        let q = dir.path().join("a/new");
        create_new(&q).expect("create");
        assert_eq!(mode(&q), 0o600);
        assert!(create_new(&q).is_err(), "never opens an existing file");
    }

    #[test]
    fn an_existing_wider_file_is_narrowed_and_keeps_its_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        std::fs::write(&p, "old\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut f = append(&p).expect("append");
        io::Write::write_all(&mut f, b"new\n").expect("write");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "old\nnew\n");
    }
}
