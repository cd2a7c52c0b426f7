//! Running match lines on a response, and choosing which probes a port gets.

use portolan_model::Service;

use super::{MatchRule, Probe, ProbeDb, ProbeProtocol};

/// What a match line made of a response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceMatch {
    pub service: String,
    /// A `softmatch`: the service is known, the product is not; later probes are narrowed to it.
    pub soft: bool,
    pub product: Option<String>,
    pub version: Option<String>,
    pub info: Option<String>,
    pub hostname: Option<String>,
    pub os_type: Option<String>,
    pub device_type: Option<String>,
    pub cpe: Vec<String>,
    /// The probe whose match line hit (for a fallback hit, the fallback probe, not the one sent).
    pub matched_probe: String,
    /// 1-based line of the match line in its file.
    pub line: usize,
}

impl ServiceMatch {
    /// As `portolan_model::Service`: `method="probed"`, `conf="10"`, as Nmap records a probe match.
    /// `tunnel` is `Some("ssl")` when the response came through TLS.
    pub fn to_service(&self, tunnel: Option<&str>) -> Service {
        Service {
            name: self.service.clone(),
            method: "probed".into(),
            conf: 10,
            product: self.product.clone(),
            version: self.version.clone(),
            extra_info: self.info.clone(),
            tunnel: tunnel.map(str::to_owned),
            os_type: self.os_type.clone(),
            device_type: self.device_type.clone(),
            hostname: self.hostname.clone(),
            cpe: self.cpe.clone(),
            fingerprint: None,
        }
    }
}

fn text(bytes: Vec<u8>) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A match reports at most one CPE per part (`a` application, `h` hardware, `o` operating system), the
/// last one its line gives for that part, in the order a, h, o: that is what Nmap 7.93 reports for a
/// line with two `o` names (checked by the OpenSSH case of `tests/probes_match.rs`). Each field holds
/// what follows `cpe:/`; the name is reported whole.
fn one_cpe_per_part(rendered: impl Iterator<Item = String>) -> Vec<String> {
    let mut parts: [Option<String>; 3] = [None, None, None];
    let mut other = Vec::new();
    for c in rendered {
        match c.as_bytes().first() {
            Some(b'a') => parts[0] = Some(c),
            Some(b'h') => parts[1] = Some(c),
            Some(b'o') => parts[2] = Some(c),
            _ => other.push(c),
        }
    }
    parts
        .into_iter()
        .flatten()
        .chain(other)
        .map(|c| format!("cpe:/{c}"))
        .collect()
}

impl MatchRule {
    /// Runs the pattern on `response`; on a hit, fills the version fields. A PCRE2 run-time error (a
    /// match or JIT stack limit hit by a pathological response) counts as no match.
    pub fn apply(&self, response: &[u8], probe_name: &str) -> Option<ServiceMatch> {
        // `captures` allocates fresh match data on every call (about 80 us each), `is_match` reuses
        // pooled data: test first, capture only on a hit (measured by examples/probes_bench.rs).
        if !self.is_match(response) {
            return None;
        }
        let caps = self.regex.captures(response).ok()??;
        let group = |n: u8| caps.get(usize::from(n)).map_or(&b""[..], |m| m.as_bytes());
        let field =
            |t: &Option<super::Template>| t.as_ref().and_then(|t| t.render(group)).and_then(text);
        let t = &self.templates;
        Some(ServiceMatch {
            service: self.service.clone(),
            soft: self.soft,
            product: field(&t.product),
            version: field(&t.version),
            info: field(&t.info),
            hostname: field(&t.hostname),
            os_type: field(&t.os_type),
            device_type: field(&t.device_type),
            cpe: one_cpe_per_part(
                t.cpe
                    .iter()
                    .filter_map(|c| c.render(group))
                    .filter_map(text),
            ),
            matched_probe: probe_name.to_owned(),
            line: self.line,
        })
    }

