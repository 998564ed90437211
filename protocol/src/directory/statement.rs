//! The statements a directory entry can carry, their canonical encoding, and
//! the device's proof of possession that an enrollment carries.

use crate::ids::{DeskId, DeviceId};
use crate::keys::{RecipientKey, RecipientKind, SigningKey, VerifyingKey};
use crate::role::Role;

use super::error::DirectoryError;
use super::wire::{Cursor, malformed, put_opt_str8, put_str8, put_str16};

/// Prefixed to what a device signs to prove it holds the keys an enrollment
/// names. Distinct from every other signature domain, so an enrollment proof
/// can never be replayed as a packet, an auth challenge or a log entry.
pub const ENROLLMENT_DOMAIN: &[u8] = b"referral-broker device enrollment v1\0";
/// As [`ENROLLMENT_DOMAIN`], for an enrollment that also names a hybrid
/// recipient (ADR 0020): a v1 proof can never be stretched over a hybrid key
/// the device did not name.
pub const ENROLLMENT_DOMAIN_V2: &[u8] = b"referral-broker device enrollment v2\0";

/// Prefixed to what a device's old and new keys both sign to ask for a
/// rotation (ADR 0004): distinct from every other signature domain.
pub const ROTATION_DOMAIN: &[u8] = b"referral-broker device rotation v1\0";
/// As [`ROTATION_DOMAIN`], for a rotation that also names a hybrid recipient.
pub const ROTATION_DOMAIN_V2: &[u8] = b"referral-broker device rotation v2\0";

/// Longest desk display name, in bytes of UTF-8 (it is a `str8`).
pub const MAX_DESK_NAME_LEN: usize = 255;
/// Longest token key id.
pub const MAX_KID_LEN: usize = 64;

/// One change to the directory. The tag byte of each kind is fixed forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Entry 0: names the root key. Signed by that root itself.
    Genesis {
        /// The admin root's signing key, whose fingerprint clients pin.
        root: VerifyingKey,
    },
    /// A new desk.
    DeskCreated {
        /// The desk's id, unique in the log.
        desk: DeskId,
        /// Display name (1–255 bytes, no control characters, no surrounding
        /// spaces).
        name: String,
        /// ISO 3166-2:JP code, `JP-01` to `JP-47`.
        prefecture: Option<String>,
        /// Comma-separated language tags (`ja,en,vi`).
        languages: Option<String>,
    },
    /// A device joins, with its keys, approved by an administrator.
    DeviceEnrolled {
        /// The device's id, unique in the log (never reused, even after a
        /// revocation).
        device: DeviceId,
        /// Its desk; required unless the role is `admin`.
        desk: Option<DeskId>,
        /// Its role.
        role: Role,
        /// Its Ed25519 signing key.
        signing_key: VerifyingKey,
        /// Its classic (X25519) age recipient.
        age_recipient: RecipientKey,
        /// Its hybrid (ML-KEM-768 + X25519) age recipient; `None` in entries
        /// written before ADR 0020, which keep their old encoding.
        pq_recipient: Option<RecipientKey>,
        /// The device's own signature (by `signing_key`) over
        /// [`enrollment_message`]: proof that the device holds the key, so an
        /// administrator cannot enroll someone else's key by mistake.
        device_signature: [u8; 64],
    },
    /// A device replaces its keys, approved by an administrator. The device
    /// asked for it with both its old and its new key (ADR 0004), so the
    /// device need not be online when the administrator approves.
    DeviceRotated {
        /// The device.
        device: DeviceId,
        /// Its new signing key (the old one stays valid for old packets).
        signing_key: VerifyingKey,
        /// Its new classic (X25519) age recipient.
        age_recipient: RecipientKey,
        /// Its new hybrid age recipient. A device that had one must name one
        /// again: the verifier refuses a rotation back to classic only.
        pq_recipient: Option<RecipientKey>,
        /// The device's *old* signing key (the one the log holds for it
        /// before this entry) over [`rotation_message`]: the device asked.
        old_key_signature: [u8; 64],
        /// The *new* signing key over [`rotation_message`]: proof of
        /// possession.
        new_key_signature: [u8; 64],
    },
    /// A device is revoked, for good.
    DeviceRevoked {
        /// The device.
        device: DeviceId,
    },
    /// The root hands over to a new key. Signed by the current root and
    /// co-signed by the new one.
    RootRotated {
        /// The new root key.
        new_root: VerifyingKey,
    },
    /// The broker's token-signing key rotates; tokens name it by `kid`.
    TokenKeyRotated {
        /// Key id, 1–64 characters of `A-Z a-z 0-9 . _ -`, unique in the log.
        kid: String,
        /// The broker's new Ed25519 token-signing public key.
        public_key: VerifyingKey,
    },
    /// The longest a device key may be used for encryption before it must be
    /// rotated; `0` lifts the limit.
    KeyAgePolicy {
        /// Seconds since enrollment or last rotation.
        max_age_secs: u64,
    },
    /// Whether packets must be sealed post-quantum (ADR 0020 §5). From this
    /// entry's time, while `required`, clients refuse to seal classic and
    /// readers refuse classic packets signed after it.
    PostQuantumPolicy {
        /// `true` to require hybrid encryption, `false` to lift it.
        required: bool,
    },
}

