//! Test values from the replies to one try's probes, computed as the Nmap book's "TCP/IP Fingerprinting
//! Methods" chapter describes each test, and checked against `nmap -O` in the lab (tests/e2e/os_lab.rs).
//! Pure functions of recorded replies and send times: no I/O, so every rule is unit-tested here.

use portolan_fingerprint::os::SubjectFingerprint;
use portolan_wire::{TcpOption, TcpOptions};
use std::time::Instant;

use super::probes::{IE_CODES, IE_DF, U1_IP_ID, U1_IP_LEN, U1_PAYLOAD_BYTE};

/// A TCP reply, with what the tests read of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpReply {
    pub ttl: u8,
    pub df: bool,
    pub ip_id: u16,
    pub seq: u32,
    pub ack: u32,
    /// The 9 flag bits (NS..FIN).
    pub flags: u16,
    /// The 3 reserved bits of the header.
    pub reserved: u8,
    pub window: u16,
    pub urgent: u16,
    pub options: TcpOptions,
    pub payload: Vec<u8>,
}

/// An ICMP echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    pub ttl: u8,
    pub df: bool,
    pub ip_id: u16,
    pub code: u8,
}

/// The ICMP port unreachable answering U1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub ttl: u8,
    pub df: bool,
    pub ip_id: u16,
    /// The reply's IP total length.
    pub ip_len: u16,
    /// ICMP header bytes 4..8 ("unused" in a port unreachable).
    pub unused: u32,
    /// The quoted datagram as returned (IP header onwards).
    pub quote: Vec<u8>,
}

/// What was sent of a TCP probe that the S and A tests compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentTcp {
    pub seq: u32,
    pub ack: u32,
    /// When the (last) copy was sent.
    pub at: Instant,
}

/// One try: every probe's send record and reply. Index of `seq`: SEQ probes 1..6; `t`: T2..T7 at 0..5.
#[derive(Debug, Clone, Default)]
pub struct TryResults {
    /// Whether the open-port probes (SEQ, ECN, T2–T4) were sent at all.
    pub open_probed: bool,
    pub seq: [Option<(SentTcp, Option<TcpReply>)>; 6],
    pub ecn: Option<(SentTcp, Option<TcpReply>)>,
    pub t: [Option<(SentTcp, Option<TcpReply>)>; 6],
    pub ie: [Option<EchoReply>; 2],
    pub ie_sent: bool,
    pub u1: Option<Unreachable>,
    pub u1_sent: bool,
    /// The TTL U1 left with (hop distance = sent - returned + 1).
    pub u1_ttl: u8,
    /// The UDP checksum U1 carried.
    pub u1_udp_checksum: u16,
}

/// Hexadecimal as Nmap prints test values: upper case, no leading zeros.
pub fn hex(v: impl Into<u64>) -> String {
    format!("{:X}", v.into())
}

/// IP-header TTL to the initial TTL guess: the next of 32, 64, 128, 255 at or above it.
pub fn ttl_guess(ttl: u8) -> u8 {
    [32u8, 64, 128, 255].into_iter().find(|i| *i >= ttl).unwrap_or(255)
}

/// The O test: options in order, L (end of list), N (no-op), M<mss>, W<shift>, T<tsval≠0><tsecr≠0>,
/// S (SACK permitted); a malformed tail ends the string.
pub fn options_string(o: &TcpOptions) -> String {
    let mut s = String::new();
    for opt in o.iter() {
        let Ok(opt) = opt else { break };
        match opt {
            TcpOption::EndOfList => {
                s.push('L');
                break;
            }
            TcpOption::Nop => s.push('N'),
            TcpOption::Mss(m) => s.push_str(&format!("M{}", hex(m))),
            TcpOption::WindowScale(w) => s.push_str(&format!("W{}", hex(w))),
            TcpOption::Timestamp { tsval, tsecr } => {
                s.push('T');
                s.push(if tsval == 0 { '0' } else { '1' });
                s.push(if tsecr == 0 { '0' } else { '1' });
            }
            TcpOption::SackPermitted => s.push('S'),
            TcpOption::Sack(_) | TcpOption::Unknown { .. } => {}
        }
    }
    s
}

