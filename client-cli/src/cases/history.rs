//! A case's history: this device's events (with their texts) merged with
//! the broker's coarse events (ADR 0005, point 3).
//!
//! The broker knows statuses this device may not have seen: `received` when
//! the other desk acknowledged, `expired`, a reply sent from a colleague's
//! device. This device knows the texts. Each broker event is matched, in
//! order, to the next local event with the same status; a broker event with
//! no local match is inserted at its place in the broker's order. Merging a
//! merged history again changes nothing.

use std::collections::VecDeque;

use referral_protocol::ThreadStatus;

use super::record::{CaseEvent, EventSource};

/// The merged history, oldest first.
pub fn merge(local: &[CaseEvent], broker: &[(ThreadStatus, i64)]) -> Vec<CaseEvent> {
    let mut remaining: VecDeque<CaseEvent> = local.iter().cloned().collect();
    let mut merged = Vec::with_capacity(local.len() + broker.len());
    for &(status, at) in broker {
        match remaining.iter().position(|e| e.status == status) {
            Some(pos) => merged.extend(remaining.drain(..=pos)),
            None => merged.push(CaseEvent {
                status,
                at,
                desk: None,
                device: None,
                packet_id: None,
                message: None,
                reason: None,
                outcome: None,
                source: EventSource::Broker,
            }),
        }
    }
    merged.extend(remaining);
    merged
}

#[cfg(test)]
mod tests {
    use ThreadStatus::*;
    use referral_protocol::DeviceId;

    use super::*;

    fn local(status: ThreadStatus, at: i64, outcome: Option<&str>) -> CaseEvent {
        let mut e = CaseEvent::from_packet(
            status,
            at,
            &"covic-intake".parse().unwrap(),
            DeviceId::random(),
        );
        e.outcome = outcome.map(str::to_owned);
        e
    }

    fn statuses(events: &[CaseEvent]) -> Vec<(ThreadStatus, EventSource)> {
        events.iter().map(|e| (e.status, e.source)).collect()
    }

    #[test]
    fn broker_only_events_take_their_place_in_the_broker_order() {
        let mine = [
            local(Sent, 1_000, None),
            local(Accepted, 9_000, None),
            local(Completed, 20_000, Some("voucher issued")),
        ];
        let broker = [
            (Sent, 0),
            (Received, 3_600),
            (Accepted, 7_200),
            (Completed, 18_000),
        ];
        let merged = merge(&mine, &broker);
        assert_eq!(
            statuses(&merged),
            vec![
                (Sent, EventSource::Packet),
                (Received, EventSource::Broker),
                (Accepted, EventSource::Packet),
                (Completed, EventSource::Packet),
            ]
        );
        assert_eq!(merged[3].outcome.as_deref(), Some("voucher issued"));
        // Idempotent.
        assert_eq!(merge(&merged, &broker), merged);
    }

    #[test]
    fn expiry_is_learnt_from_the_broker_and_local_events_are_kept_offline() {
        let mine = [local(Sent, 1_000, None)];
        let merged = merge(&mine, &[(Sent, 0), (Expired, 2_592_000)]);
        assert_eq!(
            statuses(&merged),
            vec![(Sent, EventSource::Packet), (Expired, EventSource::Broker)]
        );
        assert_eq!(merge(&mine, &[]), mine.to_vec());
    }

    #[test]
    fn repeated_statuses_match_one_to_one() {
        let mine = [
            local(Sent, 1, None),
            local(InProgress, 3, None),
            local(InProgress, 4, None),
        ];
        let broker = [
            (Sent, 0),
            (Received, 0),
            (Accepted, 0),
            (InProgress, 0),
            (InProgress, 0),
            (InProgress, 0),
        ];
        let merged = merge(&mine, &broker);
        assert_eq!(merged.len(), 6);
        assert_eq!(
            merged
                .iter()
                .filter(|e| e.source == EventSource::Broker)
                .count(),
            3
        );
    }
}
