//! The key-less rule for a rewrap's new age header (ADR 0004, point 5; issue
//! 14, item 5): it replaces exactly one recipient stanza of the stored header
//! with one of the same kind (`X25519` or `mlkem768x25519`).
//!
//! Every device of the recipient desk can unwrap the file key, so any of them
//! could write a header that drops, rewrites or reorders its colleagues'
//! stanzas and cut them off the packet. The broker cannot decrypt, but it can
//! compare the two headers byte for byte:
//!
//! - the version line and every stanza but one are identical, in order, and
//!   there are as many stanzas as before (none added, none dropped);
//! - the one stanza that differs is a recipient stanza of the same kind in
//!   both headers: X25519 for X25519, mlkem768x25519 for mlkem768x25519 (the
//!   grease stanza stays as the sender wrote it, and a hybrid packet cannot
//!   be downgraded to a classic stanza, nor the reverse);
//! - both headers pass the broker's header check on their own, so the new
//!   one does not mix kinds either;
//! - the MAC line differs: the MAC covers the stanzas, so a header with a new
//!   stanza and the old MAC cannot be valid. Whether the new MAC is *right*
//!   needs the file key, which only the recipients hold.
//!
//! The payload rule (everything after the header byte-identical) is checked
//! by the broker against the stored chunks, since the payload may be far too
//! large to hold here.

use crate::header_check::{
    HeaderError, HeaderLayout, HeaderLimits, RecipientStanzaKind, header_layout,
};
use crate::refusal::RefusalCode;

/// Why a rewrap's new header is refused. Each variant has a stable
/// [`RewrapRuleError::code`] for the broker's JSON errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewrapRuleError {
    /// One of the two headers does not pass the key-less check.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// Stanzas were added or dropped.
    #[error("a rewrap must keep every stanza: the header had {before} stanzas and now has {after}")]
    StanzaCount {
        /// Stanzas in the stored header.
        before: usize,
        /// Stanzas in the new header.
        after: usize,
    },
    /// More than one stanza differs (two rewritten, or two swapped).
    #[error("a rewrap may replace one stanza; {changed} differ from the stored header")]
    MoreThanOne {
        /// How many stanzas differ.
        changed: usize,
    },
    /// No stanza differs: nothing to rewrap.
    #[error("the new header replaces no stanza")]
    NoneReplaced,
    /// The replaced stanza, or its replacement, is not a recipient stanza, or
    /// the two are of different kinds.
    #[error(
        "a rewrap may replace a recipient stanza with one of the same kind only (X25519 with X25519, mlkem768x25519 with mlkem768x25519)"
    )]
    KindChanged {
        /// The replaced stanza's kind (`None`: the grease stanza).
        before: Option<RecipientStanzaKind>,
        /// The replacement's kind (`None`: a grease stanza).
        after: Option<RecipientStanzaKind>,
    },
    /// A stanza changed but the MAC line did not, so the MAC cannot verify.
    #[error("the header MAC was not recomputed for the new stanza")]
    MacUnchanged,
}

impl RewrapRuleError {
    /// The refusal the broker answers this with.
    pub fn refusal_code(&self) -> RefusalCode {
        match self {
            Self::Header(e) => e.refusal_code(),
            Self::StanzaCount { .. } => RefusalCode::RewrapStanzaCount,
            Self::MoreThanOne { .. } => RefusalCode::RewrapMoreThanOneStanza,
            Self::NoneReplaced => RefusalCode::RewrapNoStanzaReplaced,
            // The wire word predates hybrid stanzas; it still names the
            // refusal of a stanza the rewrap may not put there.
            Self::KindChanged { .. } => RefusalCode::RewrapNotX25519,
            Self::MacUnchanged => RefusalCode::RewrapMacUnchanged,
        }
    }

    /// A stable machine-readable code (the wire word of
    /// [`RewrapRuleError::refusal_code`]).
    pub fn code(&self) -> &'static str {
        self.refusal_code().as_str()
    }
}

