use thiserror::Error;

/// What is wrong with a packet. `layer` names the header being read so a counter or a log line says where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum WireError {
    /// Fewer bytes than the fixed header (or a length field) needs.
    #[error("{layer}: truncated ({have} bytes, need {need})")]
    Truncated {
        layer: &'static str,
        have: usize,
        need: usize,
    },
    /// A header-length field smaller than the minimum or larger than the buffer.
    #[error("{layer}: bad header length {value}")]
    BadHeaderLength { layer: &'static str, value: usize },
    /// A total/payload length field inconsistent with the header or the buffer.
    #[error("{layer}: bad total length {value}")]
    BadTotalLength { layer: &'static str, value: usize },
    /// The version nibble is not what the header requires.
    #[error("{layer}: bad version {value}")]
    BadVersion { layer: &'static str, value: u8 },
    /// A field holding a value this header cannot carry (e.g. ARP hardware type, option length).
    #[error("{layer}: bad field {field} = {value}")]
    BadField {
        layer: &'static str,
        field: &'static str,
        value: u32,
    },
    /// An output buffer too small for `emit`.
    #[error("{layer}: output buffer too small ({have} bytes, need {need})")]
    BufferTooSmall {
        layer: &'static str,
        have: usize,
        need: usize,
    },
}

pub(crate) fn need(layer: &'static str, buf: &[u8], need: usize) -> Result<(), WireError> {
    if buf.len() < need {
        Err(WireError::Truncated {
            layer,
            have: buf.len(),
            need,
        })
    } else {
        Ok(())
    }
}

pub(crate) fn need_out(layer: &'static str, buf: &[u8], need: usize) -> Result<(), WireError> {
    if buf.len() < need {
        Err(WireError::BufferTooSmall {
            layer,
            have: buf.len(),
            need,
        })
    } else {
        Ok(())
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