mod tag {
    pub const GENESIS: u8 = 0x00;
    pub const DESK_CREATED: u8 = 0x01;
    pub const DEVICE_ENROLLED: u8 = 0x02;
    pub const DEVICE_ROTATED: u8 = 0x03;
    pub const DEVICE_REVOKED: u8 = 0x04;
    pub const ROOT_ROTATED: u8 = 0x05;
    pub const TOKEN_KEY_ROTATED: u8 = 0x06;
    pub const KEY_AGE_POLICY: u8 = 0x07;
    /// `DeviceEnrolled` with a hybrid recipient (ADR 0020).
    pub const DEVICE_ENROLLED_PQ: u8 = 0x08;
    /// `DeviceRotated` with a hybrid recipient.
    pub const DEVICE_ROTATED_PQ: u8 = 0x09;
    pub const POST_QUANTUM_POLICY: u8 = 0x0a;
}

impl Statement {
    /// A short name for the kind of statement (for listings and logs).
    pub fn kind(&self) -> &'static str {
        match self {
            Statement::Genesis { .. } => "genesis",
            Statement::DeskCreated { .. } => "desk_created",
            Statement::DeviceEnrolled { .. } => "device_enrolled",
            Statement::DeviceRotated { .. } => "device_rotated",
            Statement::DeviceRevoked { .. } => "device_revoked",
            Statement::RootRotated { .. } => "root_rotated",
            Statement::TokenKeyRotated { .. } => "token_key_rotated",
            Statement::KeyAgePolicy { .. } => "key_age_policy",
            Statement::PostQuantumPolicy { .. } => "post_quantum_policy",
        }
    }

    /// Checks the value rules the encoding relies on (lengths, formats), so
    /// that every statement that validates has exactly one encoding and
    /// decodes back to itself.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        match self {
            Statement::DeskCreated {
                name,
                prefecture,
                languages,
                ..
            } => {
                check_desk_name(name)?;
                if let Some(p) = prefecture {
                    check_prefecture(p)?;
                }
                if let Some(l) = languages {
                    check_languages(l)?;
                }
                Ok(())
            }
            Statement::TokenKeyRotated { kid, .. } => check_kid(kid),
            Statement::DeviceEnrolled {
                age_recipient,
                pq_recipient,
                ..
            }
            | Statement::DeviceRotated {
                age_recipient,
                pq_recipient,
                ..
            } => check_recipient_kinds(age_recipient, pq_recipient.as_ref()),
            // Ids and keys are parsed types: valid by construction.
            _ => Ok(()),
        }
    }

    /// Appends the canonical encoding. [`Statement::validate`] must hold.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Statement::Genesis { root } => {
                out.push(tag::GENESIS);
                out.extend_from_slice(root.as_bytes());
            }
            Statement::DeskCreated {
                desk,
                name,
                prefecture,
                languages,
            } => {
                out.push(tag::DESK_CREATED);
                put_str8(out, desk.as_str());
                put_str8(out, name);
                put_opt_str8(out, prefecture.as_deref());
                put_opt_str8(out, languages.as_deref());
            }
            Statement::DeviceEnrolled {
                device,
                desk,
                role,
                signing_key,
                age_recipient,
                pq_recipient,
                device_signature,
            } => {
                out.push(match pq_recipient {
                    None => tag::DEVICE_ENROLLED,
                    Some(_) => tag::DEVICE_ENROLLED_PQ,
                });
                put_device_fields(
                    out,
                    device,
                    desk.as_ref(),
                    *role,
                    signing_key,
                    age_recipient,
                    pq_recipient.as_ref(),
                );
                out.extend_from_slice(device_signature);
            }
            Statement::DeviceRotated {
                device,
                signing_key,
                age_recipient,
                pq_recipient,
                old_key_signature,
                new_key_signature,
            } => {
                out.push(match pq_recipient {
                    None => tag::DEVICE_ROTATED,
                    Some(_) => tag::DEVICE_ROTATED_PQ,
                });
                put_rotation_fields(
                    out,
                    device,
                    signing_key,
                    age_recipient,
                    pq_recipient.as_ref(),
                );
                out.extend_from_slice(old_key_signature);
                out.extend_from_slice(new_key_signature);
            }
            Statement::DeviceRevoked { device } => {
                out.push(tag::DEVICE_REVOKED);
                out.extend_from_slice(device.as_bytes());
            }
            Statement::RootRotated { new_root } => {
                out.push(tag::ROOT_ROTATED);
                out.extend_from_slice(new_root.as_bytes());
            }
            Statement::TokenKeyRotated { kid, public_key } => {
                out.push(tag::TOKEN_KEY_ROTATED);
                put_str8(out, kid);
                out.extend_from_slice(public_key.as_bytes());
            }
            Statement::KeyAgePolicy { max_age_secs } => {
                out.push(tag::KEY_AGE_POLICY);
                out.extend_from_slice(&max_age_secs.to_be_bytes());
            }
            Statement::PostQuantumPolicy { required } => {
                out.push(tag::POST_QUANTUM_POLICY);
                out.push(u8::from(*required));
            }
        }
    }

    /// Reads one statement, refusing unknown tags and non-canonical values.
    pub(crate) fn decode_from(r: &mut Cursor<'_>) -> Result<Self, DirectoryError> {
        let statement = match r.u8()? {
            tag::GENESIS => Statement::Genesis {
                root: VerifyingKey(r.array()?),
            },
            tag::DESK_CREATED => Statement::DeskCreated {
                desk: desk(r.str8()?)?,
                name: r.str8()?.to_owned(),
                prefecture: r.opt_str8()?.map(str::to_owned),
                languages: r.opt_str8()?.map(str::to_owned),
            },
            t @ (tag::DEVICE_ENROLLED | tag::DEVICE_ENROLLED_PQ) => {
                let device = device(r.array()?)?;
                let desk = r.opt_str8()?.map(desk).transpose()?;
                let role = Role::from_wire_code(r.u8()?).ok_or(malformed("unknown role"))?;
                Statement::DeviceEnrolled {
                    device,
                    desk,
                    role,
                    signing_key: VerifyingKey(r.array()?),
                    age_recipient: recipient(r.str8()?)?,
                    pq_recipient: opt_pq_recipient(r, t == tag::DEVICE_ENROLLED_PQ)?,
                    device_signature: r.array()?,
                }
            }
            t @ (tag::DEVICE_ROTATED | tag::DEVICE_ROTATED_PQ) => Statement::DeviceRotated {
                device: device(r.array()?)?,
                signing_key: VerifyingKey(r.array()?),
                age_recipient: recipient(r.str8()?)?,
                pq_recipient: opt_pq_recipient(r, t == tag::DEVICE_ROTATED_PQ)?,
                old_key_signature: r.array()?,
                new_key_signature: r.array()?,
            },
            tag::DEVICE_REVOKED => Statement::DeviceRevoked {
                device: device(r.array()?)?,
            },
            tag::ROOT_ROTATED => Statement::RootRotated {
                new_root: VerifyingKey(r.array()?),
            },
            tag::TOKEN_KEY_ROTATED => Statement::TokenKeyRotated {
                kid: r.str8()?.to_owned(),
                public_key: VerifyingKey(r.array()?),
            },
            tag::KEY_AGE_POLICY => Statement::KeyAgePolicy {
                max_age_secs: r.u64()?,
            },
            tag::POST_QUANTUM_POLICY => Statement::PostQuantumPolicy {
                required: r.flag()?,
            },
            _ => return Err(malformed("unknown statement tag")),
        };
        statement.validate()?;
        Ok(statement)
    }
}

