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
                    // Small frames (a delta, a ping's answer) go at once, not after the
                    // previous segment's ACK.
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(%peer, "TCP_NODELAY: {e}");
                    }
                    return (
                        Counted {
                            stream,
                            _slot: slot,
                        },
                        peer,
                    );
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

/// How long a client has to send a request's head, and how long a kept-alive connection may
/// sit idle between requests, before its connection is closed: a client that trickles a
/// header a byte at a time, or opens connections and sends nothing, holds none of the API's
/// connection slots for long. Generous for anything on a LAN; an Engine.IO long-poll waits
/// after its head has arrived, so it is not cut short.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` over HTTP/1.1 (with upgrades, for WebSocket) on the connections `listener`
/// accepts, until `shutdown` completes; then the idle connections close, the ones in the
/// middle of a request finish it, and this returns once they have. Upgraded connections are
/// the application's to close (the Socket.IO layer closes its own before `shutdown` ends).
pub async fn serve_http(
    mut listener: PerIpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    use axum::serve::Listener;
    use hyper_util::rt::{TokioIo, TokioTimer};

    // The connections watch `stop`; each holds a clone of `open` while it runs, so the end of
    // them all is `open_tx.closed()`.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let (open_tx, open_rx) = tokio::sync::watch::channel(());
    // Handlers built once (as axum::serve does per connection), not at every request.
    let router = router.with_state(());
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        tracing::trace!(%peer, "API connection accepted");
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let (mut stop, open) = (stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let conn = http
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, "HTTP connection ended: {e}");
            }
            drop(open);
        });
    }
    // New clients are refused while the rest drain, rather than left waiting.
    drop(listener);
    let _ = stop_tx.send(());
    drop((stop_rx, open_rx));
    if tokio::time::timeout(SHUTDOWN_DRAIN, open_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still running after {SHUTDOWN_DRAIN:?}: left unfinished");
    }
}

/// How long a shutdown waits for requests in flight (a body still arriving) to finish.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

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

    /// On paused time: a client that sends part of a request's head and then nothing is
    /// closed after [`HEADER_READ_TIMEOUT`]; a whole request is answered at once, and its
    /// kept-alive connection closes after the same idle time; shutdown ends the server.
    #[tokio::test(start_paused = true)]
    async fn a_request_head_that_never_ends_is_closed_and_a_whole_one_answered() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::time::Instant;
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        let l = PerIpListener::new(l, 8, Arc::default());
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_http(l, router, async {
            let _ = stop_rx.await;
        }));

        let t0 = Instant::now();
        let mut slow = TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET / HTTP/1.1\r\nHost: skyspy\r\n")
            .await
            .expect("write");
        let mut rest = Vec::new();
        // Closed (an error if it was reset); a timeout here is a connection held forever.
        let _ = tokio::time::timeout(HEADER_READ_TIMEOUT * 3, slow.read_to_end(&mut rest)).await;
        let held = t0.elapsed();
        assert!(
            (HEADER_READ_TIMEOUT..HEADER_READ_TIMEOUT * 2).contains(&held),
            "an unfinished head held its connection for {held:?}"
        );

        // The exchange runs on a blocking thread: while it runs, paused time cannot jump to
        // the header timer before the loopback bytes are seen (tokio's auto-advance rule).
        let t1 = Instant::now();
        let (whole, mut answer) = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(addr).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            s.write_all(b"GET / HTTP/1.1\r\nHost: skyspy\r\n\r\n")
                .expect("write");
            let (mut answer, mut chunk) = (Vec::new(), [0u8; 1024]);
            while !answer.ends_with(b"ok") {
                let n = s.read(&mut chunk).expect("read");
                assert!(n > 0, "closed before the answer: {answer:?}");
                answer.extend_from_slice(&chunk[..n]);
            }
            s.set_nonblocking(true).expect("nonblocking");
            (s, answer)
        })
        .await
        .expect("client");
        assert!(answer.starts_with(b"HTTP/1.1 200 OK"), "{answer:?}");
        assert!(
            t1.elapsed() < Duration::from_secs(1),
            "answered after {:?}",
            t1.elapsed()
        );
        let mut whole = TcpStream::from_std(whole).expect("tokio stream");
        let t2 = Instant::now();
        let _ = tokio::time::timeout(HEADER_READ_TIMEOUT * 3, whole.read_to_end(&mut answer)).await;
        let idle = t2.elapsed();
        assert!(
            (HEADER_READ_TIMEOUT..HEADER_READ_TIMEOUT * 2).contains(&idle),
            "an idle kept-alive connection stayed {idle:?}"
        );

        stop_tx.send(()).expect("server running");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server ends at shutdown")
            .expect("no panic");
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
