//! What an appended entry changes in the broker's own tables, derived from
//! its (already verified) statement. Enrollments and rotations must approve
//! a pending request, and say exactly what it asked for: an administrator
//! approves the request whose fingerprint they compared, never keys the
//! broker or anyone else substituted.

use referral_protocol::RequestId;
use referral_protocol::directory::{Entry, Statement};
use referral_store::{
    Desk, Device, DeviceState, DirectoryEffect, Request, RequestSignatures, Store, UnixTime,
};

use crate::directory::errors::bad_entry;
use crate::error::{ApiError, Refusal};

/// The effect of `entry`, which approves `request_id` if it is an
/// enrollment or a rotation. `now` stamps the rows it creates.
pub async fn derive(
    store: &dyn Store,
    entry: &Entry,
    request_id: Option<RequestId>,
    now: UnixTime,
) -> Result<DirectoryEffect, ApiError> {
    let approves = matches!(
        entry.statement,
        Statement::DeviceEnrolled { .. } | Statement::DeviceRotated { .. }
    );
    let request = match (approves, request_id) {
        (true, Some(id)) => Some(pending(store, &id).await?),
        (true, None) => {
            return Err(Refusal::RequestRequired.into());
        }
        (false, Some(_)) => {
            return Err(Refusal::UnexpectedRequest.into());
        }
        (false, None) => None,
    };
    Ok(match &entry.statement {
        Statement::Genesis { .. } => {
            return Err(bad_entry(
                "the genesis entry is made by the bootstrap, never appended",
            ));
        }
        Statement::DeskCreated {
            desk,
            name,
            prefecture,
            languages,
        } => DirectoryEffect::CreateDesk(Desk {
            id: desk.clone(),
            name: name.clone(),
            prefecture: prefecture.clone(),
            languages: languages.clone(),
            created_at: now,
        }),
        Statement::DeviceEnrolled {
            device,
            desk,
            role,
            signing_key,
            age_recipient,
            pq_recipient,
            device_signature,
        } => {
            let request = request.expect("checked above");
            let asked = Request {
                id: request.id,
                device: *device,
                desk: desk.clone(),
                role: *role,
                signing_key: *signing_key,
                age_recipient: age_recipient.clone(),
                pq_recipient: pq_recipient.clone(),
                signatures: RequestSignatures::Enrollment {
                    device_signature: *device_signature,
                },
                created_at: request.created_at,
            };
            matches(&request, &asked)?;
            DirectoryEffect::EnrollDevice {
                device: Device {
                    id: *device,
                    desk: desk.clone(),
                    role: *role,
                    signing_key: *signing_key,
                    age_recipient: age_recipient.clone(),
                    state: DeviceState::Active,
                    created_at: now,
                },
                pq_recipient: pq_recipient.clone(),
                request: request.id,
            }
        }
        Statement::DeviceRotated {
            device,
            signing_key,
            age_recipient,
            pq_recipient,
            old_key_signature,
            new_key_signature,
        } => {
            let request = request.expect("checked above");
            // A rotation keeps the device's desk and role: those come from
            // the request as stored.
            let asked = Request {
                device: *device,
                signing_key: *signing_key,
                age_recipient: age_recipient.clone(),
                pq_recipient: pq_recipient.clone(),
                signatures: RequestSignatures::Rotation {
                    old_key_signature: *old_key_signature,
                    new_key_signature: *new_key_signature,
                },
                ..request.clone()
            };
            matches(&request, &asked)?;
            DirectoryEffect::RotateDevice {
                device: *device,
                signing_key: *signing_key,
                age_recipient: age_recipient.clone(),
                pq_recipient: pq_recipient.clone(),
                request: request.id,
            }
        }
        Statement::DeviceRevoked { device } => DirectoryEffect::RevokeDevice(*device),
        Statement::RootRotated { new_root } => DirectoryEffect::RotateRoot {
            new_root: *new_root,
        },
        Statement::TokenKeyRotated { kid, public_key } => DirectoryEffect::ActivateTokenKey {
            kid: kid.clone(),
            public_key: *public_key,
            at: now,
        },
        Statement::KeyAgePolicy { .. } | Statement::PostQuantumPolicy { .. } => {
            DirectoryEffect::None
        }
    })
}

async fn pending(store: &dyn Store, id: &RequestId) -> Result<Request, ApiError> {
    Ok(store.request(id).await?.ok_or(Refusal::UnknownRequest)?)
}

/// The entry must say exactly what the request asked for: kind, device,
/// desk, role, both keys and every signature.
fn matches(request: &Request, asked: &Request) -> Result<(), ApiError> {
    if request == asked {
        Ok(())
    } else {
        Err(Refusal::RequestMismatch.into())
    }
}
