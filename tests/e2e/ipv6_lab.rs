//! IPv6 in the lab: a SYN scan and host discovery over IPv6 against Nmap in the same run, in two network
//! namespaces made by this test (addresses from 2001:2::/48, RFC 5180's benchmarking block; no route out).
#![allow(clippy::unwrap_used)]

use portolan_testkit::require_root_or_skip;
use portolan_tests::{portolan_bin, run_limited};
use std::process::{Child, Command};
use std::time::Duration;

/// Two namespaces joined by a veth pair with IPv6 on; removed on drop, whatever happened.
struct V6Lab {
    a: String,
    b: String,
    server: Option<Child>,
}

impl V6Lab {
    fn start() -> V6Lab {
        let tag = std::process::id();
        let lab = V6Lab { a: format!("pv6s{tag}"), b: format!("pv6t{tag}"), server: None };
        let run = |args: &[&str]| {
            let st = Command::new("ip").args(args).status().unwrap();
            assert!(st.success(), "ip {args:?}");
        };
        run(&["netns", "add", &lab.a]);
        run(&["netns", "add", &lab.b]);
        run(&["link", "add", "v6s", "netns", &lab.a, "type", "veth", "peer", "name", "v6t", "netns", &lab.b]);
        for (ns, dev, addr) in [(&lab.a, "v6s", "2001:2::1/64"), (&lab.b, "v6t", "2001:2::2/64")] {
            run(&["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0"]);
            run(&["netns", "exec", ns, "sysctl", "-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=0")]);
            run(&["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
            run(&["netns", "exec", ns, "ip", "addr", "add", addr, "dev", dev, "nodad"]);
            run(&["netns", "exec", ns, "ip", "link", "set", dev, "up"]);
        }
        lab
    }

    fn listen(&mut self, port: u16) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.b, "python3", "-c"])
            .arg(format!(
                "import socket,time\ns=socket.socket(socket.AF_INET6)\ns.bind(('2001:2::2',{port}))\ns.listen(64)\ntime.sleep(120)"
            ))
            .spawn()
            .unwrap();
        self.server = Some(child);
        std::thread::sleep(Duration::from_millis(500));
    }

    fn run(&self, program: &str, args: &[&str]) -> String {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.a, program]).args(args);
        let (out, _) = run_limited(&mut cmd, Duration::from_secs(120));
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for V6Lab {
    fn drop(&mut self) {
        if let Some(c) = &mut self.server {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The port table and the "Host is up" line, which must agree with Nmap's word for word (service names
/// aside: without --datadir ours come from IANA's registry).
fn essentials(normal: &str) -> Vec<String> {
    normal
        .lines()
        .filter(|l| l.contains("/tcp") || l.starts_with("Host is up") || l.contains("host up"))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if l.contains("/tcp") {
                // PORT STATE SERVICE REASON...: drop the service column.
                format!("{} {} {}", w[0], w[1], w[3..].join(" "))
            } else if l.starts_with("Host is up") {
                // The latency differs run to run; the reason must not.
                l.split(" (").next().unwrap_or(l).to_owned()
            } else {
                l.split(" scanned in").next().unwrap_or(l).replace("Nmap done", "done").replace("Portolan done", "done")
            }
        })
        .collect()
}

#[test]
fn ipv6_syn_scan_and_discovery_match_nmap() {
    if !require_root_or_skip() {
        return;
    }
    let bin = portolan_bin();
    let bin = bin.to_str().unwrap();
    let mut lab = V6Lab::start();
    lab.listen(8080);
    let ports = "20-25,80,8080";
    let ours = lab.run(bin, &["-6", "-sS", "-p", ports, "--reason", "-n", "--no-history", "2001:2::2"]);
    let theirs = lab.run("nmap", &["-6", "-sS", "-p", ports, "--reason", "-n", "2001:2::2"]);
    assert!(ours.contains("8080/tcp open"), "{ours}");
    assert_eq!(essentials(&ours), essentials(&theirs), "ours:\n{ours}\nnmap:\n{theirs}");
    assert!(ours.contains("received nd-response"), "{ours}");

    // Discovery: one live address, one dead one on the same link.
    let ours = lab.run(bin, &["-6", "-sn", "-n", "--no-history", "2001:2::2", "2001:2::3"]);
    let theirs = lab.run("nmap", &["-6", "-sn", "-n", "2001:2::2", "2001:2::3"]);
    assert_eq!(essentials(&ours), essentials(&theirs), "ours:\n{ours}\nnmap:\n{theirs}");
    assert!(ours.contains("1 host up"), "{ours}");
}
