//! Which TLS key exchange each connection negotiated, counted for
//! `/metrics` (ADR 0020 §9): the routing metadata in transit is protected
//! against a future quantum computer only when the group is the hybrid
//! `X25519MLKEM768`, and an operator should be able to see that it is.
//!
//! rustls with the aws-lc-rs provider offers `X25519MLKEM768` first, and the
//! CLI's client (reqwest on the same rustls) prefers it too, so between the
//! two the hybrid group is what is agreed; a client that does not know it
//! falls back to `X25519` and shows up under that name.

use std::future::Future;
use std::io;
use std::pin::Pin;

use axum_server::accept::Accept;
use rustls::NamedGroup;
use tokio_rustls::server::TlsStream;

use crate::state::AppState;

/// The words `/metrics` uses for the groups this broker offers; anything
/// else (a provider change) is `other`.
pub fn group_word(group: Option<NamedGroup>) -> &'static str {
    match group {
        Some(NamedGroup::X25519MLKEM768) => "X25519MLKEM768",
        Some(NamedGroup::X25519) => "X25519",
        Some(NamedGroup::secp256r1) => "secp256r1",
        Some(NamedGroup::secp384r1) => "secp384r1",
        Some(_) => "other",
        // A resumed session may report none.
        None => "unknown",
    }
}

/// Wraps the TLS acceptor: after each handshake, counts its group.
#[derive(Debug, Clone)]
pub struct KeyExchangeCounter<A> {
    inner: A,
    state: AppState,
}

impl<A> KeyExchangeCounter<A> {
    /// Counts the handshakes `inner` completes into `state`'s metrics.
    pub fn new(inner: A, state: AppState) -> Self {
        Self { inner, state }
    }
}

impl<A, I, S, T> Accept<I, S> for KeyExchangeCounter<A>
where
    A: Accept<I, S, Stream = TlsStream<T>>,
    A::Future: Send + 'static,
    A::Service: Send + 'static,
    T: Send + 'static,
{
    type Stream = TlsStream<T>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let handshake = self.inner.accept(stream, service);
        let state = self.state.clone();
        Box::pin(async move {
            let (stream, service) = handshake.await?;
            let group = stream.get_ref().1.negotiated_key_exchange_group();
            state
                .metrics()
                .tls_handshake(group_word(group.map(|g| g.name())));
            Ok((stream, service))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_have_stable_words() {
        assert_eq!(
            group_word(Some(NamedGroup::X25519MLKEM768)),
            "X25519MLKEM768"
        );
        assert_eq!(group_word(Some(NamedGroup::X25519)), "X25519");
        assert_eq!(group_word(Some(NamedGroup::FFDHE2048)), "other");
        assert_eq!(group_word(None), "unknown");
    }
}
