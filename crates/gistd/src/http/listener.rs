//! The listening socket, and how it stops.
//!
//! A connection a client opened before the server was told to stop may still wait in the
//! kernel's accept queue: the handshake is done and the request sent, but the process
//! has not accepted it yet. Closing the socket at that moment resets it, and the client
//! sees its request fail as if the server had crashed in the middle of it. So when the
//! shutdown signal arrives, [`DrainingListener`] first hands the server every connection
//! already queued, and only then reports that the server may stop listening. A client
//! that connects after that is refused, which tells it that its request never arrived.
//!
//! Connections keep being accepted (and answered) until the server drops the socket, a
//! moment later. One race remains, and no listening socket can avoid it: a connection
//! whose handshake completes just as the socket closes is reset, though its request never
//! reached gistd. A load balancer should stop sending to an instance before stopping it.

use axum::serve::{Listener, ListenerExt, TapIo};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What [`DrainingListener::new`] hands to `axum::serve`.
pub type ServedListener = TapIo<DrainingListener, fn(&mut TcpStream)>;

/// A TCP listener that drains its accept queue when `shutdown` completes, then completes
/// the future [`DrainingListener::new`] returned.
pub struct DrainingListener {
    listener: TcpListener,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    drained: Option<oneshot::Sender<()>>,
    #[cfg(unix)]
    queue: Option<std::net::TcpListener>,
}

impl DrainingListener {
    /// Wraps `listener`; the returned future completes once `shutdown` has completed and
    /// every connection queued at that moment has been accepted. Give it to
    /// `with_graceful_shutdown`.
    ///
    /// The listener comes wrapped in axum's [`TapIo`] (doing nothing to each connection)
    /// because axum gives handlers the peer's address (`ConnectInfo<SocketAddr>`, used by
    /// the log-in throttle) only for its own listener types.
    pub fn new(
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (ServedListener, impl Future<Output = ()> + Send + 'static) {
        let (drained, on_drained) = oneshot::channel();
        let listener = DrainingListener {
            listener,
            shutdown: Some(Box::pin(shutdown)),
            drained: Some(drained),
            #[cfg(unix)]
            queue: None,
        };
        let untouched: fn(&mut TcpStream) = |_| {};
        (listener.tap_io(untouched), async {
            let _ = on_drained.await;
        })
    }

    /// The next connection already in the kernel's queue, without waiting. The queue is
    /// read through a second handle on the same socket: tokio only tries `accept` once
    /// its reactor has seen the socket become readable, which may lag behind the queue.
    #[cfg(unix)]
    fn take_queued(&mut self) -> Option<(TcpStream, SocketAddr)> {
        use std::os::fd::AsFd;
        if self.queue.is_none() {
            let handle = self.listener.as_fd().try_clone_to_owned().ok()?;
            // The handle shares the socket's non-blocking mode: accept never waits.
            self.queue = Some(std::net::TcpListener::from(handle));
        }
        let queue = self.queue.as_ref()?;
        loop {
            match queue.accept() {
                Ok((stream, address)) => {
                    let stream = stream
                        .set_nonblocking(true)
                        .and_then(|()| TcpStream::from_std(stream));
                    match stream {
                        Ok(stream) => return Some((stream, address)),
                        Err(error) => tracing::warn!(%error, "dropped a queued connection"),
                    }
                }
                Err(error) if is_connection_error(&error) => {}
                // Empty (WouldBlock), or the process is out of file descriptors.
                Err(_) => return None,
            }
        }
    }

    /// Elsewhere the queue is not drained: the server stops as axum alone would.
    #[cfg(not(unix))]
    fn take_queued(&mut self) -> Option<(TcpStream, SocketAddr)> {
        None
    }
}

impl Listener for DrainingListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        if let Some(shutdown) = self.shutdown.as_mut() {
            tokio::select! {
                connection = accept_next(&self.listener) => return connection,
                () = shutdown => self.shutdown = None,
            }
        }
        if self.drained.is_some() {
            if let Some(queued) = self.take_queued() {
                return queued;
            }
            if let Some(drained) = self.drained.take() {
                tracing::info!("accept queue drained; closing the listener");
                let _ = drained.send(());
            }
        }
        // The server drops the listener a moment after the queue was reported empty; a
        // connection that arrives in that moment is answered rather than reset.
        accept_next(&self.listener).await
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// The next connection `listener` accepts.
async fn accept_next(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(connection) => return connection,
            // A client that gave up while queued concerns nobody.
            Err(error) if is_connection_error(&error) => {}
            // Out of file descriptors: the pause keeps the process from spinning.
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Errors that concern one connection, not the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}
