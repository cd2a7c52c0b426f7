//! Target specifications (stub being replaced by the lead).
use std::fmt;

/// One parsed target specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError(pub String);
impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TargetError {}

impl TargetSpec {
    /// Parses one target word (IPv4/IPv6 literal, CIDR, octet ranges, hostname). Never does I/O.
    pub fn parse(s: &str, _ipv6: bool) -> Result<TargetSpec, TargetError> {
        Ok(TargetSpec(s.to_owned()))
    }
}