/// The exact bytes a device signs to prove it holds the keys it asks to be
/// enrolled with: `ENROLLMENT_DOMAIN || device (16) || desk (opt str8) ||
/// role (u8) || signing_key (32) || age_recipient (str8)`, or, with a hybrid
/// recipient, `ENROLLMENT_DOMAIN_V2 ||` the same `|| pq_recipient (str16)`.
///
/// Binding the device id, desk and role (not just the keys) stops an
/// administrator, or a broker relaying requests, from reusing one device's
/// proof to enroll its keys under another id, desk or role.
pub fn enrollment_message(
    device: &DeviceId,
    desk: Option<&DeskId>,
    role: Role,
    signing_key: &VerifyingKey,
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(ENROLLMENT_DOMAIN_V2.len() + 2200);
    m.extend_from_slice(match pq_recipient {
        None => ENROLLMENT_DOMAIN,
        Some(_) => ENROLLMENT_DOMAIN_V2,
    });
    put_device_fields(
        &mut m,
        device,
        desk,
        role,
        signing_key,
        age_recipient,
        pq_recipient,
    );
    m
}

/// The device's proof of possession for a `DeviceEnrolled` statement, made on
/// the device with its own signing key (whose public half must be
/// `signing_key`, or the enrollment will not verify).
pub fn enrollment_proof(
    device: &DeviceId,
    desk: Option<&DeskId>,
    role: Role,
    signing_key: &VerifyingKey,
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
    key: &SigningKey,
) -> [u8; 64] {
    key.sign(&enrollment_message(
        device,
        desk,
        role,
        signing_key,
        age_recipient,
        pq_recipient,
    ))
}

