//! The scanner helper: the `portolan` binary, run as a child process. `--parse-only` checks a command line with
//! the CLI's own parser; `--stream-json` runs a scan and prints one event per line, which [`Registry`] relays.
//! Cancelling sends SIGTERM (so the helper can stop cleanly) and kills it after [`GRACE`].

use crate::error::{CommandError, ErrorCode};
use portolan_model::{EventBody, ScanEvent, ScanPlan};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;

/// How long a cancelled helper has between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(3);
/// `--parse-only` does no I/O beyond reading data files; anything slower is a stuck helper.
const PARSE_TIMEOUT: Duration = Duration::from_secs(15);
/// Standard error kept per scan; a helper printing more is cut, with a note.
const STDERR_CAP: usize = 64 * 1024;

/// Where the helper binary is: `$PORTOLAN_BIN`, else next to this executable (how the installers lay it out),
/// else `portolan` on the PATH.
pub fn helper_path() -> PathBuf {
    if let Some(p) = std::env::var_os("PORTOLAN_BIN") {
        return PathBuf::from(p);
    }
    let name = format!("portolan{}", std::env::consts::EXE_SUFFIX);
    if let Some(beside) = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(&name)))
        && beside.is_file()
    {
        return beside;
    }
    PathBuf::from(name)
}

/// What `portolan --parse-only` prints for a valid command line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedPlan {
    pub plan: ScanPlan,
    pub command_line: Vec<String>,
    /// Whether the helper binary may send raw packets (root, or CAP_NET_RAW on Linux).
    #[serde(default)]
    pub raw_privileges: bool,
    /// Without raw privileges: what is missing and how to grant it.
    #[serde(default)]
    pub privileges_note: Option<String>,
    /// What the scan will do differently, e.g. a SYN scan falling back to a connect scan.
    #[serde(default)]
    pub notices: Vec<String>,
    /// Why this scan cannot run with the helper's privileges (UDP, IP protocol and SCTP scans have no
    /// unprivileged form).
    #[serde(default)]
    pub blocked: Option<String>,
}

fn spawn_error(bin: &Path, e: std::io::Error) -> CommandError {
    CommandError::new(ErrorCode::HelperMissing, format!("cannot run the scanner {}: {e}", bin.display()))
}

/// Checks `args` with the CLI's parser.
pub async fn parse_plan(bin: &Path, args: &[String]) -> Result<ParsedPlan, CommandError> {
    let run = Command::new(bin)
        .arg("--parse-only")
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(PARSE_TIMEOUT, run)
        .await
        .map_err(|_| CommandError::new(ErrorCode::HelperFailed, "the scanner did not answer within 15 s"))?
        .map_err(|e| spawn_error(bin, e))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let msg = text.trim();
        return Err(CommandError::new(
            ErrorCode::Usage,
            if msg.is_empty() { format!("the scanner refused the command ({})", out.status) } else { msg.to_owned() },
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|_| {
        CommandError::new(ErrorCode::Usage, "this command prints information (help or version) instead of scanning")
    })
}

/// One message on a scan's channel: its events in order, then exactly one `Exit`. The TypeScript side is
/// `ScanMessage` in ui/src/lib/ipc/backend.ts.
// Messages are built once and serialised straight away; boxing the event would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScanMessage {
    Event { event: ScanEvent },
    Exit { exit: ScanExit },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanExit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Cancelled, killed, or ended without its `finished` event: the results are partial.
    pub interrupted: bool,
    pub stderr: String,
}

struct Running {
    pid: Option<u32>,
    cancelled: Arc<AtomicBool>,
    kill: Option<oneshot::Sender<()>>,
}

/// The scans running now, by id. Cloning shares the registry.
#[derive(Clone)]
pub struct Registry {
    bin: PathBuf,
    next: Arc<AtomicU64>,
    scans: Arc<Mutex<HashMap<String, Running>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("bin", &self.bin).finish_non_exhaustive()
    }
}

