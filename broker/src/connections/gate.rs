//! Counting what is open, by client, against the caps.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::abuse::ClientAddress;
use crate::state::AppState;

use super::Caps;

/// Why a connection or request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// All clients together hold [`Caps::total`] connections.
    Total,
    /// This client address holds [`Caps::per_address`].
    PerAddress,
}

impl Refusal {
    /// The label `/metrics` counts it under.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::PerAddress => "per_address",
        }
    }
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<ClientAddress, usize>,
}

/// What is open now. Shared by the acceptor (connections) and the
/// forwarded-request layer (requests in flight behind a trusted proxy).
#[derive(Debug)]
pub struct Gate {
    caps: Caps,
    state: AppState,
    open: Mutex<Open>,
}

/// One admitted connection or request; dropping it gives its place back.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<Gate>,
    client: Option<ClientAddress>,
    connection: bool,
}

impl Gate {
    /// A gate with nothing open. `state` gives the address keying and the
    /// metrics.
    pub fn new(caps: Caps, state: AppState) -> Arc<Self> {
        Arc::new(Self {
            caps,
            state,
            open: Mutex::new(Open::default()),
        })
    }

    /// The caps this gate applies.
    pub fn caps(&self) -> Caps {
        self.caps
    }

    pub(super) fn state(&self) -> &AppState {
        &self.state
    }

    /// Admits a connection from `peer`, or says why not. A trusted proxy's
    /// connections count only towards the total.
    pub fn connection(self: &Arc<Self>, peer: IpAddr) -> Result<Permit, Refusal> {
        let abuse = self.state.abuse();
        let client = (!abuse.is_trusted_proxy(peer)).then(|| abuse.peer(peer));
        self.admit(client, true)
    }

    /// Admits a request for `client` that came through a trusted proxy,
    /// counted against the per-address cap only (its connection already
    /// counts towards the total).
    pub fn forwarded_request(self: &Arc<Self>, client: ClientAddress) -> Result<Permit, Refusal> {
        self.admit(Some(client), false)
    }

    fn admit(
        self: &Arc<Self>,
        client: Option<ClientAddress>,
        connection: bool,
    ) -> Result<Permit, Refusal> {
        let result = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            if connection && open.total >= self.caps.total {
                Err(Refusal::Total)
            } else if client
                .and_then(|c| open.by_client.get(&c))
                .is_some_and(|n| *n >= self.caps.per_address)
            {
                Err(Refusal::PerAddress)
            } else {
                if connection {
                    open.total += 1;
                }
                if let Some(c) = client {
                    *open.by_client.entry(c).or_default() += 1;
                }
                Ok(Permit {
                    gate: Arc::clone(self),
                    client,
                    connection,
                })
            }
        };
        match &result {
            Ok(permit) if permit.connection => self.state.metrics().connection_opened(),
            Ok(_) => {}
            Err(refusal) => self.state.metrics().connection_refused(refusal.as_str()),
        }
        result
    }

    /// Connections open now, and clients holding at least one.
    pub fn open(&self) -> (usize, usize) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        (open.total, open.by_client.len())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut open = self.gate.open.lock().unwrap_or_else(|p| p.into_inner());
            if self.connection {
                open.total -= 1;
            }
            if let Some(c) = self.client
                && let Some(n) = open.by_client.get_mut(&c)
            {
                *n -= 1;
                // An address with nothing open is forgotten at once, so the
                // table never outgrows what is open.
                if *n == 0 {
                    open.by_client.remove(&c);
                }
            }
        }
        if self.connection {
            self.gate.state.metrics().connection_closed();
        }
    }
}
