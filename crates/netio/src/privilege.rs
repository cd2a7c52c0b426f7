//! Who may send raw packets: root, or (Linux) a process holding CAP_NET_RAW.
//!
//! Detection reads the effective uid and, on Linux, the effective capability set (`CapEff` in
//! `/proc/self/status`). Root whose capabilities were dropped (containers, `setpriv`) is *not* privileged:
//! the kernel checks the capability, not the uid.

/// What this process may do with raw sockets and captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privileges {
    /// Effective uid 0.
    pub root: bool,
    /// CAP_NET_RAW (bit 13) in the effective set: raw sockets and packet capture.
    pub net_raw: bool,
    /// CAP_NET_ADMIN (bit 12): promiscuous mode, large capture buffers beyond the limit, SO_BINDTODEVICE on
    /// older kernels.
    pub net_admin: bool,
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

impl Privileges {
    /// Whether raw sends and captures can be expected to work.
    pub fn can_raw(&self) -> bool {
        if cfg!(target_os = "linux") { self.net_raw } else { self.root }
    }

    /// `None` when privileged; otherwise a sentence saying what is missing and how to fix it.
    pub fn explain(&self) -> Option<String> {
        let what = self.missing()?;
        Some(format!("raw-packet scans need privileges: {what}. {}", fix_hint()))
    }

    /// `None` when privileged; otherwise what is missing, without the fix (for messages that add it once).
    pub fn missing(&self) -> Option<String> {
        if self.can_raw() {
            return None;
        }
        let what = if cfg!(target_os = "linux") {
            if self.root {
                "running as root but without CAP_NET_RAW (capabilities were dropped)".to_string()
            } else {
                "not root and without CAP_NET_RAW".to_string()
            }
        } else {
            "not running as root".to_string()
        };
        Some(what)
    }
}

/// How to grant raw-packet access on this platform, naming the running binary where it matters.
pub fn fix_hint() -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "<binary>".to_string());
    if cfg!(target_os = "linux") {
        format!("Run as root, or grant the capabilities once: sudo setcap cap_net_raw,cap_net_admin+eip {exe}")
    } else if cfg!(target_os = "macos") {
        "Run as root, or give your user read/write access to /dev/bpf* (the ChmodBPF approach)".to_string()
    } else if cfg!(target_os = "windows") {
        "Install Npcap and run as Administrator (or install Npcap without its admin-only restriction)"
            .to_string()
    } else {
        "Run as root".to_string()
    }
}

/// Parse the hexadecimal `CapEff:` line of a `/proc/<pid>/status` text.
pub fn cap_eff_from_status(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

fn has(caps: u64, bit: u32) -> bool {
    caps & (1u64 << bit) != 0
}

/// The privileges of this process.
#[cfg(target_os = "linux")]
pub fn raw_privileges() -> Privileges {
    let root = rustix::process::geteuid().is_root();
    match std::fs::read_to_string("/proc/self/status").ok().as_deref().and_then(cap_eff_from_status) {
        Some(c) => Privileges { root, net_raw: has(c, CAP_NET_RAW), net_admin: has(c, CAP_NET_ADMIN) },
        // No /proc: assume the classic model, where root holds every capability.
        None => Privileges { root, net_raw: root, net_admin: root },
    }
}

/// The privileges of this process. macOS: root (or BPF device access, which this does not detect);
/// Windows: Npcap decides at open time, so this reports what it can and `LiveIo::open` gives the verdict.
#[cfg(not(target_os = "linux"))]
pub fn raw_privileges() -> Privileges {
    let _ = (has, CAP_NET_ADMIN, CAP_NET_RAW);
    #[cfg(unix)]
    let root = rustix::process::geteuid().is_root();
    #[cfg(not(unix))]
    let root = false;
    Privileges { root, net_raw: root, net_admin: root }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_eff_parsing() {
        let text = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\n";
        let c = cap_eff_from_status(text).unwrap();
        assert!(has(c, CAP_NET_RAW) && has(c, CAP_NET_ADMIN));
        let c = cap_eff_from_status("CapEff:\t0000000000002000\n").unwrap();
        assert!(has(c, CAP_NET_RAW) && !has(c, CAP_NET_ADMIN));
        assert_eq!(cap_eff_from_status("CapEff:\tzz\n"), None);
        assert_eq!(cap_eff_from_status("Name: x\n"), None);
    }

    #[test]
    fn explain_only_when_unprivileged() {
        let p = Privileges { root: false, net_raw: true, net_admin: false };
        assert!(p.explain().is_none() || !cfg!(target_os = "linux"));
        let p = Privileges { root: true, net_raw: false, net_admin: false };
        if cfg!(target_os = "linux") {
            let m = p.explain().unwrap();
            assert!(m.contains("setcap cap_net_raw,cap_net_admin+eip"), "{m}");
            assert!(m.contains("dropped"), "{m}");
        }
    }

    /// Agrees with the kernel: this process's own status file.
    #[cfg(target_os = "linux")]
    #[test]
    fn matches_this_process() {
        let p = raw_privileges();
        assert_eq!(p.root, rustix::process::geteuid().is_root());
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let c = cap_eff_from_status(&status).unwrap();
        assert_eq!(p.net_raw, has(c, CAP_NET_RAW));
    }
}
