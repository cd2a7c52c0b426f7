//! SCTP (RFC 9260): common header, chunks (INIT, INIT-ACK, ABORT, COOKIE-ECHO, ...), CRC32c checksum.

use crate::checksum::{crc32c, crc32c_update};
use crate::error::{WireError, be16, be32, need, need_out};
use crate::frame::{ChunkTypes, SctpInfo, Transport};

pub const HEADER_LEN: usize = 12;
const L: &str = "sctp";
/// Bound on chunks walked in one packet.
const MAX_CHUNKS: usize = 64;

pub mod chunk {
    pub const DATA: u8 = 0;
    pub const INIT: u8 = 1;
    pub const INIT_ACK: u8 = 2;
    pub const SACK: u8 = 3;
    pub const HEARTBEAT: u8 = 4;
    pub const HEARTBEAT_ACK: u8 = 5;
    pub const ABORT: u8 = 6;
    pub const SHUTDOWN: u8 = 7;
    pub const SHUTDOWN_ACK: u8 = 8;
    pub const ERROR: u8 = 9;
    pub const COOKIE_ECHO: u8 = 10;
    pub const COOKIE_ACK: u8 = 11;
    pub const SHUTDOWN_COMPLETE: u8 = 14;
}

/// Checked view of an SCTP packet: `new_checked` guarantees the 12-byte common header. Chunks are walked by
/// [`SctpPacket::chunks`], which checks each chunk's length.
#[derive(Debug, Clone)]
pub struct SctpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> SctpPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        SctpPacket { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        need(L, buffer.as_ref(), HEADER_LEN)?;
        Ok(SctpPacket { buffer })
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        be16(self.b(), 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn vtag(&self) -> u32 {
        be32(self.b(), 4)
    }
    /// The checksum as stored (CRC32c goes on the wire least significant byte first).
    pub fn checksum(&self) -> u32 {
        let b = self.b();
        u32::from_le_bytes([b[8], b[9], b[10], b[11]])
    }
    pub fn chunk_bytes(&self) -> &[u8] {
        &self.b()[HEADER_LEN..]
    }
    pub fn chunks(&self) -> ChunkIter<'_> {
        ChunkIter {
            rest: self.chunk_bytes(),
            left: MAX_CHUNKS,
        }
    }
    pub fn verify_checksum(&self) -> bool {
        compute_crc(self.b()) == self.checksum()
    }
}

fn compute_crc(b: &[u8]) -> u32 {
    // The checksum field counts as zero; avoid copying the packet to zero it.
    let c = crc32c_update(!0, &b[..8]);
    let c = crc32c_update(c, &[0, 0, 0, 0]);
    !crc32c_update(c, &b[HEADER_LEN..])
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SctpPacket<T> {
    pub fn set_header(&mut self, src_port: u16, dst_port: u16, vtag: u32) {
        let b = self.buffer.as_mut();
        b[0..2].copy_from_slice(&src_port.to_be_bytes());
        b[2..4].copy_from_slice(&dst_port.to_be_bytes());
        b[4..8].copy_from_slice(&vtag.to_be_bytes());
    }
    pub fn fill_checksum(&mut self) {
        self.buffer.as_mut()[8..12].fill(0);
        let c = crc32c(self.b());
        self.buffer.as_mut()[8..12].copy_from_slice(&c.to_le_bytes());
    }
}

/// One chunk. Borrowed parts point into the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SctpChunk<'a> {
    Init {
        initiate_tag: u32,
        a_rwnd: u32,
        outbound_streams: u16,
        inbound_streams: u16,
        initial_tsn: u32,
        params: &'a [u8],
    },
    InitAck {
        initiate_tag: u32,
        a_rwnd: u32,
        outbound_streams: u16,
        inbound_streams: u16,
        initial_tsn: u32,
        params: &'a [u8],
    },
    /// `t_bit`: the verification tag is the sender's own (reflected).
    Abort {
        t_bit: bool,
        causes: &'a [u8],
    },
    CookieEcho {
        cookie: &'a [u8],
    },
    CookieAck,
    Other {
        chunk_type: u8,
        flags: u8,
        value: &'a [u8],
    },
}

