//! The history sink: every event goes to a background task that writes it into the scan history
//! (`portolan-store`), batching commits (each finished host, at least every half second) so the scan's hot
//! path only pays for a channel send. A history that cannot be opened or written is a warning on standard
//! error; the scan goes on without it.

use portolan_model::{ScanEvent, ScanPlan, ScanReport};
use portolan_store::{Location, NewScan, ScanStatus, ScanWriter, Store};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

// Nearly every message is an event; boxing them would add an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
enum Msg {
    Event(ScanEvent),
    Finish(Box<ScanReport>, ScanStatus),
}

pub(crate) struct History {
    tx: mpsc::UnboundedSender<Msg>,
    done: oneshot::Receiver<()>,
}

fn warn(what: &str) {
    eprintln!("Warning: scan history: {what}; this scan is not recorded");
}

/// How long opening a history may take before the scan starts without it (a PostgreSQL server far away).
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);

impl History {
    /// Opens the history the plan asks for and records a new running scan; `None` (after a warning) when
    /// history is off or unavailable.
    ///
    /// The writer runs on its own thread with its own small runtime: a busy scan keeps the scan's worker
    /// threads occupied, and database round trips waiting for a free worker made commits take seconds.
    pub(crate) async fn start(plan: &ScanPlan, command_line: &str, started: i64) -> Option<History> {
        if plan.no_history {
            return None;
        }
        let loc = match Location::resolve(plan.history.as_deref()) {
            Ok(Some(l)) => l,
            Ok(None) => return None,
            Err(e) => {
                warn(&e.to_string());
                return None;
            }
        };
        let scan = NewScan {
            scanner: "portolan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            args: command_line.to_owned(),
            profile: None,
            started,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
        let (done_tx, done_rx) = oneshot::channel();
        let spawned = std::thread::Builder::new().name("portolan-history".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start its thread: {e}")));
                    return;
                }
            };
            rt.block_on(async move {
                let open = async {
                    let store = Store::open_location(loc).await?;
                    store.begin_scan(scan).await
                };
                match tokio::time::timeout(OPEN_TIMEOUT, open).await {
                    Ok(Ok(w)) => {
                        let _ = ready_tx.send(Ok(()));
                        run(w, rx).await;
                    }
                    Ok(Err(e)) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                    Err(_) => {
                        let _ = ready_tx.send(Err("the database did not answer within 15 s".into()));
                    }
                }
            });
            let _ = done_tx.send(());
        });
        if let Err(e) = spawned {
            warn(&format!("cannot start its thread: {e}"));
            return None;
        }
        match ready_rx.await {
            Ok(Ok(())) => Some(History { tx, done: done_rx }),
            Ok(Err(msg)) => {
                warn(&msg);
                None
            }
            Err(_) => {
                warn("its thread stopped");
                None
            }
        }
    }

    pub(crate) fn event(&self, ev: &ScanEvent) {
        // A task that gave up (after its warning) has dropped its receiver; nothing more to do.
        let _ = self.tx.send(Msg::Event(ev.clone()));
    }

    /// Writes the final report and waits until it is committed.
    pub(crate) async fn finish(self, report: &ScanReport, interrupted: bool) {
        let status = if interrupted { ScanStatus::Interrupted } else { ScanStatus::Complete };
        let _ = self.tx.send(Msg::Finish(Box::new(report.clone()), status));
        drop(self.tx);
        let _ = self.done.await;
    }
}

async fn run(mut w: ScanWriter, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut tick = tokio::time::interval(portolan_store::COMMIT_INTERVAL / 2);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let r = tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Event(ev)) => {
                    w.buffer(&ev);
                    // Take whatever else is queued before deciding to commit: one transaction for a burst.
                    let mut finish = None;
                    while let Ok(m) = rx.try_recv() {
                        match m {
                            Msg::Event(ev) => w.buffer(&ev),
                            Msg::Finish(r, s) => { finish = Some((r, s)); break; }
                        }
                    }
                    match finish {
                        Some((r, s)) => return done(w, &r, s).await,
                        None if w.commit_due() => w.commit().await,
                        None => Ok(()),
                    }
                }
                Some(Msg::Finish(r, s)) => return done(w, &r, s).await,
                None => return,
            },
            _ = tick.tick() => w.tick().await,
        };
        if let Err(e) = r {
            eprintln!("Warning: scan history: {e}; recording stopped (what was committed stays)");
            return;
        }
    }
}

async fn done(w: ScanWriter, report: &ScanReport, status: ScanStatus) {
    if let Err(e) = w.finish(report, status).await {
        eprintln!("Warning: scan history: cannot store the final report: {e}");
    }
}
