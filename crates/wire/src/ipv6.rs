//! IPv6 (RFC 8200) and walking past its extension headers (hop-by-hop, routing, fragment, destination, AH).

use crate::checksum::IpPair;
use crate::error::{WireError, be16, be32, need, need_out};
use crate::frame::{
    IpSummary, IpVersion, Parsed, Quoted, QuotedTransport, Transport, parse_transport,
    quoted_transport,
};
use crate::ipv4::proto;
use std::net::{IpAddr, Ipv6Addr};

pub const HEADER_LEN: usize = 40;
const L: &str = "ipv6";
/// Bound on extension headers walked: real packets carry a few; more is an attack or garbage.
const MAX_EXT_HEADERS: usize = 16;
const AH: u8 = 51;

/// Checked view of an IPv6 packet: `new_checked` guarantees 40 bytes, version 6 and 40 + payload length <=
/// buffer (`new_quoted` drops the last bound for quoted/cut packets).
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Self::new_quoted(buffer)?;
        let need_len = HEADER_LEN + usize::from(p.payload_len());
        if need_len > p.b().len() {
            return Err(WireError::Truncated {
                layer: L,
                have: p.b().len(),
                need: need_len,
            });
        }
        Ok(p)
    }
    pub fn new_quoted(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(L, b, HEADER_LEN)?;
        if b[0] >> 4 != 6 {
            return Err(WireError::BadVersion {
                layer: L,
                value: b[0] >> 4,
            });
        }
        Ok(Ipv6Packet { buffer })
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn version(&self) -> u8 {
        self.b()[0] >> 4
    }
    pub fn traffic_class(&self) -> u8 {
        ((be16(self.b(), 0) >> 4) & 0xFF) as u8
    }
    pub fn flow_label(&self) -> u32 {
        be32(self.b(), 0) & 0x000F_FFFF
    }
    pub fn payload_len(&self) -> u16 {
        be16(self.b(), 4)
    }
    pub fn next_header(&self) -> u8 {
        self.b()[6]
    }
    pub fn hop_limit(&self) -> u8 {
        self.b()[7]
    }
    pub fn src(&self) -> Ipv6Addr {
        addr(&self.b()[8..24])
    }
    pub fn dst(&self) -> Ipv6Addr {
        addr(&self.b()[24..40])
    }
    /// The payload up to the payload length (or the buffer's end for a quoted view).
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(b.len());
        &b[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    /// Writes version 6, traffic class and flow label.
    pub fn set_version_tc_flow(&mut self, tc: u8, flow: u32) {
        let w = (6u32 << 28) | (u32::from(tc) << 20) | (flow & 0x000F_FFFF);
        self.buffer.as_mut()[0..4].copy_from_slice(&w.to_be_bytes());
    }
    pub fn set_payload_len(&mut self, v: u16) {
        self.buffer.as_mut()[4..6].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_next_header(&mut self, v: u8) {
        self.buffer.as_mut()[6] = v;
    }
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[7] = v;
    }
    pub fn set_src(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[8..24].copy_from_slice(&a.octets());
    }
    pub fn set_dst(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[24..40].copy_from_slice(&a.octets());
    }
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(self.buffer.as_ref().len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    Ipv6Addr::from(a)
}

/// The meaning of the fixed IPv6 header. Extension headers are part of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Repr {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub next_header: u8,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub payload_len: usize,
}

impl Ipv6Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<Self, WireError> {
        Ok(Ipv6Repr {
            src: p.src(),
            dst: p.dst(),
            next_header: p.next_header(),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
            payload_len: usize::from(p.payload_len()),
        })
    }
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Ipv6Packet<T>,
    ) -> Result<(), WireError> {
        need_out(L, p.b(), HEADER_LEN)?;
        let pl = u16::try_from(self.payload_len).map_err(|_| WireError::BadTotalLength {
            layer: L,
            value: self.payload_len,
        })?;
        p.set_version_tc_flow(self.traffic_class, self.flow_label);
        p.set_payload_len(pl);
        p.set_next_header(self.next_header);
        p.set_hop_limit(self.hop_limit);
        p.set_src(self.src);
        p.set_dst(self.dst);
        Ok(())
    }
}

