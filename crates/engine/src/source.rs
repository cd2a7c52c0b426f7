//! Where targets come from: command-line words, `-iL` files, `-iR`, minus `--exclude`/`--excludefile`;
//! expanded lazily, names resolved as the scan reaches them.

use crate::dns::Dns;
use crate::targets::{TargetError, TargetSpec, random_public_ipv4, read_list};
use portolan_model::ScanPlan;
use std::net::IpAddr;

/// One address to scan and the name the user gave for it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ip: IpAddr,
    pub user_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("target '{word}': {err}")]
    BadTarget { word: String, err: TargetError },
    #[error("{flag}: cannot read '{path}': {err}")]
    Unreadable { flag: &'static str, path: String, err: std::io::Error },
}

/// Lazily yields targets in the order given.
pub struct TargetSource {
    words: std::vec::IntoIter<(String, TargetSpec)>,
    current: Option<(Option<String>, Box<dyn Iterator<Item = IpAddr> + Send>)>,
    exclude: Vec<TargetSpec>,
    exclude_names: Vec<String>,
    excluded_resolved: Vec<IpAddr>,
    random_left: u64,
    ipv6: bool,
    /// Upper bound on the number of targets (saturating), for progress.
    pub size_hint: u128,
}

impl std::fmt::Debug for TargetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetSource").field("size_hint", &self.size_hint).finish_non_exhaustive()
    }
}

fn read_file(flag: &'static str, path: &std::path::Path) -> Result<String, SourceError> {
    let r = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    r.map_err(|err| SourceError::Unreadable { flag, path: path.display().to_string(), err })
}

impl TargetSource {
    pub fn from_plan(plan: &ScanPlan) -> Result<TargetSource, SourceError> {
        let mut words: Vec<String> = plan.targets.clone();
        if let Some(p) = &plan.input_list {
            words.extend(read_list(&read_file("-iL", p)?));
        }
        let parse = |w: &String| {
            TargetSpec::parse(w, plan.ipv6).map_err(|err| SourceError::BadTarget { word: w.clone(), err })
        };
        let specs: Vec<(String, TargetSpec)> =
            words.iter().map(|w| parse(w).map(|s| (w.clone(), s))).collect::<Result<_, _>>()?;
        let mut ex_words: Vec<String> =
            plan.exclude.iter().flat_map(|e| e.split(',')).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if let Some(p) = &plan.exclude_file {
            ex_words.extend(read_list(&read_file("--excludefile", p)?));
        }
        let mut exclude = Vec::new();
        let mut exclude_names = Vec::new();
        for w in &ex_words {
            match parse(w)? {
                TargetSpec::Name { name, .. } => exclude_names.push(name),
                s => exclude.push(s),
            }
        }
        let size_hint = specs.iter().map(|(_, s)| s.size()).fold(0u128, u128::saturating_add)
            + u128::from(plan.random_targets.unwrap_or(0));
        Ok(TargetSource {
            words: specs.into_iter(),
            current: None,
            exclude,
            exclude_names,
            excluded_resolved: Vec::new(),
            random_left: plan.random_targets.unwrap_or(0),
            ipv6: plan.ipv6,
            size_hint,
        })
    }

    /// Resolves excluded names; call once before taking targets.
    pub async fn resolve_exclusions(&mut self, dns: &Dns, warn: &mut (dyn FnMut(String) + Send)) {
        for n in std::mem::take(&mut self.exclude_names) {
            match dns.resolve(&n).await {
                Ok(ips) => self.excluded_resolved.extend(ips),
                Err(e) => warn(format!("Failed to resolve excluded host \"{n}\": {e}")),
            }
        }
    }

    fn excluded(&self, ip: IpAddr) -> bool {
        self.excluded_resolved.contains(&ip) || self.exclude.iter().any(|s| s.contains(ip))
    }

    /// Up to `n` next targets. Unresolvable names produce a warning (as Nmap's "Failed to resolve") and are
    /// skipped. An empty result means the source is exhausted.
    pub async fn next_group(&mut self, n: usize, dns: &Dns, warn: &mut (dyn FnMut(String) + Send)) -> Vec<Target> {
        let mut out = Vec::new();
        while out.len() < n {
            if let Some((name, it)) = self.current.as_mut() {
                match it.next() {
                    Some(ip) => {
                        let t = Target { ip, user_name: name.clone() };
                        if !self.excluded(ip) {
                            out.push(t);
                        }
                        continue;
                    }
                    None => self.current = None,
                }
            }
            if let Some((word, spec)) = self.words.next() {
                match &spec {
                    TargetSpec::Name { name, .. } => match dns.resolve(name).await {
                        Ok(ips) if !ips.is_empty() => {
                            if ips.len() > 1 {
                                let others: Vec<String> = ips[1..].iter().map(IpAddr::to_string).collect();
                                warn(format!("Other addresses for {name} (not scanned): {}", others.join(" ")));
                            }
                            let single = matches!(spec, TargetSpec::Name { prefix: None, .. });
                            let label = single.then(|| name.clone());
                            self.current = Some((label, spec.addrs_of_resolved(ips[0])));
                        }
                        Ok(_) => warn(format!("Failed to resolve \"{word}\".")),
                        Err(e) => warn(format!("Failed to resolve \"{word}\": {e}")),
                    },
                    _ => {
                        if let Some(it) = spec.addrs() {
                            self.current = Some((None, it));
                        }
                    }
                }
                continue;
            }
            if self.random_left > 0 && !self.ipv6 {
                self.random_left -= 1;
                let ip = IpAddr::V4(random_public_ipv4(&mut rand::rng()));
                if !self.excluded(ip) {
                    out.push(Target { ip, user_name: None });
                }
                continue;
            }
            break;
        }
        out
    }
}