    /// Whether the pattern matches, without filling anything.
    pub fn is_match(&self, response: &[u8]) -> bool {
        self.regex.is_match(response).unwrap_or(false)
    }
}

impl ProbeDb {
    /// The probes whose match lines judge a response to `probe`, in order: the probe itself, its
    /// `fallback` probes left to right, then (TCP only) the NULL probe, since whatever a server sends
    /// unasked also arrives ahead of any reply. Each probe appears once.
    pub fn match_chain<'a>(&'a self, probe: &'a Probe) -> Vec<&'a Probe> {
        let mut chain: Vec<&'a Probe> = vec![probe];
        for p in probe
            .fallback_ids
            .iter()
            .filter_map(|&id| self.probes.get(id))
        {
            if !chain.iter().any(|c| std::ptr::eq(*c, p)) {
                chain.push(p);
            }
        }
        let null = self
            .probe(ProbeProtocol::Tcp, "NULL")
            .filter(|_| probe.protocol == ProbeProtocol::Tcp)
            .filter(|null| !chain.iter().any(|c| std::ptr::eq(*c, *null)));
        chain.extend(null);
        chain
    }

    /// Judges the response to `probe`: match lines of [`match_chain`](Self::match_chain) in order; the
    /// first hard match wins; failing one, the first softmatch. With `soft_service` (an earlier probe's
    /// softmatch), softmatches of other services are ignored: they cannot narrow further than that one.
    pub fn match_response(
        &self,
        probe: &Probe,
        response: &[u8],
        soft_service: Option<&str>,
    ) -> Option<ServiceMatch> {
        let mut soft: Option<ServiceMatch> = None;
        for p in self.match_chain(probe) {
            for rule in &p.matches {
                if rule.soft {
                    if soft.is_some() || soft_service.is_some_and(|s| s != rule.service) {
                        continue;
                    }
                    soft = rule.apply(response, &p.name);
                } else if let Some(m) = rule.apply(response, &p.name) {
                    return Some(m);
                }
            }
        }
        soft
    }

    /// The probes to send to an open port, in order, for `--version-intensity intensity` (0-9):
    /// the NULL probe first (TCP); then probes whose `ports` (or, inside TLS, `sslports`) list the port,
    /// whatever their rarity; then the rest whose rarity is at most `intensity`, in file order. Probes of
    /// the other protocol are left out, and so are `no-payload` ones (they only hold match lines).
    /// After a softmatch, keep only probes for which [`Probe::has_match_for`] holds. Inside TLS (`ssl`),
    /// call again with `ssl = true`: the NULL probe and the whole order are repeated through the tunnel.
    /// All of this is Nmap 7.93's order as `--version-trace` shows it (tests/probes_match.rs).
    pub fn probes_for_port(
        &self,
        protocol: ProbeProtocol,
        port: u16,
        ssl: bool,
        intensity: u8,
    ) -> Vec<&Probe> {
        let candidates = || {
            self.probes
                .iter()
                .filter(move |p| p.protocol == protocol && !p.no_payload && !p.is_null())
        };
        let listed = |p: &Probe| {
            if ssl {
                p.ssl_port_listed(port)
            } else {
                p.port_listed(port)
            }
        };
        let mut out: Vec<&Probe> = Vec::new();
        out.extend(
            self.probe(ProbeProtocol::Tcp, "NULL")
                .filter(|_| protocol == ProbeProtocol::Tcp),
        );
        out.extend(candidates().filter(|p| listed(p)));
        out.extend(candidates().filter(|p| !listed(p) && p.effective_rarity() <= intensity));
        out
    }

    /// All probes of `protocol` ordered by rarity (most common first), file order within a rarity.
    pub fn by_rarity(&self, protocol: ProbeProtocol) -> Vec<&Probe> {
        let mut v: Vec<&Probe> = self
            .probes
            .iter()
            .filter(|p| p.protocol == protocol)
            .collect();
        v.sort_by_key(|p| p.effective_rarity());
        v
    }
}