/// The exact bytes both of a device's keys sign to ask for a rotation:
/// `ROTATION_DOMAIN || device (16) || old signing key (32) || new signing key
/// (32) || new age recipient (str8)`, or, with a hybrid recipient,
/// `ROTATION_DOMAIN_V2 ||` the same `|| new pq_recipient (str16)`.
///
/// Binding the old key makes the request useless once the device has rotated
/// again; the log's fresh-key rule refuses a replay of the same rotation.
pub fn rotation_message(
    device: &DeviceId,
    old_signing_key: &VerifyingKey,
    new_signing_key: &VerifyingKey,
    new_age_recipient: &RecipientKey,
    new_pq_recipient: Option<&RecipientKey>,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(ROTATION_DOMAIN_V2.len() + 2200);
    m.extend_from_slice(match new_pq_recipient {
        None => ROTATION_DOMAIN,
        Some(_) => ROTATION_DOMAIN_V2,
    });
    m.extend_from_slice(device.as_bytes());
    m.extend_from_slice(old_signing_key.as_bytes());
    m.extend_from_slice(new_signing_key.as_bytes());
    put_recipients(&mut m, new_age_recipient, new_pq_recipient);
    m
}

/// Builds a `DeviceRotated` statement on the device, signing the rotation
/// message with the old key and the new one.
pub fn rotation_request(
    device: &DeviceId,
    old_key: &SigningKey,
    new_key: &SigningKey,
    new_age_recipient: &RecipientKey,
    new_pq_recipient: Option<&RecipientKey>,
) -> Statement {
    let signing_key = new_key.verifying_key();
    let msg = rotation_message(
        device,
        &old_key.verifying_key(),
        &signing_key,
        new_age_recipient,
        new_pq_recipient,
    );
    Statement::DeviceRotated {
        device: *device,
        signing_key,
        age_recipient: new_age_recipient.clone(),
        pq_recipient: new_pq_recipient.cloned(),
        old_key_signature: old_key.sign(&msg),
        new_key_signature: new_key.sign(&msg),
    }
}

