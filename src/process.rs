//! Process-wide protection of the credentials pulltui holds in memory: a
//! password typed in the console's form or given with `--password-stdin`,
//! and the tokens and pull-secret data read from the cluster. Set once at
//! start, for every command, before anything is read: no core file is
//! written on a crash (`RLIMIT_CORE` 0), and the process is not dumpable
//! (`PR_SET_DUMPABLE` 0), so another process of the same user cannot read
//! its memory either (ptrace, `gcore`, `/proc/PID/mem`); only root can.

use std::io;

/// Turns core dumps and same-user memory access off for this process.
pub fn protect_memory() -> io::Result<()> {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on this process; `none` outlives the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } != 0 {
        return Err(io::Error::last_os_error());
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; PR_SET_DUMPABLE takes plain integers.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_protect_memory_there_is_no_core_dump_and_no_dumpable_process() {
        protect_memory().expect("protect_memory");
        let mut lim = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: reads this process's limit into `lim`.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut lim) }, 0);
        assert_eq!((lim.rlim_cur, lim.rlim_max), (0, 0));
        // SAFETY: reads a flag of this process.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