impl<'a> SctpChunk<'a> {
    pub fn chunk_type(&self) -> u8 {
        match self {
            SctpChunk::Init { .. } => chunk::INIT,
            SctpChunk::InitAck { .. } => chunk::INIT_ACK,
            SctpChunk::Abort { .. } => chunk::ABORT,
            SctpChunk::CookieEcho { .. } => chunk::COOKIE_ECHO,
            SctpChunk::CookieAck => chunk::COOKIE_ACK,
            SctpChunk::Other { chunk_type, .. } => *chunk_type,
        }
    }

    /// Chunk length field value (without padding).
    pub fn len(&self) -> usize {
        4 + match self {
            SctpChunk::Init { params, .. } | SctpChunk::InitAck { params, .. } => 16 + params.len(),
            SctpChunk::Abort { causes, .. } => causes.len(),
            SctpChunk::CookieEcho { cookie } => cookie.len(),
            SctpChunk::CookieAck => 0,
            SctpChunk::Other { value, .. } => value.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// Bytes on the wire, padded to 4.
    pub fn padded_len(&self) -> usize {
        self.len().div_ceil(4) * 4
    }

    fn parse(t: u8, flags: u8, v: &'a [u8]) -> Result<Self, WireError> {
        Ok(match t {
            chunk::INIT | chunk::INIT_ACK => {
                if v.len() < 16 {
                    return Err(WireError::Truncated {
                        layer: "sctp init chunk",
                        have: v.len() + 4,
                        need: 20,
                    });
                }
                let (initiate_tag, a_rwnd, outbound_streams, inbound_streams, initial_tsn, params) = (
                    be32(v, 0),
                    be32(v, 4),
                    be16(v, 8),
                    be16(v, 10),
                    be32(v, 12),
                    &v[16..],
                );
                if t == chunk::INIT {
                    SctpChunk::Init {
                        initiate_tag,
                        a_rwnd,
                        outbound_streams,
                        inbound_streams,
                        initial_tsn,
                        params,
                    }
                } else {
                    SctpChunk::InitAck {
                        initiate_tag,
                        a_rwnd,
                        outbound_streams,
                        inbound_streams,
                        initial_tsn,
                        params,
                    }
                }
            }
            chunk::ABORT => SctpChunk::Abort {
                t_bit: flags & 1 != 0,
                causes: v,
            },
            chunk::COOKIE_ECHO => SctpChunk::CookieEcho { cookie: v },
            chunk::COOKIE_ACK => SctpChunk::CookieAck,
            _ => SctpChunk::Other {
                chunk_type: t,
                flags,
                value: v,
            },
        })
    }

    /// Writes the chunk and its zero padding; `out` must hold `padded_len()` bytes.
    pub fn emit(&self, out: &mut [u8]) -> Result<(), WireError> {
        let n = self.padded_len();
        need_out("sctp chunk", out, n)?;
        let len = u16::try_from(self.len()).map_err(|_| WireError::BadTotalLength {
            layer: "sctp chunk",
            value: self.len(),
        })?;
        let flags = match self {
            SctpChunk::Abort { t_bit, .. } => u8::from(*t_bit),
            SctpChunk::Other { flags, .. } => *flags,
            _ => 0,
        };
        out[0] = self.chunk_type();
        out[1] = flags;
        out[2..4].copy_from_slice(&len.to_be_bytes());
        out[usize::from(len)..n].fill(0);
        let v = &mut out[4..usize::from(len)];
        match *self {
            SctpChunk::Init {
                initiate_tag,
                a_rwnd,
                outbound_streams,
                inbound_streams,
                initial_tsn,
                params,
            }
            | SctpChunk::InitAck {
                initiate_tag,
                a_rwnd,
                outbound_streams,
                inbound_streams,
                initial_tsn,
                params,
            } => {
                v[0..4].copy_from_slice(&initiate_tag.to_be_bytes());
                v[4..8].copy_from_slice(&a_rwnd.to_be_bytes());
                v[8..10].copy_from_slice(&outbound_streams.to_be_bytes());
                v[10..12].copy_from_slice(&inbound_streams.to_be_bytes());
                v[12..16].copy_from_slice(&initial_tsn.to_be_bytes());
                v[16..].copy_from_slice(params);
            }
            SctpChunk::Abort { causes: d, .. }
            | SctpChunk::CookieEcho { cookie: d }
            | SctpChunk::Other { value: d, .. } => v.copy_from_slice(d),
            SctpChunk::CookieAck => {}
        }
        Ok(())
    }
}

/// Iterator over chunks; yields one `Err` and stops on a chunk whose length is below 4 or past the buffer.
/// Bounded to 64 chunks.
#[derive(Debug, Clone)]
pub struct ChunkIter<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for ChunkIter<'a> {
    type Item = Result<SctpChunk<'a>, WireError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = self.rest;
        if r.len() < 4 {
            self.rest = &[];
            return Some(Err(WireError::Truncated {
                layer: "sctp chunk",
                have: r.len(),
                need: 4,
            }));
        }
        let len = usize::from(be16(r, 2));
        if len < 4 || len > r.len() {
            self.rest = &[];
            return Some(Err(WireError::BadTotalLength {
                layer: "sctp chunk",
                value: len,
            }));
        }
        // The last chunk's padding may be missing in the wild; tolerate that.
        let padded = (len.div_ceil(4) * 4).min(r.len());
        self.rest = &r[padded..];
        let c = SctpChunk::parse(r[0], r[1], &r[4..len]);
        if c.is_err() {
            self.rest = &[];
        }
        Some(c)
    }
}

