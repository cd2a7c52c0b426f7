//! Which ports of a host are listed and which are summarised. Shared by every writer so that "Not shown",
//! `<extraports>` and "Ignored State" always describe the same ports.
//!
//! Nmap 7.93's rule, measured on loopback (see the crate's golden tests): a state other than `open` is
//! summarised when it has more than [`RenderOptions::max_listed_per_state`] ports; with `--open` every
//! state that cannot be open is summarised; states a file already summarised stay summarised.
//! Summaries are ordered by count, largest first (ties: closed before filtered, the model's state order);
//! the reasons inside one state likewise.

use crate::RenderOptions;
use crate::text::{compact_ports, plural};
use portolan_model::report::{ExtraPorts, ExtraReason};
use portolan_model::{HostReport, PortReport, PortState, Protocol, Reason};
use std::collections::BTreeMap;

#[derive(Debug)]
pub(crate) struct Layout<'a> {
    pub shown: Vec<&'a PortReport>,
    pub ignored: Vec<ExtraPorts>,
}

impl Layout<'_> {
    /// Total ports the host's scan determined (listed plus summarised).
    pub fn total(&self) -> u64 {
        self.shown.len() as u64 + self.ignored.iter().map(|e| u64::from(e.count)).sum::<u64>()
    }

    /// Whether the host had any port scanned at all (false after `-sn`).
    pub fn scanned(&self) -> bool {
        !self.shown.is_empty() || !self.ignored.is_empty()
    }
}

/// `--open` keeps the states the reference guide lists: open, open|filtered and unfiltered.
pub(crate) fn kept_by_open(state: PortState) -> bool {
    matches!(state, PortState::Open | PortState::OpenFiltered | PortState::Unfiltered)
}

/// Whether `--open` hides the whole host (no port it would show).
pub(crate) fn hidden_by_open(h: &HostReport, o: &RenderOptions) -> bool {
    o.open_only && !layout(h, o).shown.iter().any(|p| kept_by_open(p.state))
}

pub(crate) fn layout<'a>(h: &'a HostReport, o: &RenderOptions) -> Layout<'a> {
    let limit = o.max_listed_per_state();
    let mut collapsed: Vec<PortState> = Vec::new();
    for state in PortState::ALL {
        if state == PortState::Open {
            continue;
        }
        let from_file = h.extra_ports.iter().any(|e| e.state == state);
        let count = u64::from(h.state_count(state));
        if count == 0 {
            continue;
        }
        if from_file || (o.open_only && !kept_by_open(state)) || count > limit {
            collapsed.push(state);
        }
    }
    let shown: Vec<&PortReport> = h.ports.iter().filter(|p| !collapsed.contains(&p.state)).collect();
    let mut ignored: Vec<ExtraPorts> = collapsed
        .iter()
        .map(|&state| {
            let mut reasons: Vec<ExtraReason> = Vec::new();
            let mut count: u32 = 0;
            for e in h.extra_ports.iter().filter(|e| e.state == state) {
                count = count.saturating_add(e.count);
                reasons.extend(e.reasons.iter().cloned());
            }
            let mut groups: BTreeMap<(Reason, Protocol), Vec<u16>> = BTreeMap::new();
            for p in h.ports.iter().filter(|p| p.state == state) {
                groups.entry((p.reason.clone(), p.protocol)).or_default().push(p.port);
                count = count.saturating_add(1);
            }
            for ((reason, proto), ports) in groups {
                reasons.push(ExtraReason {
                    reason,
                    count: ports.len() as u32,
                    protocol: Some(proto),
                    ports: Some(compact_ports(&ports)),
                });
            }
            reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
            ExtraPorts { state, count, reasons }
        })
        .collect();
    ignored.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.state.cmp(&b.state)));
    Layout { shown, ignored }
}

/// "29 closed tcp ports (conn-refused), 30 filtered tcp ports (no-response)" — the 7.9x form, one item per
/// (state, reason).
pub(crate) fn not_shown_text(ignored: &[ExtraPorts]) -> String {
    let mut items = Vec::new();
    for e in ignored {
        if e.reasons.is_empty() {
            items.push(format!("{} {} {}", e.count, e.state, plural(u64::from(e.count), "port", "ports")));
            continue;
        }
        for r in &e.reasons {
            // -sO's rows are protocols, which Nmap words as "n/a protocols".
            let (proto, unit) = match r.protocol {
                Some(portolan_model::Protocol::Ip) => ("n/a ".to_owned(), plural(u64::from(r.count), "protocol", "protocols")),
                Some(p) => (format!("{p} "), plural(u64::from(r.count), "port", "ports")),
                None => (String::new(), plural(u64::from(r.count), "port", "ports")),
            };
            items.push(format!(
                "{} {} {proto}{} ({})",
                r.count,
                e.state,
                unit,
                crate::text::sanitize(r.reason.as_str()),
            ));
        }
    }
    items.join(", ")
}
