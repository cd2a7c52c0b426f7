//! Name resolution for targets and reverse DNS for results, through hickory-resolver with the system
//! configuration (`/etc/resolv.conf`, `/etc/hosts`).

use hickory_resolver::TokioResolver;
use hickory_resolver::config::LookupIpStrategy;
use std::net::IpAddr;
use std::time::Duration;

/// A resolver shared by all lookups of one scan.
#[derive(Debug, Clone)]
pub struct Dns {
    resolver: Option<TokioResolver>,
    /// Why there is no resolver, reported once when a lookup is needed.
    unavailable: Option<String>,
}

impl Dns {
    /// Builds the resolver from the system configuration. Lookups fail quickly when the scanner has no route to
    /// the configured servers (as in the lab), so the scan does not stall on DNS.
    pub fn system(ipv6: bool) -> Dns {
        match TokioResolver::builder_tokio() {
            Ok(mut b) => {
                let o = b.options_mut();
                o.ip_strategy = if ipv6 { LookupIpStrategy::Ipv6Only } else { LookupIpStrategy::Ipv4Only };
                // One attempt with a short timeout per server keeps a dead resolver from dominating small scans.
                o.timeout = Duration::from_secs(2);
                o.attempts = 1;
                Dns { resolver: Some(b.build()), unavailable: None }
            }
            Err(e) => Dns { resolver: None, unavailable: Some(format!("cannot read the system DNS configuration: {e}")) },
        }
    }

    pub fn unavailable_reason(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// Addresses of a name, in the resolver's order.
    pub async fn resolve(&self, name: &str) -> Result<Vec<IpAddr>, String> {
        let r = self.resolver.as_ref().ok_or_else(|| self.unavailable.clone().unwrap_or_default())?;
        let fqdn_like = name.to_owned();
        match r.lookup_ip(fqdn_like).await {
            Ok(l) => Ok(l.iter().collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The first PTR name of an address, without the trailing dot; `None` when there is none or DNS fails.
    pub async fn reverse(&self, ip: IpAddr) -> Option<String> {
        let r = self.resolver.as_ref()?;
        let l = r.reverse_lookup(ip).await.ok()?;
        l.iter().next().map(|ptr| ptr.0.to_utf8().trim_end_matches('.').to_owned()).filter(|s| !s.is_empty())
    }
}