impl Registry {
    pub fn new(bin: PathBuf) -> Self {
        Registry { bin, next: Arc::new(AtomicU64::new(1)), scans: Arc::new(Mutex::new(HashMap::new())) }
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        // A panic while holding the lock leaves a map that is still consistent (every change is one insert or
        // remove), so a poisoned lock is used as is.
        self.scans.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts `portolan --stream-json <args>`; every event and then the exit go to `sink`, in order, from a
    /// background task. Returns the scan's id.
    pub fn start<F>(&self, args: &[String], sink: F) -> Result<String, CommandError>
    where
        F: Fn(ScanMessage) + Send + 'static,
    {
        if let Some(bad) = args.iter().find(|a| *a == "--parse-only") {
            return Err(CommandError::new(ErrorCode::Usage, format!("'{bad}' cannot be used to run a scan")));
        }
        let mut child = Command::new(&self.bin)
            .arg("--stream-json")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| spawn_error(&self.bin, e))?;
        let id = format!("scan-{}", self.next.fetch_add(1, Ordering::Relaxed));
        let cancelled = Arc::new(AtomicBool::new(false));
        let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
        self.lock().insert(id.clone(), Running { pid: child.id(), cancelled: cancelled.clone(), kill: Some(kill_tx) });

        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            self.lock().remove(&id);
            return Err(CommandError::new(ErrorCode::HelperFailed, "the scanner's output could not be read"));
        };
        let registry = self.clone();
        let task_id = id.clone();
        tokio::spawn(async move {
            let err_task = tokio::spawn(read_capped(stderr));
            let mut lines = BufReader::new(stdout).lines();
            let mut finished = false;
            let mut killed = false;
            let mut kill_open = true;
            let mut notes: Vec<String> = Vec::new();
            loop {
                tokio::select! {
                    line = lines.next_line() => match line {
                        Ok(Some(l)) if l.trim().is_empty() => {}
                        Ok(Some(l)) => match serde_json::from_str::<ScanEvent>(&l) {
                            Ok(event) => {
                                finished |= matches!(event.body, EventBody::Finished { .. });
                                sink(ScanMessage::Event { event });
                            }
                            Err(e) => notes.push(format!("portolan-desktop: ignored a line that is not an event ({e})")),
                        },
                        Ok(None) => break,
                        Err(e) => {
                            notes.push(format!("portolan-desktop: reading the scanner's output failed: {e}"));
                            break;
                        }
                    },
                    r = &mut kill_rx, if kill_open && !killed => match r {
                        Ok(()) => { killed = true; let _ = child.start_kill(); }
                        Err(_) => kill_open = false,
                    },
                }
            }
            let status = loop {
                tokio::select! {
                    s = child.wait() => break s,
                    r = &mut kill_rx, if kill_open && !killed => match r {
                        Ok(()) => { killed = true; let _ = child.start_kill(); }
                        Err(_) => kill_open = false,
                    },
                }
            };
            registry.lock().remove(&task_id);
            let mut stderr = err_task.await.unwrap_or_default();
            for n in notes {
                stderr.push_str(&n);
                stderr.push('\n');
            }
            let (code, signal) = match &status {
                Ok(s) => (s.code(), exit_signal(s)),
                Err(e) => {
                    stderr.push_str(&format!("portolan-desktop: waiting for the scanner failed: {e}\n"));
                    (None, None)
                }
            };
            let interrupted = killed || cancelled.load(Ordering::SeqCst) || !finished;
            sink(ScanMessage::Exit { exit: ScanExit { code, signal, interrupted, stderr } });
        });
        Ok(id)
    }

    /// Asks a running scan to stop: SIGTERM now (on Unix), a kill after [`GRACE`]. Its `Exit` still arrives.
    pub fn cancel(&self, id: &str) -> Result<(), CommandError> {
        let kill = {
            let mut scans = self.lock();
            let run = scans
                .get_mut(id)
                .ok_or_else(|| CommandError::new(ErrorCode::NoSuchScan, format!("no running scan with id {id}")))?;
            run.cancelled.store(true, Ordering::SeqCst);
            // The helper is not reaped before its entry is removed, so the pid cannot belong to another
            // process while the entry exists.
            #[cfg(unix)]
            if let Some(pid) = run.pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            run.kill.take()
        };
        if let Some(kill) = kill {
            let grace = if cfg!(unix) { GRACE } else { Duration::ZERO };
            tokio::spawn(async move {
                tokio::time::sleep(grace).await;
                let _ = kill.send(());
            });
        }
        Ok(())
    }

    pub fn running(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(unix)]
fn exit_signal(s: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    s.signal()
}

#[cfg(not(unix))]
fn exit_signal(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

async fn read_capped(r: impl AsyncRead + Unpin) -> String {
    let mut buf = Vec::new();
    let mut limited = r.take(STDERR_CAP as u64 + 1);
    let _ = limited.read_to_end(&mut buf).await;
    let cut = buf.len() > STDERR_CAP;
    buf.truncate(STDERR_CAP);
    // Drain the rest so a chatty helper never blocks on a full pipe.
    let mut rest = limited.into_inner();
    let _ = tokio::io::copy(&mut rest, &mut tokio::io::sink()).await;
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    if cut {
        s.push_str("\n[standard error cut at 64 KiB]\n");
    }
    s
}