fn put_device_fields(
    out: &mut Vec<u8>,
    device: &DeviceId,
    desk: Option<&DeskId>,
    role: Role,
    signing_key: &VerifyingKey,
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
) {
    out.extend_from_slice(device.as_bytes());
    put_opt_str8(out, desk.map(DeskId::as_str));
    out.push(role.wire_code());
    out.extend_from_slice(signing_key.as_bytes());
    put_recipients(out, age_recipient, pq_recipient);
}

fn put_rotation_fields(
    out: &mut Vec<u8>,
    device: &DeviceId,
    signing_key: &VerifyingKey,
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
) {
    out.extend_from_slice(device.as_bytes());
    out.extend_from_slice(signing_key.as_bytes());
    put_recipients(out, age_recipient, pq_recipient);
}

/// The classic recipient as a `str8` (an `age1…` key is 62 bytes), then the
/// hybrid one, if any, as a `str16` (1,959 bytes). Whether the second is
/// there is told by the statement's tag or the signature's domain, never by
/// a flag byte, so an old entry's bytes are unchanged.
fn put_recipients(out: &mut Vec<u8>, age_recipient: &RecipientKey, pq: Option<&RecipientKey>) {
    put_str8(out, age_recipient.as_str());
    if let Some(pq) = pq {
        put_str16(out, pq.as_str());
    }
}

fn opt_pq_recipient(
    r: &mut Cursor<'_>,
    present: bool,
) -> Result<Option<RecipientKey>, DirectoryError> {
    if present {
        recipient(r.str16()?).map(Some)
    } else {
        Ok(None)
    }
}

/// The classic slot holds an X25519 key and the hybrid slot a hybrid one, so
/// that "every device has a hybrid key" means what it says.
fn check_recipient_kinds(
    age_recipient: &RecipientKey,
    pq_recipient: Option<&RecipientKey>,
) -> Result<(), DirectoryError> {
    if age_recipient.kind() != RecipientKind::Classic {
        return Err(malformed("age_recipient must be an X25519 (age1…) key"));
    }
    if pq_recipient.is_some_and(|pq| pq.kind() != RecipientKind::PostQuantum) {
        return Err(malformed("pq_recipient must be a hybrid (age1pq1…) key"));
    }
    Ok(())
}

fn desk(s: &str) -> Result<DeskId, DirectoryError> {
    s.parse().map_err(|_| malformed("bad desk id"))
}

fn device(bytes: [u8; 16]) -> Result<DeviceId, DirectoryError> {
    DeviceId::from_bytes(bytes).map_err(|_| malformed("bad device id"))
}

fn recipient(s: &str) -> Result<RecipientKey, DirectoryError> {
    s.parse().map_err(|_| malformed("bad age recipient"))
}

