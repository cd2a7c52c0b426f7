//! Whether the process writing a `running` scan still exists. A scan records its writer (machine name,
//! process id, boot id and the process's start time); a reader that finds the writer gone — the pid no
//! longer exists, or is now another process, or the machine rebooted — knows the scan was interrupted
//! (SIGKILL, crash, power loss) even though no one could mark it so.

use serde::{Deserialize, Serialize};

/// Identity of a writing process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub boot: Option<String>,
    /// Start time of the process (clock ticks since boot on Linux), so a reused pid is not mistaken for it.
    pub start: Option<String>,
}

/// A writer without fresh heartbeats for this long is presumed dead where processes cannot be inspected.
pub(crate) const STALE_SECS: i64 = 300;

impl Writer {
    /// This process.
    pub fn current() -> Writer {
        let pid = i64::from(std::process::id());
        Writer { host: host_name(), pid: Some(pid), boot: boot_id(), start: proc_start(pid) }
    }

    /// `Some(true)` alive, `Some(false)` gone, `None` cannot tell (another machine, or no /proc).
    pub fn alive(&self) -> Option<bool> {
        let me = Writer::current();
        if self.host.is_none() || self.host != me.host {
            return None;
        }
        if me.boot.is_some() && self.boot.is_some() && self.boot != me.boot {
            return Some(false);
        }
        let pid = self.pid?;
        if !std::path::Path::new("/proc/self/stat").exists() {
            return None;
        }
        match proc_start(pid) {
            None => Some(false),
            Some(start) => Some(self.start.as_deref().is_none_or(|s| s == start)),
        }
    }
}

fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|s| !s.is_empty())
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_owned())
}

/// Field 22 of `/proc/PID/stat` (after the parenthesised command name, which may contain spaces).
fn proc_start(pid: i64) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3 (state); field 22 is the 20th from here.
    rest.split_whitespace().nth(19).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_child_is_not() {
        let me = Writer::current();
        if me.boot.is_none() {
            eprintln!("skipped: no /proc on this system");
            return;
        }
        assert_eq!(me.alive(), Some(true));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        let w = Writer { pid: Some(pid), start: proc_start(pid), ..Writer::current() };
        child.wait().unwrap();
        assert_eq!(w.alive(), Some(false));
        // Same pid, different start time: a reused pid is not our writer.
        let reused = Writer { start: Some("1".into()), ..Writer::current() };
        assert_eq!(reused.alive(), Some(false));
        let elsewhere = Writer { host: Some("another-machine.invalid".into()), ..Writer::current() };
        assert_eq!(elsewhere.alive(), None);
    }
}