/// Checks that the age header at the start of `new` replaces exactly one
/// recipient stanza of the header at the start of `stored` with one of the
/// same kind, and changes nothing else but the MAC line. Both may be followed by any part of their payload;
/// only the headers are compared.
pub fn check_one_stanza_replaced(
    stored: &[u8],
    new: &[u8],
    limits: &HeaderLimits,
) -> Result<(), RewrapRuleError> {
    let before = header_layout(stored, limits)?;
    let after = header_layout(new, limits)?;
    if before.stanzas.len() != after.stanzas.len() {
        return Err(RewrapRuleError::StanzaCount {
            before: before.stanzas.len(),
            after: after.stanzas.len(),
        });
    }
    // Both headers passed the check, so both start with the one v1 version
    // line; the stanzas are all that remains before the MAC line.
    let changed: Vec<usize> = (0..before.stanzas.len())
        .filter(|&i| stanza(stored, &before, i) != stanza(new, &after, i))
        .collect();
    let index = match changed.as_slice() {
        [] => return Err(RewrapRuleError::NoneReplaced),
        [one] => *one,
        more => {
            return Err(RewrapRuleError::MoreThanOne {
                changed: more.len(),
            });
        }
    };
    let kinds = (
        before.recipient_kind(stored, index),
        after.recipient_kind(new, index),
    );
    if kinds.0.is_none() || kinds.0 != kinds.1 {
        return Err(RewrapRuleError::KindChanged {
            before: kinds.0,
            after: kinds.1,
        });
    }
    if stored[before.mac_line.clone()] == new[after.mac_line.clone()] {
        return Err(RewrapRuleError::MacUnchanged);
    }
    Ok(())
}

