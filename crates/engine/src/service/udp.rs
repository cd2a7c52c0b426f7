//! One UDP probe: a socket of its own, the payload sent once, the first datagram back (or nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use super::tcp::Answer;

pub(crate) async fn exchange(target: SocketAddr, payload: &[u8], wait: Duration, cap: usize) -> Answer {
    let start = Instant::now();
    let mut ans = Answer::default();
    let local: IpAddr = match target {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let Ok(sock) = UdpSocket::bind(SocketAddr::new(local, 0)).await else {
        ans.no_connection = true;
        return ans;
    };
    // Connected, so an ICMP port unreachable comes back as an error on receive.
    if sock.connect(target).await.is_err() || sock.send(payload).await.is_err() {
        ans.no_connection = true;
        return ans;
    }
    let mut buf = vec![0u8; cap.clamp(1, 65_536)];
    match tokio::time::timeout(wait, sock.recv(&mut buf)).await {
        Ok(Ok(n)) => ans.data.extend_from_slice(&buf[..n]),
        Ok(Err(_)) => {
            ans.closed = true;
            ans.closed_after = Some(start.elapsed());
        }
        Err(_) => {}
    }
    ans
}