const ECE: u16 = 0x040;
const CWR: u16 = 0x080;
const URG: u16 = 0x020;

/// The F test: flags in the order E U A P R S F.
pub fn flags_string(flags: u16) -> String {
    [(ECE, 'E'), (URG, 'U'), (0x010, 'A'), (0x008, 'P'), (0x004, 'R'), (0x002, 'S'), (0x001, 'F')]
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// The S test: the reply's sequence number against the probe's acknowledgment number.
pub fn seq_test(reply_seq: u32, probe_ack: u32) -> &'static str {
    if reply_seq == 0 {
        "Z"
    } else if reply_seq == probe_ack {
        "A"
    } else if reply_seq == probe_ack.wrapping_add(1) {
        "A+"
    } else {
        "O"
    }
}

/// The A test: the reply's acknowledgment number against the probe's sequence number.
pub fn ack_test(reply_ack: u32, probe_seq: u32) -> &'static str {
    if reply_ack == 0 {
        "Z"
    } else if reply_ack == probe_seq {
        "S"
    } else if reply_ack == probe_seq.wrapping_add(1) {
        "S+"
    } else {
        "O"
    }
}

/// The Q test: R for a non-zero reserved field, U for a non-zero urgent pointer without URG.
pub fn quirks(r: &TcpReply) -> String {
    let mut q = String::new();
    if r.reserved != 0 {
        q.push('R');
    }
    if r.urgent != 0 && r.flags & URG == 0 {
        q.push('U');
    }
    q
}

/// CRC-32 (IEEE 802.3, the zlib one) for the RD test.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// The CC test of the ECN reply.
pub fn ecn_cc(flags: u16) -> &'static str {
    match (flags & ECE != 0, flags & CWR != 0) {
        (true, false) => "Y",
        (false, false) => "N",
        (true, true) => "S",
        (false, true) => "O",
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// TI/CI/II: the class of a run of IP IDs. `tcp` allows RD (random), which II never takes.
pub fn ip_id_class(ids: &[u16], tcp: bool) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    if ids.iter().all(|&i| i == 0) {
        return Some("Z".into());
    }
    let diffs: Vec<u32> = ids.windows(2).map(|w| u32::from(w[1].wrapping_sub(w[0]))).collect();
    if tcp && diffs.iter().any(|&d| d >= 20_000) {
        return Some("RD".into());
    }
    if ids.iter().all(|&i| i == ids[0]) {
        return Some(hex(ids[0]));
    }
    if diffs.iter().any(|&d| (d > 1000 && d % 256 != 0) || (d % 256 == 0 && d >= 256_000)) {
        return Some("RI".into());
    }
    if diffs.iter().all(|&d| d % 256 == 0 && d <= 5120) {
        return Some("BI".into());
    }
    if diffs.iter().all(|&d| d < 10) {
        return Some("I".into());
    }
    None
}

/// Nmap's words for an IP ID class (normal output's "IP ID Sequence Generation:", XML `ipidsequence`).
pub fn ip_id_words(class: &str) -> &'static str {
    match class {
        "Z" => "All zeros",
        "I" => "Incremental",
        "BI" => "Broken little-endian incremental",
        "RI" => "Random positive increments",
        "RD" => "Randomized",
        _ if u32::from_str_radix(class, 16).is_ok() => "Constant",
        _ => "Busy server or unknown class",
    }
}

fn log2_round(x: f64, scale: f64) -> u64 {
    (scale * x.log2()).round().max(0.0) as u64
}

/// What the SEQ probes' SYN/ACKs give: GCD, ISR, SP (each when computable) and the ISNs.
#[derive(Debug, Clone, PartialEq)]
pub struct IsnStats {
    pub gcd: u64,
    pub isr: u64,
    pub sp: Option<u64>,
    pub isns: Vec<u32>,
}

