//! The "service fingerprint" block printed for a port that answered but matched nothing, in the layout
//! Nmap users submit (learned by running Nmap 7.93 against test listeners; see the tests):
//!
//! ```text
//! SF-Port<port>-<TCP|UDP>:V=<version>[%T=SSL]%I=<intensity>%D=<month>/<day>%Time=<hex epoch>%P=<platform>
//!   %r(<probe>,<hex length>,"<escaped bytes>")...;
//! ```
//!
//! as one string, cut into lines of 74 bytes: the first as is, the others prefixed `SF:` after 71 bytes.

/// Width of every full line of the wrapped block (Nmap's: 74).
pub const SF_LINE_WIDTH: usize = portolan_model::report::SERVICE_FP_LINE_WIDTH;

/// What goes into one unmatched service's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFingerprint {
    pub port: u16,
    pub protocol: super::ProbeProtocol,
    /// Scanner version (`V=`).
    pub scanner_version: String,
    /// The service was reached through TLS (`%T=SSL`).
    pub ssl: bool,
    /// `--version-intensity` used (`I=`).
    pub intensity: u8,
    /// Seconds since the Unix epoch when the scan ran (gives `D=` in UTC and `Time=`).
    pub unix_time: u64,
    /// Platform triple (`P=`), e.g. `x86_64-pc-linux-gnu`.
    pub platform: String,
    /// (probe name, response bytes) in the order the probes were sent; only probes that got data.
    pub responses: Vec<(String, Vec<u8>)>,
}

impl ServiceFingerprint {
    /// The fingerprint as one string (what XML's `servicefp` attribute holds).
    pub fn to_single_line(&self) -> String {
        let date = chrono::DateTime::from_timestamp(self.unix_time as i64, 0).unwrap_or_default();
        let (month, day) = (chrono::Datelike::month(&date), chrono::Datelike::day(&date));
        let mut s = format!(
            "SF-Port{}-{}:V={}{}%I={}%D={}/{}%Time={:X}%P={}",
            self.port,
            self.protocol.as_str(),
            self.scanner_version,
            if self.ssl { "%T=SSL" } else { "" },
            self.intensity,
            month,
            day,
            self.unix_time,
            self.platform
        );
        for (probe, data) in &self.responses {
            s.push_str(&format!("%r({},{:X},\"", probe, data.len()));
            escape_into(&mut s, data);
            s.push_str("\")");
        }
        s.push(';');
        s
    }

    /// The block as printed in normal output: lines of at most [`SF_LINE_WIDTH`] bytes.
    pub fn to_lines(&self) -> Vec<String> {
        wrap(&self.to_single_line())
    }
}

/// Cuts a single-line fingerprint into the printed block (the model's rule, shared with the report writers).
pub fn wrap(single: &str) -> Vec<String> {
    portolan_model::report::service_fingerprint_lines(single)
}

/// Response bytes as regex-ready text: printable ASCII as is, regex metacharacters and `"` behind a
/// backslash, `\0 \t \n \r` by name, everything else (space included) as `\xhh`.
pub fn escape_into(out: &mut String, data: &[u8]) {
    for &b in data {
        match b {
            0 => out.push_str("\\0"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\\' | b'|' | b'^' | b'[' | b']' | b'?' | b'.' | b'+' | b'*' | b'(' | b')' | b'$'
            | b'"' => {
                out.push('\\');
                out.push(b as char);
            }
            0x21..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let fp = |unix_time| ServiceFingerprint {
            port: 7,
            protocol: super::super::ProbeProtocol::Tcp,
            scanner_version: "0.1.0".into(),
            ssl: false,
            intensity: 7,
            unix_time,
            platform: "p".into(),
            responses: vec![],
        };
        // 0x6B08785F, the Time= of the Nmap run recorded in tests/fixtures/README.md: 2026-11-26.
        assert!(fp(0x6B08_785F).to_single_line().contains("%D=11/26%"));
        assert!(fp(0).to_single_line().contains("%D=1/1%"));
        assert!(fp(951_782_400).to_single_line().contains("%D=2/29%"), "2000-02-29");
    }
}
