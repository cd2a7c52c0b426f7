//! Services inside lab namespaces: the project's own tiny responder (TCP: accept, optional banner, optional
//! echo, hold for a while; UDP: answer each datagram with the banner or an echo) and real daemons started by
//! command line.
//!
//! Sockets are bound on a short-lived thread that joined the target namespace, so they belong to it; one
//! thread per lab then serves them all on a current-thread tokio runtime until the lab stops. Connections held
//! at once are capped, and every connection ends after `hold_ms`.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, watch};

use crate::LabError;
use crate::netns;
use crate::scenario::{Proto, ServiceSpec};

const MAX_HELD: usize = 4096;

#[derive(Debug)]
enum Bound {
    Tcp(std::net::TcpListener),
    Udp(std::net::UdpSocket),
}

#[derive(Debug)]
struct Responder {
    socket: Bound,
    banner: Option<Arc<[u8]>>,
    echo: bool,
    hold: Duration,
}

/// Sockets bound but not yet served.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    responders: Vec<Responder>,
}

impl Pending {
    /// Bind the sockets of one responder service inside `netns`.
    pub(crate) fn bind(
        &mut self,
        netns: &str,
        spec: &ServiceSpec,
        at: &str,
    ) -> Result<(), LabError> {
        let ip = spec.bind.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let ports = spec.ports.clone();
        let proto = spec.proto;
        let bound = netns::in_netns(
            netns,
            move || -> Result<Vec<Bound>, (u16, std::io::Error)> {
                let mut out = Vec::new();
                for p in ports {
                    let addr = SocketAddr::from((ip, p));
                    let s = match proto {
                        Proto::Tcp => std::net::TcpListener::bind(addr).map(Bound::Tcp),
                        Proto::Udp => std::net::UdpSocket::bind(addr).map(Bound::Udp),
                    }
                    .map_err(|e| (p, e))?;
                    out.push(s);
                }
                Ok(out)
            },
        )?;
        let bound = bound.map_err(|(p, source)| LabError::Io {
            what: format!("{at}: binding {proto:?} port {p} on {ip} in namespace {netns}"),
            source,
        })?;
        let banner: Option<Arc<[u8]>> = spec.banner.as_ref().map(|b| Arc::from(b.as_bytes()));
        for socket in bound {
            self.responders.push(Responder {
                socket,
                banner: banner.clone(),
                echo: spec.echo,
                hold: Duration::from_millis(spec.hold_ms),
            });
        }
        Ok(())
    }

    /// Start serving every bound socket on one thread; nothing is started when there is nothing to serve.
    pub(crate) fn serve(self, label: String) -> Result<Option<Server>, LabError> {
        if self.responders.is_empty() {
            return Ok(None);
        }
        for r in &self.responders {
            let nb = match &r.socket {
                Bound::Tcp(l) => l.set_nonblocking(true),
                Bound::Udp(u) => u.set_nonblocking(true),
            };
            nb.map_err(|source| LabError::Io {
                what: "making a responder socket non-blocking".into(),
                source,
            })?;
        }
        let (stop, mut stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread = std::thread::Builder::new()
            .name(label)
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let held = Arc::new(Semaphore::new(MAX_HELD));
                    for r in self.responders {
                        let started = match r.socket {
                            Bound::Tcp(l) => tokio::net::TcpListener::from_std(l).map(|l| {
                                tokio::spawn(tcp_loop(
                                    l,
                                    r.banner,
                                    r.echo,
                                    r.hold,
                                    Arc::clone(&held),
                                ));
                            }),
                            Bound::Udp(u) => tokio::net::UdpSocket::from_std(u).map(|u| {
                                tokio::spawn(udp_loop(u, r.banner, r.echo));
                            }),
                        };
                        if let Err(e) = started {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    }
                    let _ = ready_tx.send(Ok(()));
                    while !*stop_rx.borrow() {
                        if stop_rx.changed().await.is_err() {
                            break;
                        }
                    }
                });
                // Dropping the runtime here cancels every accept loop and held connection.
            })
            .map_err(|source| LabError::Io {
                what: "spawning the responder thread".into(),
                source,
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Some(Server {
                stop,
                thread: Some(thread),
            })),
            Ok(Err(m)) => {
                let _ = thread.join();
                Err(LabError::Io {
                    what: "starting the responders".into(),
                    source: std::io::Error::other(m),
                })
            }
            Err(_) => {
                let _ = thread.join();
                Err(LabError::Io {
                    what: "starting the responders".into(),
                    source: std::io::Error::other("responder thread ended early"),
                })
            }
        }
    }
}

async fn tcp_loop(
    l: tokio::net::TcpListener,
    banner: Option<Arc<[u8]>>,
    echo: bool,
    hold: Duration,
    held: Arc<Semaphore>,
) {
    loop {
        let Ok((mut s, _)) = l.accept().await else {
            // EMFILE and friends: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&held).try_acquire_owned() else {
            // Too many held connections: answer (banner) and close at once.
            if let Some(b) = &banner {
                let _ = s.try_write(b);
            }
            continue;
        };
        let banner = banner.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(hold, async move {
                if let Some(b) = banner {
                    s.write_all(&b).await?;
                }
                let mut buf = [0u8; 4096];
                loop {
                    let n = s.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    if echo {
                        s.write_all(&buf[..n]).await?;
                    }
                }
                Ok::<(), std::io::Error>(())
            })
            .await;
        });
    }
}

async fn udp_loop(u: tokio::net::UdpSocket, banner: Option<Arc<[u8]>>, echo: bool) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = u.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        if echo {
            let _ = u.send_to(&buf[..n], peer).await;
        } else if let Some(b) = &banner {
            let _ = u.send_to(b, peer).await;
        }
    }
}

/// The running responder thread.
#[derive(Debug)]
pub(crate) struct Server {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub(crate) fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Start a daemon inside `netns` and wait until each of its TCP ports listens.
pub(crate) fn start_daemon(netns: &str, spec: &ServiceSpec, at: &str) -> Result<Child, LabError> {
    let argv = spec.command.as_deref().unwrap_or_default();
    let mut child = Command::new("ip")
        .args(["netns", "exec", netns])
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| LabError::Io {
            what: format!("{at}: starting {argv:?} in {netns}"),
            source,
        })?;
    let deadline = Instant::now() + Duration::from_millis(spec.ready_timeout_ms);
    loop {
        let listening =
            netns::run("ip", &["netns", "exec", netns, "ss", "-Hltn"]).unwrap_or_default();
        let missing: Vec<u16> = spec
            .ports
            .iter()
            .copied()
            .filter(|p| {
                let suffix = format!(":{p}");
                !listening.lines().any(|l| {
                    l.split_whitespace()
                        .nth(3)
                        .is_some_and(|a| a.ends_with(&suffix))
                })
            })
            .collect();
        if missing.is_empty() {
            return Ok(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LabError::Daemon {
                what: format!("{at}: {argv:?} exited ({status}) before listening on {missing:?}"),
            });
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Daemon {
                what: format!(
                    "{at}: {argv:?} did not listen on {missing:?} within {} ms",
                    spec.ready_timeout_ms
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
