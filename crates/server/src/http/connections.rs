//! The server's connections: at most `--max-connections` at once (the next waits to be
//! accepted until one closes), and each closed after `--idle-timeout-secs` with nothing
//! read or written — a client that stalls in its headers or half-way through a body, or a
//! keep-alive connection left open, is cut off and frees its place — or when a request's
//! head (from its first byte to the blank line that ends its headers) takes longer than
//! `--header-timeout-secs`, however slowly it trickles in. (axum's server sets no header
//! deadline of its own.)

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Accepts connections within the cap; each comes with its idle timer.
pub struct GuardedListener {
    inner: TcpListener,
    places: Arc<Semaphore>,
    idle: Duration,
    header: Duration,
}

impl GuardedListener {
    pub fn new(
        inner: TcpListener,
        max_connections: usize,
        idle: Duration,
        header: Duration,
    ) -> GuardedListener {
        GuardedListener {
            inner,
            places: Arc::new(Semaphore::new(max_connections.max(1))),
            idle,
            header,
        }
    }
}

/// The peer's address of a connection (the `ConnectInfo` of every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        // Wait for a free place before taking the next connection off the queue.
        let place = match self.places.clone().acquire_owned().await {
            Ok(place) => place,
            Err(_) => std::future::pending().await,
        };
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        Guarded {
                            stream,
                            _place: place,
                            idle: self.idle,
                            deadline: Box::pin(tokio::time::sleep(self.idle)),
                            header: self.header,
                            head: Head::Waiting,
                        },
                        addr,
                    );
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, as axum does.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection holding its place, closed when idle for too long.
pub struct Guarded {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    header: Duration,
    head: Head,
}

/// Where the connection is in a request's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// Before a request's first byte (a new connection, or after an answer was written).
    Waiting,
    /// Reading a head that must end by `until`; `tail` holds its last bytes, to find the
    /// blank line across reads.
    Reading { until: Instant, tail: [u8; 3] },
    /// The head has ended: a body, or the server at work.
    Done,
}

impl Guarded {
    fn progressed(&mut self) {
        let idle_end = Instant::now() + self.idle;
        let end = match self.head {
            Head::Reading { until, .. } => idle_end.min(until),
            _ => idle_end,
        };
        self.deadline.as_mut().reset(end);
    }

    /// Follows the head through `bytes` just read.
    fn read_bytes(&mut self, bytes: &[u8]) {
        if self.head == Head::Waiting {
            self.head = Head::Reading {
                until: Instant::now() + self.header,
                tail: [0; 3],
            };
        }
        if let Head::Reading { until, tail } = self.head {
            // The blank line may straddle this read: the last 3 bytes before it, then it.
            let mut edge = [0u8; 6];
            edge[..3].copy_from_slice(&tail);
            let lead = bytes.len().min(3);
            edge[3..3 + lead].copy_from_slice(&bytes[..lead]);
            let ends = |w: &[u8]| w == b"\r\n\r\n";
            if edge[..3 + lead].windows(4).any(ends) || bytes.windows(4).any(ends) {
                self.head = Head::Done;
            } else {
                // The 3 bytes seen last, across this read and those before.
                let mut last = tail;
                for byte in bytes.iter().rev().take(3).rev() {
                    last = [last[1], last[2], *byte];
                }
                self.head = Head::Reading { until, tail: last };
            }
        }
        self.progressed();
    }

    /// What a write to the socket gave, with the connection's timers kept.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.wrote();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.stalled(cx),
        }
    }

    /// An answer went out: the next bytes start a new request.
    fn wrote(&mut self) {
        self.head = Head::Waiting;
        self.progressed();
    }

    /// `Pending` from the socket: still pending, unless the connection has been idle for
    /// too long (then an error that ends it).
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.read_bytes(&buf.filled()[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.stalled(cx),
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        self.after_write(cx, polled)
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
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.after_write(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn guarded() -> Guarded {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let mut guarded = GuardedListener::new(
            listener,
            1,
            Duration::from_secs(30),
            Duration::from_secs(10),
        );
        guarded.accept().await.0
    }

    #[tokio::test]
    async fn the_end_of_a_head_is_found_however_the_reads_split_it() {
        let head = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";
        for split in 1..head.len() {
            let mut g = guarded().await;
            g.read_bytes(&head[..split]);
            assert!(matches!(g.head, Head::Reading { .. }), "at {split}");
            g.read_bytes(&head[split..]);
            assert_eq!(g.head, Head::Done, "split at {split}");
        }
        // One byte at a time.
        let mut g = guarded().await;
        for byte in head.iter() {
            assert_ne!(g.head, Head::Done);
            g.read_bytes(&[*byte]);
        }
        assert_eq!(g.head, Head::Done);
        // A head that has not ended.
        let mut g = guarded().await;
        g.read_bytes(b"GET / HTTP/1.1\r\nhost: x\r\n");
        g.read_bytes(b"\r");
        assert!(matches!(g.head, Head::Reading { .. }));
    }
}