/// GCD, ISR and SP from the SYN/ACKs' ISNs and the probes' send times, in the order sent.
pub fn isn_stats(samples: &[(u32, Instant)]) -> Option<IsnStats> {
    if samples.len() < 2 {
        return None;
    }
    let mut diffs = Vec::new();
    let mut rates = Vec::new();
    for w in samples.windows(2) {
        let (a, ta) = w[0];
        let (b, tb) = w[1];
        let up = b.wrapping_sub(a);
        let down = a.wrapping_sub(b);
        let d = u64::from(up.min(down));
        diffs.push(d);
        let secs = tb.saturating_duration_since(ta).as_secs_f64();
        // Probes leave 100 ms apart; a zero interval would only come from a broken clock.
        rates.push(d as f64 / secs.max(1e-6));
    }
    let g = diffs.iter().copied().fold(0, gcd);
    let avg = rates.iter().sum::<f64>() / rates.len() as f64;
    let isr = if avg < 1.0 { 0 } else { log2_round(avg, 8.0) };
    let sp = (samples.len() >= 4).then(|| {
        let div = if g > 9 { g as f64 } else { 1.0 };
        let scaled: Vec<f64> = rates.iter().map(|r| r / div).collect();
        let mean = scaled.iter().sum::<f64>() / scaled.len() as f64;
        let var = scaled.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (scaled.len() - 1) as f64;
        let sd = var.sqrt();
        if sd <= 1.0 { 0 } else { log2_round(sd, 8.0) }
    });
    Some(IsnStats { gcd: g, isr, sp, isns: samples.iter().map(|s| s.0).collect() })
}

/// The TS test and the timestamp rate (increments per second) behind it.
#[derive(Debug, Clone, PartialEq)]
pub enum TsResult {
    /// A reply had no timestamp option.
    Unsupported,
    /// A timestamp was zero.
    Zero,
    Rate { value: u64, per_second: f64 },
}

impl TsResult {
    pub fn value(&self) -> String {
        match self {
            TsResult::Unsupported => "U".into(),
            TsResult::Zero => "0".into(),
            TsResult::Rate { value, .. } => hex(*value),
        }
    }
}

/// TS from the SYN/ACKs' TSvals and the probes' send times (`None` for a reply without the option).
pub fn ts_test(samples: &[(Option<u32>, Instant)]) -> Option<TsResult> {
    if samples.len() < 2 {
        return None;
    }
    if samples.iter().any(|s| s.0.is_none()) {
        return Some(TsResult::Unsupported);
    }
    let vals: Vec<(u32, Instant)> = samples.iter().filter_map(|(v, t)| v.map(|v| (v, *t))).collect();
    if vals.iter().any(|v| v.0 == 0) {
        return Some(TsResult::Zero);
    }
    let rates: Vec<f64> = vals
        .windows(2)
        .map(|w| {
            let d = w[1].0.wrapping_sub(w[0].0);
            f64::from(d) / w[1].1.saturating_duration_since(w[0].1).as_secs_f64().max(1e-6)
        })
        .collect();
    let avg = rates.iter().sum::<f64>() / rates.len() as f64;
    let value = if (0.0..=5.66).contains(&avg) {
        1
    } else if (70.0..=150.0).contains(&avg) {
        7
    } else if (150.0..=350.0).contains(&avg) {
        8
    } else {
        log2_round(avg, 1.0)
    };
    Some(TsResult::Rate { value, per_second: avg })
}

/// Nmap's words for the TS class (XML `tcptssequence`).
pub fn ts_words(ts: &TsResult) -> String {
    match ts {
        TsResult::Unsupported => "none returned (unsupported)".into(),
        TsResult::Zero => "zero timestamp".into(),
        TsResult::Rate { value: 1, .. } => "2HZ".into(),
        TsResult::Rate { value: 7, .. } => "100HZ".into(),
        TsResult::Rate { value: 8, .. } => "200HZ".into(),
        TsResult::Rate { value: 10, .. } => "1000HZ".into(),
        TsResult::Rate { .. } => "other".into(),
    }
}

/// Nmap's label for a sequence predictability index.
pub fn difficulty(index: u64) -> &'static str {
    match index {
        0..=2 => "Trivial joke",
        3..=5 => "Easy",
        6..=10 => "Medium",
        11 => "Formidable",
        12..=15 => "Worthy challenge",
        _ => "Good luck!",
    }
}

