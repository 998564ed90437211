//! The `axum_server` acceptor that admits each accepted TCP connection
//! through the [`Gate`] before anything else (TLS included) happens on it.

use std::future::Ready;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{Gate, Permit};

/// Admits connections through a [`Gate`]; one refused is dropped, so its
/// socket is closed at once and never queued.
#[derive(Debug, Clone)]
pub struct GatedAcceptor {
    gate: Arc<Gate>,
}

impl GatedAcceptor {
    /// An acceptor admitting through `gate`.
    pub fn new(gate: Arc<Gate>) -> Self {
        Self { gate }
    }
}

impl<S> Accept<TcpStream, S> for GatedAcceptor {
    type Stream = GatedStream;
    type Service = S;
    type Future = Ready<io::Result<(GatedStream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let admitted = stream.peer_addr().and_then(|peer| {
            self.gate
                .connection(peer.ip())
                .map_err(|refusal| io::Error::other(refusal.as_str()))
        });
        std::future::ready(admitted.map(|permit| {
            (
                GatedStream {
                    inner: stream,
                    _permit: permit,
                },
                service,
            )
        }))
    }
}

/// An admitted connection: its place in the gate is given back when hyper
/// drops it.
#[derive(Debug)]
pub struct GatedStream {
    inner: TcpStream,
    _permit: Permit,
}

impl AsyncRead for GatedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for GatedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