/// A fragment extension header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6FragInfo {
    /// Offset in bytes.
    pub offset: u16,
    pub more: bool,
    pub ident: u32,
}

/// Where the upper layer starts after the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtWalk {
    /// The upper-layer protocol (or 59 No Next Header, or ESP 50 which cannot be walked past).
    pub protocol: u8,
    /// Offset of the upper layer within the payload.
    pub offset: usize,
    pub fragment: Option<Ipv6FragInfo>,
}

/// Walks hop-by-hop (0), routing (43), fragment (44), destination options (60) and AH (51) headers starting at
/// `next` over `payload`. Bounded by [`MAX_EXT_HEADERS`]; a header running past the buffer is an error.
pub fn walk_extension_headers(mut next: u8, payload: &[u8]) -> Result<ExtWalk, WireError> {
    let mut at = 0usize;
    let mut fragment: Option<Ipv6FragInfo> = None;
    for _ in 0..MAX_EXT_HEADERS {
        let stop = move |next| {
            Ok(ExtWalk {
                protocol: next,
                offset: at,
                fragment,
            })
        };
        // After a fragment header, a non-first fragment holds no headers, and a first fragment may end inside
        // one: stop there rather than read fragment data as a header.
        if fragment.is_some_and(|f| f.offset != 0) {
            return stop(next);
        }
        let len = match next {
            proto::HOPOPT | proto::IPV6_ROUTE | proto::IPV6_OPTS | AH => {
                if fragment.is_some() && payload.len() < at + 2 {
                    return stop(next);
                }
                need("ipv6 extension header", payload, at + 2)?;
                if next == AH {
                    (usize::from(payload[at + 1]) + 2) * 4
                } else {
                    (usize::from(payload[at + 1]) + 1) * 8
                }
            }
            proto::IPV6_FRAG => {
                need("ipv6 fragment header", payload, at + 8)?;
                let off = be16(payload, at + 2);
                fragment = Some(Ipv6FragInfo {
                    offset: off & 0xFFF8,
                    more: off & 1 != 0,
                    ident: be32(payload, at + 4),
                });
                8
            }
            _ => return stop(next),
        };
        if fragment.is_some() && next != proto::IPV6_FRAG && payload.len() < at + len {
            return stop(next);
        }
        need("ipv6 extension header", payload, at + len)?;
        next = payload[at];
        at += len;
    }
    Err(WireError::BadField {
        layer: L,
        field: "extension header count",
        value: MAX_EXT_HEADERS as u32,
    })
}

/// True for the extension-header types [`walk_extension_headers`] walks.
pub fn is_extension_header(next: u8) -> bool {
    matches!(
        next,
        proto::HOPOPT | proto::IPV6_ROUTE | proto::IPV6_FRAG | proto::IPV6_OPTS | AH
    )
}

fn v6_summary<T: AsRef<[u8]>>(p: &Ipv6Packet<T>, walk: &ExtWalk) -> IpSummary {
    let f = walk.fragment;
    IpSummary {
        version: IpVersion::V6,
        src: IpAddr::V6(p.src()),
        dst: IpAddr::V6(p.dst()),
        ttl: p.hop_limit(),
        ident: f.map_or(0, |f| f.ident),
        protocol: walk.protocol,
        tos: p.traffic_class(),
        flow_label: p.flow_label(),
        total_len: HEADER_LEN as u32 + u32::from(p.payload_len()),
        dont_frag: false,
        more_frags: f.is_some_and(|f| f.more),
        frag_offset: f.map_or(0, |f| f.offset),
        header_len: HEADER_LEN + walk.offset,
        checksum_ok: true,
    }
}