fn check_desk_name(name: &str) -> Result<(), DirectoryError> {
    // Names are shown to people choosing where to send a referral: no
    // control characters (terminal escapes), and one spelling (no padding).
    let ok = !name.is_empty()
        && name.len() <= MAX_DESK_NAME_LEN
        && name.trim() == name
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(malformed(
            "desk name must be 1-255 bytes, without control characters or surrounding spaces",
        ))
    }
}

fn check_prefecture(p: &str) -> Result<(), DirectoryError> {
    let ok = p.len() == 5
        && p.starts_with("JP-")
        && p[3..].bytes().all(|b| b.is_ascii_digit())
        && (1..=47).contains(&p[3..].parse::<u8>().unwrap_or(0));
    if ok {
        Ok(())
    } else {
        Err(malformed(
            "prefecture must be an ISO 3166-2:JP code, JP-01 to JP-47",
        ))
    }
}

fn check_languages(l: &str) -> Result<(), DirectoryError> {
    let tag_ok = |t: &str| {
        (2..=35).contains(&t.len())
            && t.as_bytes()[0].is_ascii_alphabetic()
            && !t.ends_with('-')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if l.len() <= 255 && l.split(',').all(tag_ok) {
        Ok(())
    } else {
        Err(malformed(
            "languages must be comma-separated language tags (ja,en,vi), at most 255 bytes",
        ))
    }
}

fn check_kid(kid: &str) -> Result<(), DirectoryError> {
    let ok = (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(malformed(
            "token key id must be 1-64 characters of A-Z a-z 0-9 . _ -",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AgeIdentity;

    #[test]
    fn hybrid_device_statements_round_trip_and_check_kinds() {
        let classic = AgeIdentity::generate_classic().recipient();
        let pq = AgeIdentity::generate_post_quantum().recipient();
        let enrolled = |age_recipient: &RecipientKey, pq_recipient: Option<&RecipientKey>| {
            Statement::DeviceEnrolled {
                device: DeviceId::random(),
                desk: Some("covic-intake".parse().unwrap()),
                role: Role::Desk,
                signing_key: VerifyingKey([1; 32]),
                age_recipient: age_recipient.clone(),
                pq_recipient: pq_recipient.cloned(),
                device_signature: [2; 64],
            }
        };
        let hybrid = enrolled(&classic, Some(&pq));
        assert_eq!(round_trip(&hybrid), hybrid);
        let mut out = Vec::new();
        hybrid.encode_into(&mut out);
        assert_eq!(out[0], tag::DEVICE_ENROLLED_PQ);
        let old = enrolled(&classic, None);
        let mut out = Vec::new();
        old.encode_into(&mut out);
        assert_eq!(out[0], tag::DEVICE_ENROLLED, "old entries keep their bytes");
        assert!(enrolled(&pq, None).validate().is_err());
        assert!(enrolled(&classic, Some(&classic)).validate().is_err());
        let rotated = rotation_request(
            &DeviceId::random(),
            &SigningKey::generate().unwrap(),
            &SigningKey::generate().unwrap(),
            &classic,
            Some(&pq),
        );
        assert_eq!(round_trip(&rotated), rotated);
        for required in [true, false] {
            let policy = Statement::PostQuantumPolicy { required };
            assert_eq!(round_trip(&policy), policy);
        }
    }

    fn round_trip(s: &Statement) -> Statement {
        let mut out = Vec::new();
        s.encode_into(&mut out);
        let mut r = Cursor::new(&out);
        let back = Statement::decode_from(&mut r).unwrap();
        r.finish().unwrap();
        back
    }

    fn desk_created(name: &str, prefecture: Option<&str>, languages: Option<&str>) -> Statement {
        Statement::DeskCreated {
            desk: "shinjuku-iea".parse().unwrap(),
            name: name.to_owned(),
            prefecture: prefecture.map(str::to_owned),
            languages: languages.map(str::to_owned),
        }
    }

    #[test]
    fn desk_fields_are_checked() {
        let ok = desk_created(
            "新宿区国際交流協会",
            Some("JP-13"),
            Some("ja,en,vi,zh-Hant"),
        );
        assert!(ok.validate().is_ok());
        assert_eq!(round_trip(&ok), ok);
        for bad in [
            desk_created("", None, None),
            desk_created(" padded", None, None),
            desk_created("esc\u{1b}[2J", None, None),
            desk_created(&"x".repeat(256), None, None),
            desk_created("ok", Some("JP-00"), None),
            desk_created("ok", Some("JP-48"), None),
            desk_created("ok", Some("jp-13"), None),
            desk_created("ok", Some("JP-+1"), None),
            desk_created("ok", None, Some("")),
            desk_created("ok", None, Some("ja,,en")),
            desk_created("ok", None, Some("ja, en")),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kids_are_checked() {
        let key = VerifyingKey([7; 32]);
        let s = |kid: &str| Statement::TokenKeyRotated {
            kid: kid.to_owned(),
            public_key: key,
        };
        assert!(s("2026-01.a_b").validate().is_ok());
        assert!(s("").validate().is_err());
        assert!(s("a b").validate().is_err());
        assert!(s(&"k".repeat(65)).validate().is_err());
    }

    #[test]
    fn unknown_tags_and_roles_are_refused() {
        let mut r = Cursor::new(&[0x0b]);
        assert!(Statement::decode_from(&mut r).is_err());
        let s = Statement::DeviceEnrolled {
            device: DeviceId::random(),
            desk: None,
            role: Role::Admin,
            signing_key: VerifyingKey([1; 32]),
            age_recipient: AgeIdentity::generate_classic().recipient(),
            pq_recipient: None,
            device_signature: [2; 64],
        };
        let mut out = Vec::new();
        s.encode_into(&mut out);
        // tag, device id (16), desk flag (0): the role byte is at 18.
        assert_eq!(out[18], Role::Admin.wire_code());
        out[18] = 9;
        assert!(Statement::decode_from(&mut Cursor::new(&out)).is_err());
        out[18] = Role::Admin.wire_code();
        out[17] = 2; // an option flag other than 0/1
        assert!(Statement::decode_from(&mut Cursor::new(&out)).is_err());
    }

    #[test]
    fn enrollment_proof_binds_every_field() {
        let key = SigningKey::generate().unwrap();
        let vk = key.verifying_key();
        let device = DeviceId::random();
        let desk: DeskId = "covic-intake".parse().unwrap();
        let rcpt = AgeIdentity::generate_classic().recipient();
        let pq = AgeIdentity::generate_post_quantum().recipient();
        let sig = enrollment_proof(
            &device,
            Some(&desk),
            Role::Desk,
            &vk,
            &rcpt,
            Some(&pq),
            &key,
        );
        let msg = |d, desk, role| enrollment_message(d, desk, role, &vk, &rcpt, Some(&pq));
        assert!(vk.verify(&msg(&device, Some(&desk), Role::Desk), &sig));
        let other_pq = AgeIdentity::generate_post_quantum().recipient();
        let without = enrollment_message(&device, Some(&desk), Role::Desk, &vk, &rcpt, None);
        let swapped = enrollment_message(
            &device,
            Some(&desk),
            Role::Desk,
            &vk,
            &rcpt,
            Some(&other_pq),
        );
        assert!(!vk.verify(&without, &sig));
        assert!(!vk.verify(&swapped, &sig));
        assert!(!vk.verify(&msg(&device, Some(&desk), Role::Admin), &sig));
        assert!(!vk.verify(&msg(&device, None, Role::Desk), &sig));
        assert!(!vk.verify(&msg(&DeviceId::random(), Some(&desk), Role::Desk), &sig));
    }
}
