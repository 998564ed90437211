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

use referral_protocol::{Party, ThreadStatus};

use super::record::{CaseEvent, EventSource};

/// The case's status from its history, and where it was learnt: the status
/// of the last signed event (a packet this device sealed or verified),
/// advanced by a later broker event only where the broker is the only
/// witness this device can have: `received` (the other desk's
/// acknowledgement), `expired` (nobody read it) and `forwarded` (the
/// forward travels to the third desk, not to this one), each only where the
/// lifecycle allows it. Any other broker event (an `expired` after a signed
/// `accepted`, a `completed` no packet carried) stays in the history,
/// labelled as the broker's, and changes nothing.
pub fn status(events: &[CaseEvent]) -> (ThreadStatus, EventSource) {
    let mut current = (ThreadStatus::Sent, EventSource::Packet);
    for event in events {
        match event.source {
            EventSource::Packet => current = (event.status, EventSource::Packet),
            EventSource::Broker if broker_may_advance(current.0, event.status) => {
                current = (event.status, EventSource::Broker);
            }
            EventSource::Broker => {}
        }
    }
    current
}

/// The only steps the broker alone may take a case through (see [`status`]).
fn broker_may_advance(from: ThreadStatus, to: ThreadStatus) -> bool {
    use ThreadStatus::*;
    match to {
        Received | Forwarded => from.may_become(to, Party::Recipient),
        Expired => matches!(from, Sent | Received),
        _ => false,
    }
}

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

    fn broker(status: ThreadStatus, at: i64) -> CaseEvent {
        merge(&[], &[(status, at)]).remove(0)
    }

    #[test]
    fn a_broker_event_never_overwrites_a_signed_status() {
        let mut events = vec![local(Sent, 1, None), local(Accepted, 3, None)];
        assert_eq!(status(&events), (Accepted, EventSource::Packet));
        // The broker reports `received`, then `expired`, then even
        // `completed` after the desk's signed `accepted`: all shown as the
        // broker's, none of them the case's status.
        for (s, at) in [(Received, 4), (Expired, 5), (Completed, 6)] {
            events.push(broker(s, at));
            assert_eq!(status(&events), (Accepted, EventSource::Packet), "{s}");
        }
        // A later signed packet still moves it on.
        events.push(local(Completed, 7, Some("voucher issued")));
        assert_eq!(status(&events), (Completed, EventSource::Packet));
    }

    #[test]
    fn the_broker_alone_witnesses_receipt_and_expiry() {
        let sent = local(Sent, 1, None);
        let received = [sent.clone(), broker(Received, 2)];
        assert_eq!(status(&received), (Received, EventSource::Broker));
        let expired = [sent.clone(), broker(Received, 2), broker(Expired, 3)];
        assert_eq!(status(&expired), (Expired, EventSource::Broker));
        // The forward goes to the third desk: the sender learns it from
        // the broker alone.
        let forwarded = [sent.clone(), broker(Received, 2), broker(Forwarded, 3)];
        assert_eq!(status(&forwarded), (Forwarded, EventSource::Broker));
        // A reply no packet carried is not taken from the broker.
        let claimed = [sent, broker(Completed, 2)];
        assert_eq!(status(&claimed), (Sent, EventSource::Packet));
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
