//! Thin wrappers over `ip`, `nft` and setns(2): run a command and turn failure into a `LabError` that names it,
//! run a closure on a thread that lives in a namespace, list and remove lab namespaces.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};

use crate::LabError;

/// Every namespace a lab creates is called `pl-<pid base36>-<lab counter base36>-<scenario name>`, so a later run
/// can tell from the name alone whether its owner is still alive.
pub(crate) const PREFIX: &str = "pl-";

pub(crate) fn run(program: &str, args: &[&str]) -> Result<String, LabError> {
    run_with_stdin(program, args, None)
}

pub(crate) fn run_with_stdin(
    program: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, LabError> {
    let cmdline = || format!("{program} {}", args.join(" "));
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| LabError::Io {
            what: format!("starting `{}`", cmdline()),
            source,
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|source| LabError::Io {
                what: format!("writing to `{}`", cmdline()),
                source,
            })?;
    }
    let out = child.wait_with_output().map_err(|source| LabError::Io {
        what: format!("waiting for `{}`", cmdline()),
        source,
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(LabError::Command {
            cmd: cmdline(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Run `f` on a new thread that has joined network namespace `netns` (a name under /run/netns). Sockets and
/// TAP devices it creates belong to that namespace for their whole life, wherever they are used later.
pub(crate) fn in_netns<T: Send + 'static>(
    netns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, LabError> {
    let path = format!("/run/netns/{netns}");
    let file = File::open(&path).map_err(|source| LabError::Io {
        what: format!("opening {path}"),
        source,
    })?;
    let handle = std::thread::Builder::new()
        .name(format!("netns-{netns}"))
        .spawn(move || -> Result<T, std::io::Error> {
            move_into_link_name_space(file.as_fd(), Some(LinkNameSpaceType::Network))?;
            Ok(f())
        })
        .map_err(|source| LabError::Io {
            what: "spawning a namespace thread".into(),
            source,
        })?;
    match handle.join() {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(LabError::Io {
            what: format!("entering namespace {netns} (setns)"),
            source,
        }),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Names of all network namespaces under /run/netns.
pub(crate) fn list() -> Result<Vec<String>, LabError> {
    let out = run("ip", &["netns", "list"])?;
    // Lines look like "name (id: 3)" or just "name".
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

/// The pid encoded in a lab namespace name, if it is one.
pub(crate) fn owner_pid(netns: &str) -> Option<u32> {
    // Only the whole shape `pl-<pid>-<counter>-<name>` is a lab's: another tool's `pl-win-1234` once read as
    // owner "win" (base 36), dead, and lost its namespace and processes to this cleanup.
    let rest = netns.strip_prefix(PREFIX)?;
    let mut parts = rest.splitn(3, '-');
    let (pid36, counter36, name) = (parts.next()?, parts.next()?, parts.next()?);
    let base36 = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if !base36(counter36) || name.is_empty() {
        return None;
    }
    u32::from_str_radix(pid36, 36).ok()
}

pub(crate) fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Kill (SIGKILL) every process living in `netns`: daemons the lab started and anything they forked.
pub(crate) fn kill_all_in(netns: &str) {
    let Ok(out) = run("ip", &["netns", "pids", netns]) else {
        return;
    };
    let me = std::process::id();
    for pid in out.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        // The test process itself is never in a lab namespace (only its threads are), but be sure.
        if pid as u32 == me {
            continue;
        }
        if let Some(p) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
    }
}

/// Delete a namespace: kill what runs in it, then remove it (its interfaces and nft tables go with it).
pub(crate) fn delete(netns: &str) -> Result<(), LabError> {
    kill_all_in(netns);
    run("ip", &["netns", "del", netns]).map(|_| ())
}

/// Remove the namespaces of earlier lab runs whose owning process is dead. Returns what was removed.
pub fn cleanup_stale() -> Result<Vec<String>, LabError> {
    let mut removed = Vec::new();
    for ns in list()? {
        if let Some(pid) = owner_pid(&ns)
            && !pid_alive(pid)
        {
            match delete(&ns) {
                Ok(()) => removed.push(ns),
                // Another lab starting at the same moment may have removed it first.
                Err(_) if !std::path::Path::new(&format!("/run/netns/{ns}")).exists() => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

pub(crate) fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_the_pid() {
        let name = format!("{PREFIX}{}-{}-scanner", base36(4_194_303), base36(7));
        assert_eq!(owner_pid(&name), Some(4_194_303));
        assert_eq!(owner_pid("other-ns"), None);
        // Not a lab's: too few parts.
        assert_eq!(owner_pid("pl-win-14783"), None);
        assert_eq!(owner_pid("pl-1a-2b-"), None);
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
