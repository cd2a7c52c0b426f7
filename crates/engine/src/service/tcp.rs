//! One probe's exchange on one stream: send the payload, read until the peer closes, the probe's wait
//! ends, the size cap is reached, or what arrived already makes a hard match.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::timeout_at;

use super::SharedProbeDb;

/// What one probe got back.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    pub data: Vec<u8>,
    /// The peer closed (FIN or RST) before the wait ended.
    pub closed: bool,
    /// Time from the start of listening to the close.
    pub closed_after: Option<Duration>,
    /// The connection (or TLS handshake) failed: nothing was sent.
    pub no_connection: bool,
    /// What arrived already hard-matched (read stopped early).
    pub hard: bool,
}

/// Least time between two matching passes over a growing answer.
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// A later probe got data.
pub(crate) const LATER_ANSWERED: u8 = 1;
/// A later probe got a hard match.
pub(crate) const LATER_MATCHED: u8 = 2;

/// Limits of one read.
pub(crate) struct ReadLimits {
    pub wait: Duration,
    pub cap: usize,
    /// What later probes of the same port got (see [`LATER_ANSWERED`], [`LATER_MATCHED`]): with nothing
    /// received once they answered, or with no hard match once one of them matched, stop after `grace`.
    pub later_hit: Option<(watch::Receiver<u8>, Duration)>,
}

/// Sends `payload` (if any) and reads the answer. `probe` is the index of the probe in `db`, whose match
/// chain decides whether the data so far already makes a hard match.
pub(crate) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    payload: &[u8],
    limits: ReadLimits,
    db: &SharedProbeDb,
    probe: usize,
) -> Answer {
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + limits.wait);
    let mut ans = Answer::default();
    if !payload.is_empty() {
        // A write that fails means the peer is gone; whatever it sent before still counts, so read on.
        let _ = timeout_at(deadline, async {
            stream.write_all(payload).await?;
            stream.flush().await
        })
        .await;
    }
    let mut later_hit = limits.later_hit;
    let mut buf = vec![0u8; 8192];
    // Matching runs on the first data, then at most every CHECK_EVERY while data keeps coming, and once
    // more when a pause follows data not yet checked (a banner in two quick pieces).
    let mut last_check: Option<Instant> = None;
    let mut unchecked = false;
    while ans.data.len() < limits.cap {
        let mut until = deadline;
        let needed = if ans.data.is_empty() { LATER_ANSWERED } else { LATER_MATCHED };
        if let Some((rx, grace)) = &later_hit
            && *rx.borrow() >= needed
        {
            let g = tokio::time::Instant::from_std(start + *grace);
            until = until.min(g.max(tokio::time::Instant::now()));
        }
        let check_at = last_check.filter(|_| unchecked).map(|t| tokio::time::Instant::from_std(t + CHECK_EVERY));
        let read_until = check_at.map_or(until, |c| c.min(until));
        let room = (limits.cap - ans.data.len()).min(buf.len());
        let read = tokio::select! {
            r = timeout_at(read_until, stream.read(&mut buf[..room])) => r,
            changed = async {
                match &mut later_hit {
                    Some((rx, _)) => rx.changed().await,
                    None => std::future::pending().await,
                }
            }, if later_hit.is_some() => {
                if changed.is_err() {
                    later_hit = None;
                }
                continue;
            }
        };
        match read {
            Err(_) if unchecked && read_until < until => {
                last_check = Some(Instant::now());
                unchecked = false;
                if hard_match(db, probe, ans.data.clone()).await {
                    ans.hard = true;
                    break;
                }
            }
            Err(_) => break,
            Ok(Ok(0)) | Ok(Err(_)) => {
                ans.closed = true;
                ans.closed_after = Some(start.elapsed());
                break;
            }
            Ok(Ok(n)) => {
                ans.data.extend_from_slice(&buf[..n]);
                // A trickle of tiny reads must not turn into thousands of full matching passes.
                if last_check.is_none_or(|t| t.elapsed() >= CHECK_EVERY) {
                    last_check = Some(Instant::now());
                    unchecked = false;
                    if hard_match(db, probe, ans.data.clone()).await {
                        ans.hard = true;
                        break;
                    }
                } else {
                    unchecked = true;
                }
            }
        }
    }
    ans
}

/// Whether `data` already makes a hard match for probe `probe` (its own lines, fallbacks, NULL).
pub(crate) async fn hard_match(db: &SharedProbeDb, probe: usize, data: Vec<u8>) -> bool {
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        db.probes()
            .get(probe)
            .and_then(|p| db.match_response(p, &data, None))
            .is_some_and(|m| !m.soft)
    })
    .await
    .unwrap_or(false)
}