pub(crate) fn parse_network_v6<'a>(
    mut out: Parsed<'a>,
    data: &'a [u8],
) -> Result<Parsed<'a>, WireError> {
    let p = Ipv6Packet::new_checked(data)?;
    let payload = &data[HEADER_LEN..HEADER_LEN + usize::from(p.payload_len())];
    let walk = walk_extension_headers(p.next_header(), payload)?;
    let ip = v6_summary(&p, &walk);
    out.ip = Some(ip);
    if ip.frag_offset != 0 || (ip.more_frags && is_extension_header(walk.protocol)) {
        out.transport = Transport::Fragment {
            protocol: walk.protocol,
        };
        return Ok(out);
    }
    let pair = IpPair::V6(p.src(), p.dst());
    match parse_transport(walk.protocol, pair, &payload[walk.offset..], ip.more_frags) {
        Ok(t) => out.transport = t,
        Err(e) => {
            out.transport = Transport::Other {
                protocol: walk.protocol,
            };
            out.transport_error = Some(e);
        }
    }
    Ok(out)
}

/// Parses a packet quoted in an ICMPv6 error: fixed header, the extension headers present in the quote, and the
/// first 8 bytes of the upper layer when quoted.
pub fn parse_quoted_v6(data: &[u8]) -> Result<Quoted, WireError> {
    let p = Ipv6Packet::new_quoted(data)?;
    let payload = p.payload();
    let walk = walk_extension_headers(p.next_header(), payload)?;
    let ip = v6_summary(&p, &walk);
    let transport = if ip.frag_offset != 0 {
        QuotedTransport::Other {
            protocol: walk.protocol,
        }
    } else {
        quoted_transport(walk.protocol, &payload[walk.offset..], true)
    };
    Ok(Quoted { ip, transport })
}

/// Splits an IPv6 packet into fragments (RFC 8200 4.5) carrying at most `frag_payload` bytes of the fragmentable
/// part each (rounded down to a multiple of 8, at least 8), with fragment header identification `ident`. The
/// hop-by-hop and routing headers stay in every fragment; everything after them is fragmented. A packet whose
/// fragmentable part fits is returned whole.
pub fn fragment_v6(
    packet: &[u8],
    frag_payload: usize,
    ident: u32,
) -> Result<Vec<Vec<u8>>, WireError> {
    let p = Ipv6Packet::new_checked(packet)?;
    let payload = p.payload();
    // Find the unfragmentable prefix and the byte holding the next-header value that must become 44.
    let (mut next, mut at, mut next_at) = (p.next_header(), 0usize, 6usize);
    for _ in 0..MAX_EXT_HEADERS {
        if next != proto::HOPOPT && next != proto::IPV6_ROUTE {
            break;
        }
        need("ipv6 extension header", payload, at + 2)?;
        let len = (usize::from(payload[at + 1]) + 1) * 8;
        need("ipv6 extension header", payload, at + len)?;
        next_at = HEADER_LEN + at;
        next = payload[at];
        at += len;
    }
    let body = &payload[at..];
    let step = (frag_payload / 8 * 8).max(8);
    let end = HEADER_LEN + payload.len();
    if body.len() <= step {
        return Ok(vec![packet[..end].to_vec()]);
    }
    let prefix_len = HEADER_LEN + at;
    let mut out = Vec::with_capacity(body.len().div_ceil(step));
    for (i, chunk) in body.chunks(step).enumerate() {
        let off = i * step;
        if off > 0xFFF8 {
            return Err(WireError::BadField {
                layer: L,
                field: "fragment offset",
                value: off as u32,
            });
        }
        let more = (i + 1) * step < body.len();
        let mut f = Vec::with_capacity(prefix_len + 8 + chunk.len());
        f.extend_from_slice(&packet[..prefix_len]);
        f[next_at] = proto::IPV6_FRAG;
        let pl = u16::try_from(at + 8 + chunk.len())
            .map_err(|_| WireError::BadTotalLength { layer: L, value: at + 8 + chunk.len() })?;
        f[4..6].copy_from_slice(&pl.to_be_bytes());
        let offm = (off as u16) | u16::from(more);
        f.extend_from_slice(&[next, 0]);
        f.extend_from_slice(&offm.to_be_bytes());
        f.extend_from_slice(&ident.to_be_bytes());
        f.extend_from_slice(chunk);
        out.push(f);
    }
    Ok(out)
}
