//! Fixed keys and names shared by the targets and the seed generator.
//!
//! They are constants, not generated per run, so that the sealed packets in
//! the checked-in corpus stay openable by the `envelope` target: a seed is
//! only useful if the harness holds the key it was encrypted to and knows
//! the key it was signed with. They protect nothing and must never be used
//! outside the fuzz harness.

use std::sync::OnceLock;

use referral_protocol::{AgeIdentity, DeskId, DeviceId, KnownSenders, RecipientKey, SigningKey};

/// An Ed25519 key as a PKCS#8 v2 document (`ring`'s format: seed and public
/// key), made once for the harness.
const SIGNING_PKCS8_HEX: &str = "3051020101300506032b657004220420b66198f1e2eb16e53cf7e3d224d167c0\
                                 9617dfff22c0139e10dfb6ac82685174812100a1c827d1f59ecc02575dd526a6\
                                 95bfa39973065475214a07c803ea47dfc8821e";

/// An age X25519 identity made once for the harness. It stays classic: the
/// checked-in corpus was sealed to it.
const AGE_IDENTITY: &str =
    "AGE-SECRET-KEY-1ZQAUSMFX7EA2VRA7FXUPSD0Y82RPXUEUHS2DZFA3KRMS46D5DF7SC60NRP";

/// The sending device of every seed packet.
pub const SENDER_DEVICE: &str = "5f0c2a8e-3b7d-4e19-a6c4-1d2e3f405162";
/// Its desk.
pub const SENDER_DESK: &str = "fuzz-sender";
/// The desk the seed packets are addressed to.
pub const RECIPIENT_DESK: &str = "fuzz-recipient";

/// The sender's signing key.
pub fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let hex: Vec<u8> = SIGNING_PKCS8_HEX.bytes().collect();
        let doc: Vec<u8> = hex
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).expect("hex is ASCII");
                u8::from_str_radix(text, 16).expect("the constant is hex")
            })
            .collect();
        SigningKey::from_pkcs8(&doc).expect("the constant is a valid PKCS#8 Ed25519 key")
    })
}

/// The reader's age identity: every packet the `envelope` target builds is
/// encrypted to it.
pub fn identity() -> &'static AgeIdentity {
    static ID: OnceLock<AgeIdentity> = OnceLock::new();
    ID.get_or_init(|| {
        AGE_IDENTITY
            .parse()
            .expect("the constant is an age identity")
    })
}

/// The reader's recipient key, as a signed recipient list names it.
pub fn recipient() -> RecipientKey {
    identity().recipient()
}

/// The sending device.
pub fn sender_device() -> DeviceId {
    SENDER_DEVICE.parse().expect("the constant is a v4 UUID")
}

/// The sending desk.
pub fn sender_desk() -> DeskId {
    SENDER_DESK.parse().expect("the constant is a desk id")
}

/// The addressed desk.
pub fn recipient_desk() -> DeskId {
    RECIPIENT_DESK.parse().expect("the constant is a desk id")
}

/// The verified directory as far as opening needs it: the one sender above.
pub fn known_senders() -> KnownSenders {
    let mut senders = KnownSenders::new();
    senders.add(
        sender_device(),
        sender_desk(),
        signing_key().verifying_key(),
    );
    senders
}

/// Identities that are not the reader's, generated once per process, to
/// add as extra recipients: their number, not their value, changes the age
/// header's length.
pub fn other_identities() -> &'static [AgeIdentity] {
    static IDS: OnceLock<Vec<AgeIdentity>> = OnceLock::new();
    IDS.get_or_init(|| (0..3).map(|_| AgeIdentity::generate_classic()).collect())
}

/// A key no packet is ever encrypted to, so it must never decrypt one.
pub fn stranger() -> &'static age::x25519::Identity {
    static ID: OnceLock<age::x25519::Identity> = OnceLock::new();
    // age 0.13 deprecates making X25519 keys; the harness checks X25519
    // headers, so it makes one.
    #[allow(deprecated)]
    ID.get_or_init(age::x25519::Identity::generate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_well_formed() {
        assert_eq!(
            signing_key().verifying_key().to_string(),
            "ocgn0fWezAJXXdUmppW/o5lzBlR1IUoHyAPqR9/Igh4="
        );
        assert_eq!(
            recipient().as_str(),
            "age13gq84h5ysgztkjvuf67jh8kahnrk9lj6lpd9s50z809vjfu2j98q4d7h7f"
        );
        assert_eq!(sender_device().to_string(), SENDER_DEVICE);
        let _ = (sender_desk(), recipient_desk(), known_senders());
    }
}