/// The SS test: whether TCP and ICMP share one IP ID counter.
pub fn shared_sequence(seq_ids: &[(usize, u16)], first_icmp_id: u16) -> Option<&'static str> {
    let (&(i0, first), &(i1, last)) = (seq_ids.first()?, seq_ids.last()?);
    if i1 <= i0 {
        return None;
    }
    let avg = f64::from(last.wrapping_sub(first)) / (i1 - i0) as f64;
    let gap = f64::from(first_icmp_id.wrapping_sub(last));
    // The ICMP ID must follow the last TCP one within three average steps (counted around the wrap).
    Some(if gap < 3.0 * avg.max(1.0) { "S" } else { "O" })
}

/// How the T attribute is written: the initial TTL when the hop count is known, else the guess (TG).
#[derive(Debug, Clone, Copy)]
pub struct TtlRule {
    /// Hops to the target minus one, from U1's returned TTL.
    pub extra_hops: Option<u8>,
}

impl TtlRule {
    fn set(&self, t: &mut portolan_fingerprint::os::Test, ttl: u8) {
        match self.extra_hops {
            Some(h) => t.set("T", hex(u16::from(ttl) + u16::from(h))),
            None => t.set("TG", hex(ttl_guess(ttl))),
        };
    }
}

fn yn(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

/// A T1–T7 line from a probe and its reply. `with_w_o`: T1 leaves W and O to WIN and OPS.
fn t_line(fp: &mut SubjectFingerprint, name: &str, sent: &SentTcp, reply: Option<&TcpReply>, ttl: TtlRule, with_w_o: bool) {
    let t = fp.test_mut(name);
    let Some(r) = reply else {
        t.set("R", "N");
        return;
    };
    t.set("R", "Y").set("DF", yn(r.df));
    ttl.set(t, r.ttl);
    if with_w_o {
        t.set("W", hex(r.window));
    }
    t.set("S", seq_test(r.seq, sent.ack))
        .set("A", ack_test(r.ack, sent.seq))
        .set("F", flags_string(r.flags));
    if with_w_o {
        t.set("O", options_string(&r.options));
    }
    t.set("RD", if r.payload.is_empty() { "0".to_string() } else { hex(crc32(&r.payload)) })
        .set("Q", quirks(r));
}

/// Everything derived from one try: the fingerprint and the extras.
#[derive(Debug, Clone)]
pub struct Derived {
    pub fingerprint: SubjectFingerprint,
    pub isn: Option<IsnStats>,
    pub ts: Option<TsResult>,
    /// The last SEQ reply's TSval and when its probe left (for the uptime guess).
    pub last_tsval: Option<(u32, Instant)>,
    /// The SEQ replies' TSvals (those that had one).
    pub tsvals: Vec<u32>,
    /// TI value and the IDs behind it.
    pub ti: Option<(String, Vec<u16>)>,
    /// Hops to the target from U1's returned TTL.
    pub u1_hops: Option<u8>,
    /// Initial-TTL guess distance from the first TCP reply's TTL.
    pub tcp_ttl_hops: Option<u8>,
    pub replies: usize,
}

/// Builds the fingerprint lines of one try (no SCAN line: that is the caller's).
pub fn derive(r: &TryResults) -> Derived {
    let mut fp = SubjectFingerprint::default();
    let mut replies = 0usize;

    // Hop count from U1's quote: the target saw our TTL minus the routers on the way.
    let u1_hops = r.u1.as_ref().and_then(|u| {
        let quoted_ttl = *u.quote.get(8)?;
        r.u1_ttl.checked_sub(quoted_ttl).map(|d| d.saturating_add(1))
    });
    let ttl = TtlRule { extra_hops: u1_hops.map(|h| h - 1) };

    // SEQ: ISNs, IP IDs, timestamps of the SYN/ACKs.
    let seq_replies: Vec<(usize, &SentTcp, &TcpReply)> = r
        .seq
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.as_ref().and_then(|(sent, rep)| rep.as_ref().map(|rep| (i, sent, rep))))
        .filter(|(_, _, rep)| rep.flags & 0x012 == 0x012)
        .collect();
    replies += r.seq.iter().flatten().filter(|s| s.1.is_some()).count();
    let isn = isn_stats(&seq_replies.iter().map(|(_, s, rep)| (rep.seq, s.at)).collect::<Vec<_>>());
    let ts = ts_test(&seq_replies.iter().map(|(_, s, rep)| (rep.options.timestamp().map(|t| t.0), s.at)).collect::<Vec<_>>());
    let last_tsval = seq_replies.last().and_then(|(_, s, rep)| rep.options.timestamp().map(|t| (t.0, s.at)));
    let tsvals: Vec<u32> = seq_replies.iter().filter_map(|x| x.2.options.timestamp().map(|t| t.0)).collect();
    let ti_ids: Vec<u16> = seq_replies.iter().map(|x| x.2.ip_id).collect();
    let ti = (ti_ids.len() >= 3).then(|| ip_id_class(&ti_ids, true)).flatten().map(|c| (c, ti_ids.clone()));
    let ci_ids: Vec<u16> = r.t[3..].iter().flatten().filter_map(|(_, rep)| rep.as_ref().map(|x| x.ip_id)).collect();
    let ci = (ci_ids.len() >= 2).then(|| ip_id_class(&ci_ids, true)).flatten();
    let ii = match (&r.ie[0], &r.ie[1]) {
        (Some(a), Some(b)) => ip_id_class(&[a.ip_id, b.ip_id], false),
        _ => None,
    };
    let any_seq = isn.is_some() || ti.is_some() || ci.is_some() || ii.is_some() || ts.is_some();
    if any_seq {
        let t = fp.test_mut("SEQ");
        if let Some(s) = &isn {
            if let Some(sp) = s.sp {
                t.set("SP", hex(sp));
            }
            t.set("GCD", hex(s.gcd)).set("ISR", hex(s.isr));
        }
        if let Some((c, _)) = &ti {
            t.set("TI", c.clone());
        }
        if let Some(c) = &ci {
            t.set("CI", c.clone());
        }
        if let Some(c) = &ii {
            t.set("II", c.clone());
        }
        let ss_ok = matches!(ii.as_deref(), Some("RI" | "BI" | "I")) && ti.as_ref().map(|x| x.0.as_str()) == ii.as_deref();
        if ss_ok && let Some(ie0) = &r.ie[0] {
            let ids: Vec<(usize, u16)> = seq_replies.iter().map(|(i, _, rep)| (*i, rep.ip_id)).collect();
            if let Some(ss) = shared_sequence(&ids, ie0.ip_id) {
                t.set("SS", ss);
            }
        }
        if let Some(ts) = &ts {
            t.set("TS", ts.value());
        }
    }

    // OPS and WIN: one attribute per answered SEQ probe.
    if r.open_probed {
        let answered: Vec<(usize, &TcpReply)> =
            r.seq.iter().enumerate().filter_map(|(i, s)| s.as_ref().and_then(|(_, rep)| rep.as_ref().map(|x| (i, x)))).collect();
        if !answered.is_empty() {
            let ops = fp.test_mut("OPS");
            for (i, rep) in &answered {
                ops.set(&format!("O{}", i + 1), options_string(&rep.options));
            }
            let win = fp.test_mut("WIN");
            for (i, rep) in &answered {
                win.set(&format!("W{}", i + 1), hex(rep.window));
            }
        }
        if let Some((_sent, rep)) = &r.ecn {
            let t = fp.test_mut("ECN");
            match rep {
                None => {
                    t.set("R", "N");
                }
                Some(x) => {
                    replies += 1;
                    t.set("R", "Y").set("DF", yn(x.df));
                    ttl.set(t, x.ttl);
                    t.set("W", hex(x.window))
                        .set("O", options_string(&x.options))
                        .set("CC", ecn_cc(x.flags))
                        .set("Q", quirks(x));
                }
            }
        }
        if let Some((sent, rep)) = &r.seq[0] {
            t_line(&mut fp, "T1", sent, rep.as_ref(), ttl, false);
        }
    }
    for (k, slot) in r.t.iter().enumerate() {
        if let Some((sent, rep)) = slot {
            if rep.is_some() {
                replies += 1;
            }
            t_line(&mut fp, &format!("T{}", k + 2), sent, rep.as_ref(), ttl, true);
        }
    }

    if r.u1_sent {
        let t = fp.test_mut("U1");
        match &r.u1 {
            None => {
                t.set("R", "N");
            }
            Some(u) => {
                replies += 1;
                t.set("R", "Y").set("DF", yn(u.df));
                ttl.set(t, u.ttl);
                t.set("IPL", hex(u.ip_len)).set("UN", hex(u.unused));
                let q = &u.quote;
                let ihl = q.first().map_or(20, |b| usize::from(b & 0x0f) * 4);
                let be16 = |at: usize| q.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                let ripl = be16(2);
                t.set("RIPL", match ripl {
                    Some(v) if v == U1_IP_LEN => "G".to_string(),
                    Some(v) => hex(v),
                    None => "0".to_string(),
                });
                t.set("RID", match be16(4) {
                    Some(v) if v == U1_IP_ID => "G".to_string(),
                    Some(v) => hex(v),
                    None => "0".to_string(),
                });
                let ipck = match (be16(10), q.get(..ihl)) {
                    (Some(0), _) => "Z",
                    (Some(_), Some(h)) if portolan_wire::checksum::checksum(h) == 0 => "G",
                    _ => "I",
                };
                t.set("RIPCK", ipck);
                t.set("RUCK", match be16(ihl + 6) {
                    Some(v) if v == r.u1_udp_checksum => "G".to_string(),
                    Some(v) => hex(v),
                    None => "G".to_string(),
                });
                let data = q.get(ihl + 8..).unwrap_or(&[]);
                t.set("RUD", if data.iter().all(|&b| b == U1_PAYLOAD_BYTE) { "G" } else { "I" });
            }
        }
    }

    if r.ie_sent {
        let t = fp.test_mut("IE");
        match (&r.ie[0], &r.ie[1]) {
            (Some(a), Some(b)) => {
                replies += 2;
                t.set("R", "Y");
                let dfi = match (a.df, b.df) {
                    (false, false) => "N",
                    (x, y) if x == IE_DF[0] && y == IE_DF[1] => "S",
                    (true, true) => "Y",
                    _ => "O",
                };
                t.set("DFI", dfi);
                ttl.set(t, a.ttl);
                let cd = if a.code == 0 && b.code == 0 {
                    "Z".to_string()
                } else if a.code == IE_CODES[0] && b.code == IE_CODES[1] {
                    "S".to_string()
                } else if a.code == b.code {
                    hex(a.code)
                } else {
                    "O".to_string()
                };
                t.set("CD", cd);
            }
            (a, b) => {
                replies += usize::from(a.is_some()) + usize::from(b.is_some());
                t.set("R", "N");
            }
        }
    }

    let tcp_ttl_hops = seq_replies
        .first()
        .map(|x| x.2.ttl)
        .or_else(|| r.t.iter().flatten().find_map(|(_, rep)| rep.as_ref().map(|x| x.ttl)))
        .map(|t| ttl_guess(t) - t + 1);
    fp.sort_canonical();
    Derived { fingerprint: fp, isn, ts, last_tsval, tsvals, ti, u1_hops, tcp_ttl_hops, replies }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ip_id_classes_follow_the_book() {
        assert_eq!(ip_id_class(&[0, 0, 0], true).as_deref(), Some("Z"));
        assert_eq!(ip_id_class(&[7, 7, 7], true).as_deref(), Some("7"));
        assert_eq!(ip_id_class(&[100, 101, 103], true).as_deref(), Some("I"));
        assert_eq!(ip_id_class(&[65534, 1, 3], false).as_deref(), Some("I"), "wraps");
        assert_eq!(ip_id_class(&[0x100, 0x200, 0x400], true).as_deref(), Some("BI"));
        assert_eq!(ip_id_class(&[100, 2000, 2100], true).as_deref(), Some("RI"));
        assert_eq!(ip_id_class(&[100, 30000, 30010], true).as_deref(), Some("RD"));
        assert_eq!(ip_id_class(&[100, 30000], false).as_deref(), Some("RI"));
        assert_eq!(ip_id_class(&[100, 150, 151], true), None);
    }

    #[test]
    fn options_flags_and_numbers_print_like_nmap() {
        let o = TcpOptions::from_options(&[
            TcpOption::Mss(1460),
            TcpOption::SackPermitted,
            TcpOption::Timestamp { tsval: 5, tsecr: 0xFFFF_FFFF },
            TcpOption::Nop,
            TcpOption::WindowScale(10),
        ])
        .unwrap();
        assert_eq!(options_string(&o), "M5B4ST11NWA");
        let o = TcpOptions::from_options(&[TcpOption::Timestamp { tsval: 0, tsecr: 0 }, TcpOption::EndOfList]).unwrap();
        assert_eq!(options_string(&o), "T00L");
        assert_eq!(flags_string(0x012), "AS");
        assert_eq!(flags_string(0x014), "AR");
        assert_eq!(flags_string(0x052), "EAS");
        assert_eq!(seq_test(0, 5), "Z");
        assert_eq!(seq_test(6, 5), "A+");
        assert_eq!(ack_test(0x10, 0xF), "S+");
        assert_eq!(ack_test(9, 5), "O");
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(ttl_guess(64), 64);
        assert_eq!(ttl_guess(100), 128);
        assert_eq!(ttl_guess(250), 255);
        assert_eq!(ecn_cc(0x052), "Y");
        assert_eq!(ecn_cc(0x0d2), "S");
    }

    #[test]
    fn isn_and_timestamp_rates() {
        let t0 = Instant::now();
        let at = |i: u64| t0 + Duration::from_millis(100 * i);
        // A counter at 1,000,000 per second, in steps of 100,000: GCD 100000, ISR 8*log2(1e6)=159.
        let s: Vec<(u32, Instant)> = (0..6).map(|i| (1000 + 100_000 * i as u32, at(i))).collect();
        let st = isn_stats(&s).unwrap();
        assert_eq!((st.gcd, st.isr, st.sp), (100_000, 159, Some(0)));
        // Wrapping backwards counts the shorter way.
        let st = isn_stats(&[(5, at(0)), (u32::MAX - 4, at(1))]).unwrap();
        assert_eq!(st.gcd, 10);
        let ts: Vec<(Option<u32>, Instant)> = (0..6).map(|i| (Some(500 + 100 * i as u32), at(i))).collect();
        assert_eq!(ts_test(&ts).unwrap().value(), "A", "1000 Hz is log2 = 10");
        let ts: Vec<(Option<u32>, Instant)> = (0..6).map(|i| (Some(500 + 10 * i as u32), at(i))).collect();
        assert_eq!(ts_test(&ts).unwrap().value(), "7");
        let mut ts2 = ts.clone();
        ts2[2].0 = None;
        assert_eq!(ts_test(&ts2), Some(TsResult::Unsupported));
        ts2[2].0 = Some(0);
        assert_eq!(ts_test(&ts2), Some(TsResult::Zero));
    }

    /// ISNs, TSvals and send times of one `nmap -O --packet-trace --max-os-tries 1` run in the lab (Linux
    /// 6.18 target, times to 0.1 ms as the trace prints them); nmap printed SP=101, ISR=10C, TS=22.
    #[test]
    fn rates_reproduce_a_traced_nmap_run() {
        let t0 = Instant::now();
        let isns = [4169799443u32, 753384079, 1677088622, 3231514634, 758179277, 1579672116];
        let tsvals = [4174549328u32, 94031233, 2845612526, 1395482571, 2567466656, 737854421];
        let at = [0u64, 1001, 2002, 3003, 4004, 5005].map(|t| t0 + Duration::from_micros(100 * t));
        let s: Vec<(u32, Instant)> = isns.iter().copied().zip(at).collect();
        let st = isn_stats(&s).unwrap();
        assert_eq!((hex(st.gcd), hex(st.isr), st.sp.map(hex)), ("1".into(), "10C".into(), Some("101".into())));
        let ts: Vec<(Option<u32>, Instant)> = tsvals.iter().map(|v| Some(*v)).zip(at).collect();
        assert_eq!(ts_test(&ts).unwrap().value(), "22");
    }

    #[test]
    fn shared_ip_id_counter() {
        assert_eq!(shared_sequence(&[(0, 100), (5, 110)], 112), Some("S"));
        assert_eq!(shared_sequence(&[(0, 100), (5, 110)], 900), Some("O"));
    }
}