/// The meaning of an SCTP packet: header fields and the raw chunk area (walk it with [`SctpRepr::chunks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SctpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub vtag: u32,
    pub chunks: &'a [u8],
}

impl<'a> SctpRepr<'a> {
    /// Reads the header and checks every chunk's length; the checksum is not checked.
    pub fn parse(p: &SctpPacket<&'a [u8]>) -> Result<Self, WireError> {
        let chunks: &'a [u8] = &p.buffer[HEADER_LEN..];
        for c in (ChunkIter {
            rest: chunks,
            left: MAX_CHUNKS,
        }) {
            c?;
        }
        Ok(SctpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            vtag: p.vtag(),
            chunks,
        })
    }
    pub fn chunks(&self) -> ChunkIter<'a> {
        ChunkIter {
            rest: self.chunks,
            left: MAX_CHUNKS,
        }
    }
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.chunks.len()
    }
    /// Writes header, chunk bytes and CRC32c; the buffer must be exactly `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut SctpPacket<T>,
    ) -> Result<(), WireError> {
        let n = self.buffer_len();
        need_out(L, p.b(), n)?;
        if p.b().len() != n {
            return Err(WireError::BadTotalLength {
                layer: L,
                value: p.b().len(),
            });
        }
        p.set_header(self.src_port, self.dst_port, self.vtag);
        p.buffer.as_mut()[HEADER_LEN..].copy_from_slice(self.chunks);
        p.fill_checksum();
        Ok(())
    }
}

/// Encodes chunks back to back (each padded to 4).
pub fn encode_chunks(chunks: &[SctpChunk<'_>]) -> Result<Vec<u8>, WireError> {
    let mut out = vec![0u8; chunks.iter().map(SctpChunk::padded_len).sum()];
    let mut at = 0;
    for c in chunks {
        c.emit(&mut out[at..at + c.padded_len()])?;
        at += c.padded_len();
    }
    Ok(out)
}

pub(crate) fn parse_info(payload: &[u8], fragmented: bool) -> Result<Transport<'_>, WireError> {
    let p = SctpPacket::new_checked(payload)?;
    let mut chunks = ChunkTypes::default();
    let mut init_tag = 0;
    let mut abort_t_bit = false;
    for (i, c) in p.chunks().enumerate() {
        // A broken later chunk still leaves the header usable for matching: stop, keep what we have.
        let Ok(c) = c else { break };
        chunks.push(c.chunk_type());
        match c {
            SctpChunk::Init { initiate_tag, .. } | SctpChunk::InitAck { initiate_tag, .. }
                if i == 0 =>
            {
                init_tag = initiate_tag
            }
            SctpChunk::Abort { t_bit, .. } => abort_t_bit = t_bit,
            _ => {}
        }
    }
    Ok(Transport::Sctp(SctpInfo {
        src_port: p.src_port(),
        dst_port: p.dst_port(),
        vtag: p.vtag(),
        chunks,
        init_tag,
        abort_t_bit,
        checksum_ok: fragmented || p.verify_checksum(),
    }))
}
