//! The TCP accept loop the feeds and the Beast input share: at most `max` clients at a time
//! (the rest are refused and logged), each served on its own task and counted while it runs.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

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
    loop {
        let (socket, peer) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(feed = name, "accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if clients.load(Ordering::Relaxed) >= max {
            tracing::warn!(feed = name, %peer, "refused: {max} clients already");
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
