//! TCP accepting: the loop the feeds and the Beast input share (at most `max` clients at a
//! time, the rest refused and logged, each served on its own task and counted while it runs),
//! and the API's listener, which holds each address to a number of open connections.

use crate::logging::{left_out, Throttle};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Refusals and accept errors are logged at most this often (with a count of the rest).
const COMPLAINT_EVERY: Duration = Duration::from_secs(10);

/// Accepts clients on `listener` until `shutdown`, running `client` for each on its own task.
/// `clients` counts the ones being served; `name` labels the log lines.
pub async fn accept_clients<F, Fut>(
    name: &'static str,
    listener: TcpListener,
    max: u64,
    clients: Arc<AtomicU64>,
    shutdown: impl Future<Output = ()>,
    mut client: F,
) where
    F: FnMut(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::pin!(shutdown);
    let refusals = Throttle::new(COMPLAINT_EVERY);
    let errors = Throttle::new(COMPLAINT_EVERY);
    loop {
        let (socket, peer) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    if let Some(n) = errors.allow() {
                        tracing::warn!(feed = name, "accept: {e}{}", left_out(n));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if clients.load(Ordering::Relaxed) >= max {
            if let Some(n) = refusals.allow() {
                tracing::warn!(feed = name, %peer, "refused: {max} clients already{}", left_out(n));
            }
            continue;
        }
        clients.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(feed = name, %peer, "client connected");
        let running = client(socket);
        let clients = clients.clone();
        tokio::spawn(async move {
            running.await;
            clients.fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(feed = name, %peer, "client left");
        });
    }
}

/// The API's listener: at most `per_ip` open connections from one address. The one past the
/// limit is closed as soon as it is accepted (counted in `refused`), so one host opening
/// thousands of connections cannot take the file descriptors and the CPU the others need.
pub struct PerIpListener {
    inner: TcpListener,
    per_ip: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    refused: Arc<AtomicU64>,
    refusals: Throttle,
    errors: Throttle,
}

impl PerIpListener {
    pub fn new(inner: TcpListener, per_ip: usize, refused: Arc<AtomicU64>) -> Self {
        Self {
            inner,
            per_ip,
            open: Arc::default(),
            refused,
            refusals: Throttle::new(COMPLAINT_EVERY),
            errors: Throttle::new(COMPLAINT_EVERY),
        }
    }

    /// Takes a slot for `ip`'s host, or none if it has `per_ip` connections open.
    fn slot(&self, ip: IpAddr) -> Option<Slot> {
        let ip = host_of(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.per_ip {
            return None;
        }
        *n += 1;
        Some(Slot {
            ip,
            open: self.open.clone(),
        })
    }
}

impl axum::serve::Listener for PerIpListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let (stream, peer) = match self.inner.accept().await {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    if let Some(n) = self.errors.allow() {
                        tracing::warn!("API accept: {e}{}", left_out(n));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match self.slot(peer.ip()) {
                Some(slot) => {
                    return (
                        Counted {
                            stream,
                            _slot: slot,
                        },
                        peer,
                    )
                }
                None => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    if let Some(n) = self.refusals.allow() {
                        tracing::warn!(
                            %peer,
                            "API connection refused: {} open from this address already{}",
                            self.per_ip,
                            left_out(n)
                        );
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The key a connection is counted under: an IPv4 address (also when mapped into IPv6), or an
/// IPv6 address's /64 (one host may use any address of its network's prefix).
fn host_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

/// One open connection's place in its address's count, given back when it closes.
struct Slot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// An accepted API connection that holds its slot until it is dropped.
pub struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;

    #[tokio::test]
    async fn one_address_holds_at_most_its_limit_and_a_closed_one_frees_its_slot() {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        let refused = Arc::new(AtomicU64::new(0));
        let mut l = PerIpListener::new(l, 2, refused.clone());
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(TcpStream::connect(addr).await.expect("connect"));
        }
        let (a, _) = l.accept().await;
        let (b, _) = l.accept().await;
        // The third is refused: accepting again waits for a fourth, which comes after `a`
        // closes.
        let pending = tokio::time::timeout(Duration::from_millis(200), l.accept()).await;
        assert!(
            pending.is_err(),
            "a third connection from one address was accepted"
        );
        assert_eq!(refused.load(Ordering::Relaxed), 1);
        drop(a);
        clients.push(TcpStream::connect(addr).await.expect("connect"));
        let (c, _) = tokio::time::timeout(Duration::from_secs(2), l.accept())
            .await
            .expect("a freed slot is taken again");
        drop((b, c));
        assert!(
            l.open.lock().expect("lock").is_empty(),
            "every slot given back"
        );
    }

    #[test]
    fn ipv6_hosts_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::10".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::99".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::10".parse().expect("ip");
        assert_eq!(host_of(a), host_of(b));
        assert_ne!(host_of(a), host_of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(host_of(mapped), "192.0.2.7".parse::<IpAddr>().expect("ip"));
    }
}
