//! Whom a packet is encrypted to (SPEC §2.3): every active device of the
//! addressed desk, plus this desk's own devices so that colleagues can
//! follow the case. Keys come from the verified directory and nowhere else;
//! if the desk has no device that can be written to, the send is refused
//! rather than sent to fewer people than it should be.
//!
//! Classic or post-quantum is the directory's rule
//! ([`DirectoryState::packet_recipients`], ADR 0020 §5): hybrid keys when
//! every device has one; otherwise classic keys, with a warning naming the
//! devices that hold the packet back, or a refusal when the directory
//! requires post-quantum.

use anyhow::anyhow;
use referral_protocol::directory::{DirectoryState, PacketRecipients, PostQuantumRequired};
use referral_protocol::{DeskId, DeviceId, RecipientKey};

use crate::exit::Failure;
use crate::output;

/// The recipients of a packet from `own_desk` to `to`, at time `now`.
pub fn for_desk(
    state: &DirectoryState,
    to: &DeskId,
    own_desk: &DeskId,
    now: i64,
) -> Result<Vec<RecipientKey>, Failure> {
    if state.desk(to).is_none() {
        let text = match crate::desk_name::closest(state, to) {
            Some(near) => crate::tr!(
                "errors-no-such-desk-did-you-mean",
                desk = to.as_str(),
                near = near.as_str()
            ),
            None => crate::tr!("errors-no-such-desk", desk = to.as_str()),
        };
        return Err(Failure::User(anyhow!(text)));
    }
    if state.encryption_devices(to, now, None).is_empty() {
        return Err(Failure::User(anyhow!(
            "desk {to} has no active device whose keys can be written to now (none enrolled, \
             all revoked, or all past the maximum key age): nothing was sent. Ask an \
             administrator to enroll a device for it"
        )));
    }
    match state.packet_recipients(to, own_desk, now, None) {
        Ok(PacketRecipients::PostQuantum(keys)) => Ok(keys),
        Ok(PacketRecipients::Classic { keys, holding_back }) => {
            output::warn(&crate::tr!(
                "warn-sealed-classic",
                count = holding_back.len(),
                devices = device_list(state, &holding_back)
            ));
            Ok(keys)
        }
        Err(PostQuantumRequired { holding_back }) => Err(Failure::User(anyhow!(crate::tr!(
            "errors-post-quantum-required",
            count = holding_back.len(),
            devices = device_list(state, &holding_back)
        )))),
    }
}

/// The devices, one a line, each with its desk, for a message.
fn device_list(state: &DirectoryState, devices: &[DeviceId]) -> String {
    devices
        .iter()
        .map(|id| {
            let desk = state
                .device(id)
                .and_then(|d| d.desk.as_ref())
                .map_or("-", DeskId::as_str);
            format!("  {desk}: {id}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use referral_i18n::Lang;
    use referral_protocol::directory::{Entry, Statement, VerifiedLog, enrollment_proof};
    use referral_protocol::{AgeIdentity, RecipientKind, Role, SigningKey};

    use super::*;

    const T0: i64 = 1_767_225_600;

    /// A log with two desks and one device each; the desk's is classic
    /// only when `classic_desk`, and the policy is set when `required`.
    fn state(classic_desk: bool, required: bool) -> (DirectoryState, DeviceId) {
        let root = SigningKey::generate().unwrap();
        let mut entries = vec![
            Entry::sign(
                0,
                [0; 32],
                T0,
                Statement::Genesis {
                    root: root.verifying_key(),
                },
                &root,
                None,
            )
            .unwrap(),
        ];
        let mut push = |statement: Statement| {
            let prev = entries.last().unwrap();
            let e = Entry::sign(
                prev.seq + 1,
                prev.hash(),
                prev.time + 60,
                statement,
                &root,
                None,
            )
            .unwrap();
            entries.push(e);
        };
        for desk in ["covic-intake", "shinjuku-iea"] {
            push(Statement::DeskCreated {
                desk: desk.parse().unwrap(),
                name: desk.to_owned(),
                prefecture: None,
                languages: None,
            });
        }
        let mut desk_device = DeviceId::random();
        for (desk, hybrid) in [("covic-intake", true), ("shinjuku-iea", !classic_desk)] {
            let (id, key) = (DeviceId::random(), SigningKey::generate().unwrap());
            let desk: DeskId = desk.parse().unwrap();
            let classic = AgeIdentity::generate_classic().recipient();
            let pq = hybrid.then(|| AgeIdentity::generate_post_quantum().recipient());
            let vk = key.verifying_key();
            push(Statement::DeviceEnrolled {
                device: id,
                desk: Some(desk.clone()),
                role: Role::Desk,
                signing_key: vk,
                age_recipient: classic.clone(),
                pq_recipient: pq.clone(),
                device_signature: enrollment_proof(
                    &id,
                    Some(&desk),
                    Role::Desk,
                    &vk,
                    &classic,
                    pq.as_ref(),
                    &key,
                ),
            });
            desk_device = id;
        }
        if required {
            push(Statement::PostQuantumPolicy { required: true });
        }
        let log = VerifiedLog::from_genesis(entries, None).unwrap();
        (log.state().clone(), desk_device)
    }

    fn desks() -> (DeskId, DeskId) {
        (
            "shinjuku-iea".parse().unwrap(),
            "covic-intake".parse().unwrap(),
        )
    }

    #[test]
    fn hybrid_keys_when_every_device_has_one() {
        let (state, _) = state(false, false);
        let (to, own) = desks();
        let keys = for_desk(&state, &to, &own, T0 + 3600).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().all(|k| k.kind() == RecipientKind::PostQuantum));
    }

    #[test]
    fn classic_keys_while_one_device_has_none() {
        let (state, _) = state(true, false);
        let (to, own) = desks();
        let keys = for_desk(&state, &to, &own, T0 + 3600).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.iter().all(|k| k.kind() == RecipientKind::Classic));
    }

    #[test]
    fn under_the_policy_nothing_is_sealed_and_the_device_is_named_in_the_users_language() {
        let (state, classic) = state(true, true);
        let (to, own) = desks();
        let refusal = |lang| {
            crate::i18n::with_lang(lang, || {
                match for_desk(&state, &to, &own, T0 + 3600).unwrap_err() {
                    Failure::User(e) => e.to_string(),
                    other => panic!("a user error, not {other:?}"),
                }
            })
        };
        let en = refusal(Lang::En);
        assert!(en.contains(&format!("shinjuku-iea: {classic}")), "{en}");
        assert!(en.contains("referral rotate"), "{en}");
        let ja = refusal(Lang::Ja);
        assert!(
            ja.contains(&classic.to_string()) && ja.contains("耐量子"),
            "{ja}"
        );
    }
}
