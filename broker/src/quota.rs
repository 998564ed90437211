//! The cap on what one desk can make the broker store (issue 14, item 6):
//! the packets a desk has sent that are still pending may hold at most
//! `max_pending_bytes_per_desk` bytes of ciphertext between them. Without
//! it, one desk, or one stolen device, could fill the broker's disk.
//!
//! The stored total comes from the store (`pending_bytes_sent`, one indexed
//! sum); sends of the same desk that this process is storing at the same
//! moment are not in it yet, so each send first *reserves* its size here.
//! Within one broker process the cap is therefore never exceeded: a send
//! sees every other admitted send either in the store or in the
//! reservations (counted twice, for a moment, when it is in both, which
//! errs on the side of refusing). Several brokers on one PostgreSQL
//! database do not see each other's reservations: together they may let a
//! desk over the cap by the packets the others are storing for it at that
//! moment (docs/deployment.md §6.4).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use referral_protocol::DeskId;
use referral_store::Store;

use crate::error::{ApiError, Refusal};

/// Sizes of the sends this process is storing, by sending desk.
#[derive(Debug, Clone, Default)]
pub struct PendingQuota {
    in_flight: Arc<Mutex<HashMap<DeskId, u64>>>,
}

/// A send's place under the cap, held until it is stored (or refused);
/// dropping it gives the place back.
#[derive(Debug)]
pub struct Reservation {
    in_flight: Arc<Mutex<HashMap<DeskId, u64>>>,
    desk: DeskId,
    bytes: u64,
}

impl PendingQuota {
    /// Reserves `bytes` for a send from `desk`, or refuses it with 409
    /// `pending_bytes_cap` if the desk's pending packets, those being
    /// stored and this one would together exceed `cap`.
    pub async fn reserve(
        &self,
        store: &dyn Store,
        desk: &DeskId,
        bytes: u64,
        cap: u64,
    ) -> Result<Reservation, ApiError> {
        // Reserve before reading the store, so that a concurrent send reads
        // the store after this reservation is visible to it.
        let in_flight = {
            let mut map = self.lock();
            let entry = map.entry(desk.clone()).or_insert(0);
            *entry += bytes;
            *entry
        };
        let reservation = Reservation {
            in_flight: Arc::clone(&self.in_flight),
            desk: desk.clone(),
            bytes,
        };
        let stored = store.pending_bytes_sent(desk).await?;
        if stored.saturating_add(in_flight) > cap {
            return Err(over_cap(cap));
        }
        Ok(reservation)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DeskId, u64>> {
        // The map holds plain counters, consistent after every statement, so
        // a panic elsewhere while it was held leaves nothing half-done.
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(left) = map.get_mut(&self.desk) {
            *left = left.saturating_sub(self.bytes);
            if *left == 0 {
                map.remove(&self.desk);
            }
        }
    }
}

/// The refusal ([`Refusal::PendingBytesCap`] says why it is a 409).
fn over_cap(cap: u64) -> ApiError {
    Refusal::PendingBytesCap { cap }.into()
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use referral_protocol::RefusalCode;

    use super::*;

    #[test]
    fn a_dropped_reservation_gives_its_bytes_back() {
        let quota = PendingQuota::default();
        let desk: DeskId = "covic-intake".parse().unwrap();
        let held = {
            let mut map = quota.lock();
            map.insert(desk.clone(), 10);
            Reservation {
                in_flight: Arc::clone(&quota.in_flight),
                desk: desk.clone(),
                bytes: 10,
            }
        };
        drop(held);
        assert!(quota.lock().get(&desk).is_none());
    }

    #[test]
    fn the_refusal_names_the_cap_in_bytes() {
        let err = over_cap(1 << 30);
        assert_eq!(err.status(), StatusCode::CONFLICT);
        assert_eq!(err.code(), RefusalCode::PendingBytesCap);
        assert!(format!("{err:?}").contains("1073741824"));
    }
}