fn stanza<'a>(header: &'a [u8], layout: &HeaderLayout, index: usize) -> &'a [u8] {
    &header[layout.stanzas[index].clone()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrap::rewrap_header;

    /// An age header to `identities`, in order (age adds a grease stanza).
    fn header_to(identities: &[&age::x25519::Identity]) -> Vec<u8> {
        let recipients: Vec<_> = identities.iter().map(|i| i.to_public()).collect();
        header_for(recipients.iter().map(|r| r as &dyn age::Recipient))
    }

    /// Rebuilds `header` from its version line, the given stanzas and a MAC
    /// line (a header the broker's check accepts; the MAC is not verified).
    fn assemble(header: &[u8], stanzas: &[Vec<u8>], mac_line: &[u8]) -> Vec<u8> {
        let layout = header_layout(header, &HeaderLimits::default()).unwrap();
        let mut out = header[..layout.stanzas[0].start].to_vec();
        for s in stanzas {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(mac_line);
        out
    }

    fn parts(header: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let layout = header_layout(header, &HeaderLimits::default()).unwrap();
        let stanzas = layout
            .stanzas
            .iter()
            .map(|r| header[r.clone()].to_vec())
            .collect();
        (stanzas, header[layout.mac_line].to_vec())
    }

    struct Desk {
        me: age::x25519::Identity,
        colleague: age::x25519::Identity,
        current: age::x25519::Identity,
        stored: Vec<u8>,
    }

    #[allow(deprecated)] // age 0.13 deprecates X25519; classic desks still use it.
    fn desk() -> Desk {
        let me = age::x25519::Identity::generate();
        let colleague = age::x25519::Identity::generate();
        let stored = header_to(&[&colleague, &me]);
        Desk {
            me,
            colleague,
            current: age::x25519::Identity::generate(),
            stored,
        }
    }

    fn classic(id: &age::x25519::Identity) -> crate::keys::AgeIdentity {
        crate::keys::AgeIdentity::Classic(id.clone())
    }

    fn check(stored: &[u8], new: &[u8]) -> Result<(), RewrapRuleError> {
        check_one_stanza_replaced(stored, new, &HeaderLimits::default())
    }

    #[test]
    fn the_client_rewrap_replaces_one_stanza() {
        let d = desk();
        let new = rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap();
        assert_eq!(check(&d.stored, &new), Ok(()));
        // Followed by payload bytes, as the broker passes them.
        let with_payload = [new.as_slice(), &[7; 64]].concat();
        assert_eq!(check(&d.stored, &with_payload), Ok(()));
    }

    #[test]
    fn dropping_a_colleagues_stanza_is_refused() {
        let d = desk();
        let new = rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap();
        let (mut stanzas, mac) = parts(&new);
        let (untouched, _) = parts(&d.stored);
        // The colleague's stanza: X25519 and as the sender wrote it.
        let colleague = stanzas
            .iter()
            .position(|s| s.starts_with(b"-> X25519 ") && untouched.contains(s))
            .unwrap();
        stanzas.remove(colleague);
        assert_eq!(
            check(&d.stored, &assemble(&new, &stanzas, &mac)),
            Err(RewrapRuleError::StanzaCount {
                before: 3,
                after: 2
            })
        );
    }

    #[test]
    fn adding_a_stanza_is_refused() {
        let d = desk();
        let (mut stanzas, mac) =
            parts(&rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap());
        let (extra, _) = parts(&header_to(&[&d.current]));
        stanzas.push(extra[0].clone());
        assert_eq!(
            check(&d.stored, &assemble(&d.stored, &stanzas, &mac)),
            Err(RewrapRuleError::StanzaCount {
                before: 3,
                after: 4
            })
        );
    }

    #[test]
    #[allow(deprecated)] // age 0.13 deprecates X25519; classic desks still use it.
    fn rewriting_two_stanzas_is_refused() {
        let d = desk();
        // Mine moved to my current key, then my colleague's moved to a key
        // I hold: each step alone is one stanza, together two.
        let mine = rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap();
        let stolen = age::x25519::Identity::generate();
        let both = rewrap_header(&mine, &classic(&d.colleague), &classic(&stolen)).unwrap();
        assert_eq!(check(&mine, &both), Ok(()));
        assert_eq!(
            check(&d.stored, &both),
            Err(RewrapRuleError::MoreThanOne { changed: 2 })
        );
    }

    #[test]
    fn reordering_stanzas_is_refused() {
        let d = desk();
        let (mut stanzas, mac) = parts(&d.stored);
        let x25519: Vec<usize> = (0..stanzas.len())
            .filter(|&i| stanzas[i].starts_with(b"-> X25519 "))
            .collect();
        stanzas.swap(x25519[0], x25519[1]);
        let (_, new_mac) =
            parts(&rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap());
        assert_ne!(mac, new_mac);
        assert_eq!(
            check(&d.stored, &assemble(&d.stored, &stanzas, &new_mac)),
            Err(RewrapRuleError::MoreThanOne { changed: 2 })
        );
    }

    #[test]
    fn an_unchanged_header_replaces_nothing() {
        let d = desk();
        assert_eq!(
            check(&d.stored, &d.stored),
            Err(RewrapRuleError::NoneReplaced)
        );
    }

    #[test]
    fn a_new_stanza_under_the_old_mac_is_refused() {
        let d = desk();
        let (_, old_mac) = parts(&d.stored);
        let (stanzas, _) =
            parts(&rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap());
        assert_eq!(
            check(&d.stored, &assemble(&d.stored, &stanzas, &old_mac)),
            Err(RewrapRuleError::MacUnchanged)
        );
    }

    #[test]
    fn the_grease_stanza_cannot_be_replaced() {
        let d = desk();
        let (mut stanzas, _) = parts(&d.stored);
        let grease = stanzas
            .iter()
            .position(|s| !s.starts_with(b"-> X25519 "))
            .expect("age writes a grease stanza");
        let (extra, _) = parts(&header_to(&[&d.current]));
        let x25519 = extra.iter().find(|s| s.starts_with(b"-> X25519 ")).unwrap();
        stanzas[grease] = x25519.clone();
        let (_, new_mac) =
            parts(&rewrap_header(&d.stored, &classic(&d.me), &classic(&d.current)).unwrap());
        assert_eq!(
            check(&d.stored, &assemble(&d.stored, &stanzas, &new_mac)),
            Err(RewrapRuleError::KindChanged {
                before: None,
                after: Some(RecipientStanzaKind::X25519),
            })
        );
    }

    /// An age header to hybrid post-quantum `recipients`, in order.
    fn hybrid_header_to(recipients: &[age::pq::Recipient]) -> Vec<u8> {
        header_for(recipients.iter().map(|r| r as &dyn age::Recipient))
    }

    /// An age header to one new X25519 recipient.
    #[allow(deprecated)] // age 0.13 deprecates X25519; classic packets still use it.
    fn classic_header() -> Vec<u8> {
        let recipient = age::x25519::Identity::generate().to_public();
        header_for(std::iter::once(&recipient as &dyn age::Recipient))
    }

    fn header_for<'a>(recipients: impl Iterator<Item = &'a dyn age::Recipient>) -> Vec<u8> {
        let mut file = Vec::new();
        age::Encryptor::with_recipients(recipients)
            .unwrap()
            .wrap_output(&mut file)
            .unwrap()
            .finish()
            .unwrap();
        let len = crate::age_header_len(&file).unwrap();
        file.truncate(len);
        file
    }

    fn hybrid_recipients(n: usize) -> Vec<age::pq::Recipient> {
        (0..n)
            .map(|_| age::pq::Identity::generate().to_public())
            .collect()
    }

    /// The first stanza of `header` with this tag prefix, and its index.
    fn first_stanza(header: &[u8], prefix: &[u8]) -> (usize, Vec<u8>) {
        let (stanzas, _) = parts(header);
        let index = stanzas.iter().position(|s| s.starts_with(prefix)).unwrap();
        (index, stanzas[index].clone())
    }

    /// `stored` with its stanza at the first `from` tag replaced by the first
    /// stanza with the `to` tag of `donor`, under the donor's MAC line (a new
    /// MAC, as a real rewrap writes; the rule cannot verify it anyway).
    fn splice(stored: &[u8], from: &[u8], donor: &[u8], to: &[u8]) -> Vec<u8> {
        let (mut stanzas, _) = parts(stored);
        let (index, _) = first_stanza(stored, from);
        stanzas[index] = first_stanza(donor, to).1;
        let (_, mac) = parts(donor);
        assemble(stored, &stanzas, &mac)
    }

    const HYBRID: &[u8] = b"-> mlkem768x25519 ";
    const CLASSIC: &[u8] = b"-> X25519 ";

    #[test]
    fn a_hybrid_stanza_replaced_by_a_hybrid_stanza_is_accepted() {
        let stored = hybrid_header_to(&hybrid_recipients(2));
        let donor = hybrid_header_to(&hybrid_recipients(1));
        let new = splice(&stored, HYBRID, &donor, HYBRID);
        assert_eq!(check(&stored, &new), Ok(()));
    }

    #[test]
    fn two_hybrid_stanzas_replaced_are_refused() {
        let stored = hybrid_header_to(&hybrid_recipients(2));
        let donor = hybrid_header_to(&hybrid_recipients(2));
        let (mut stanzas, _) = parts(&stored);
        let (donated, mac) = parts(&donor);
        for (i, s) in stanzas.iter_mut().enumerate() {
            if s.starts_with(HYBRID) {
                *s = donated[i].clone();
            }
        }
        assert_eq!(
            check(&stored, &assemble(&stored, &stanzas, &mac)),
            Err(RewrapRuleError::MoreThanOne { changed: 2 })
        );
    }

    #[test]
    fn a_lone_hybrid_stanza_cannot_become_classic() {
        let stored = hybrid_header_to(&hybrid_recipients(1));
        let new = splice(&stored, HYBRID, &classic_header(), CLASSIC);
        // The new header alone is a valid classic header: only the rule
        // stops the downgrade.
        assert!(header_layout(&new, &HeaderLimits::default()).is_ok());
        let refused = check(&stored, &new);
        assert_eq!(
            refused,
            Err(RewrapRuleError::KindChanged {
                before: Some(RecipientStanzaKind::MlKem768X25519),
                after: Some(RecipientStanzaKind::X25519),
            })
        );
        assert_eq!(refused.unwrap_err().code(), "rewrap_not_x25519");
    }

    #[test]
    fn a_lone_classic_stanza_cannot_become_hybrid() {
        let stored = classic_header();
        let donor = hybrid_header_to(&hybrid_recipients(1));
        let new = splice(&stored, CLASSIC, &donor, HYBRID);
        assert_eq!(
            check(&stored, &new),
            Err(RewrapRuleError::KindChanged {
                before: Some(RecipientStanzaKind::X25519),
                after: Some(RecipientStanzaKind::MlKem768X25519),
            })
        );
    }

    #[test]
    fn a_classic_stanza_among_hybrid_ones_is_refused_as_mixing() {
        let stored = hybrid_header_to(&hybrid_recipients(3));
        let new = splice(&stored, HYBRID, &classic_header(), CLASSIC);
        assert_eq!(
            check(&stored, &new),
            Err(RewrapRuleError::Header(HeaderError::MixedRecipientKinds))
        );
    }

    #[test]
    fn the_grease_stanza_of_a_hybrid_header_cannot_be_replaced() {
        let stored = hybrid_header_to(&hybrid_recipients(2));
        let donor = hybrid_header_to(&hybrid_recipients(1));
        let (mut stanzas, _) = parts(&stored);
        let grease = stanzas.iter().position(|s| !s.starts_with(HYBRID)).unwrap();
        stanzas[grease] = first_stanza(&donor, HYBRID).1;
        let (_, mac) = parts(&donor);
        assert_eq!(
            check(&stored, &assemble(&stored, &stanzas, &mac)),
            Err(RewrapRuleError::KindChanged {
                before: None,
                after: Some(RecipientStanzaKind::MlKem768X25519),
            })
        );
    }

    #[test]
    fn a_header_that_fails_the_check_is_reported_as_such() {
        let d = desk();
        let err = check(&d.stored, b"not an age file").unwrap_err();
        assert_eq!(err.code(), "not_age");
    }
}
