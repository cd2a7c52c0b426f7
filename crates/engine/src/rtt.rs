//! Round-trip time estimation and the timeout it implies, as TCP does (RFC 6298: srtt, rttvar, srtt + 4
//! rttvar) and as Nmap bounds it (`--min-rtt-timeout`, `--max-rtt-timeout`, `--initial-rtt-timeout`).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    min: Duration,
    max: Duration,
    initial: Duration,
}

impl RttEstimator {
    pub fn new(min: Duration, max: Duration, initial: Duration) -> Self {
        RttEstimator { srtt: None, rttvar: Duration::ZERO, min, max: max.max(min), initial }
    }

    pub fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(rtt);
                self.rttvar = (self.rttvar * 3 + diff) / 4;
                self.srtt = Some((srtt * 7 + rtt) / 8);
            }
        }
    }

    /// How long to wait for a reply before calling a probe lost.
    pub fn timeout(&self) -> Duration {
        match self.srtt {
            None => self.initial.clamp(self.min, self.max),
            Some(s) => (s + self.rttvar * 4).clamp(self.min, self.max),
        }
    }

    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn follows_rfc6298_and_clamps() {
        let mut e = RttEstimator::new(100 * MS, 10_000 * MS, 1000 * MS);
        assert_eq!(e.timeout(), 1000 * MS, "initial timeout before any sample");
        e.sample(200 * MS);
        assert_eq!(e.srtt(), Some(200 * MS));
        assert_eq!(e.timeout(), 600 * MS, "200 + 4 * 100");
        e.sample(100 * MS);
        // rttvar = 3/4*100 + 1/4*100 = 100; srtt = 7/8*200 + 1/8*100 = 187.5
        assert_eq!(e.srtt(), Some(Duration::from_micros(187_500)));
        let mut fast = RttEstimator::new(100 * MS, 10_000 * MS, 1000 * MS);
        fast.sample(Duration::from_micros(50));
        assert_eq!(fast.timeout(), 100 * MS, "never below --min-rtt-timeout");
        let mut slow = RttEstimator::new(100 * MS, 300 * MS, 250 * MS);
        slow.sample(2000 * MS);
        assert_eq!(slow.timeout(), 300 * MS, "never above --max-rtt-timeout");
    }
}
