//! Congestion control for outstanding probes: a window that grows on replies (slow start, then congestion
//! avoidance) and halves when the network shows loss.
//!
//! Evidence of loss is a reply to a *retransmitted* probe: the first try must have been dropped. A probe that
//! never gets any reply is a filtered port, not congestion, so a firewalled host does not throttle the scan.

#[derive(Debug, Clone)]
pub struct Window {
    cwnd: f64,
    ssthresh: f64,
    min: f64,
    max: f64,
}

impl Window {
    pub fn new(initial: u32, min: u32, max: u32) -> Self {
        let max = f64::from(max.max(1));
        let min = f64::from(min.max(1)).min(max);
        Window { cwnd: f64::from(initial).clamp(min, max), ssthresh: max, min, max }
    }

    /// Probes that may be outstanding now.
    pub fn allowed(&self) -> usize {
        self.cwnd as usize
    }

    pub fn on_reply(&mut self) {
        if self.cwnd < self.ssthresh {
            self.cwnd += 1.0;
        } else {
            self.cwnd += 1.0 / self.cwnd;
        }
        self.cwnd = self.cwnd.min(self.max);
    }

    pub fn on_loss(&mut self) {
        self.ssthresh = (self.cwnd / 2.0).max(self.min);
        self.cwnd = self.ssthresh;
    }

    /// Queueing delay showed the path holds fewer probes than are in flight: size the window to what the
    /// path carries without a queue (Vegas-like: in flight scaled by base / measured round trip).
    pub fn on_queueing(&mut self, in_flight: usize, base: std::time::Duration, sample: std::time::Duration) {
        if sample.is_zero() {
            return;
        }
        let fit = in_flight as f64 * base.as_secs_f64() / sample.as_secs_f64();
        let target = fit.max(self.min).min(self.cwnd);
        self.cwnd = target;
        // Growth resumes at slow-start pace up to twice the fit (the next queueing signal stops it earlier),
        // so the window settles near what the path carries instead of creeping up by one probe per round trip.
        self.ssthresh = (target * 2.0).clamp(self.min, self.max);
    }

    /// A local resource ran out (file descriptors, ephemeral ports): shrink hard and stop growing past here.
    pub fn on_local_pressure(&mut self) {
        self.max = (self.cwnd * 0.75).max(self.min);
        self.cwnd = self.max;
        self.ssthresh = self.ssthresh.min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_halves() {
        let mut w = Window::new(10, 1, 1000);
        for _ in 0..10 {
            w.on_reply();
        }
        assert_eq!(w.allowed(), 20, "slow start adds one per reply");
        w.on_loss();
        assert_eq!(w.allowed(), 10);
        for _ in 0..10 {
            w.on_reply();
        }
        assert_eq!(w.allowed(), 10, "avoidance grows by about one per window");
        for _ in 0..100 {
            w.on_reply();
        }
        assert!(w.allowed() > 10 && w.allowed() < 20);
        let mut capped = Window::new(10, 1, 12);
        for _ in 0..100 {
            capped.on_reply();
        }
        assert_eq!(capped.allowed(), 12, "never above max-parallelism");
        capped.on_local_pressure();
        assert_eq!(capped.allowed(), 9);
    }
}
