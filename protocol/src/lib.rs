//! The wire format of the referral broker, and the one place that knows it.
//!
//! - [`ids`]: parsed ids (packet, thread, device, desk) and content types;
//! - [`keys`], [`fingerprint`]: device key material and what people compare;
//! - [`envelope`]: the signed plaintext envelope inside the age encryption;
//! - [`attachment_name`]: what an attachment may be called, and what it is
//!   saved as;
//! - [`text`]: the characters that must never be shown as they are;
//! - [`padding`]: the published ciphertext size buckets;
//! - [`seal()`] and [`open()`]: sign-then-encrypt, and decrypt-then-verify;
//! - [`header_check`]: the broker's key-less check of an age header;
//! - [`rewrap`](mod@rewrap): moving a packet's stanza from a device's retired age
//!   key to its current one, changing nothing else;
//! - [`rewrap_rule`]: the key-less rule the broker applies to a rewrap's new
//!   header (exactly one recipient stanza replaced by one of the same kind);
//! - [`directory`]: the signed, hash-chained directory log and its verifier;
//! - [`role`]: device roles, shared by tokens and the directory;
//! - [`status`]: a case thread's coarse status and its lifecycle rule;
//! - [`delivery`]: a packet's delivery state;
//! - [`refusal`]: the broker's refusal codes ([`RefusalCode`]) and the error
//!   body that carries them;
//! - [`routing`]: a packet's routing metadata ([`PacketRouting`], [`PacketKind`])
//!   and the headers that carry it;
//! - [`paths`]: where each route of the API lives;
//! - [`hour`]: the hour-truncated times the broker reports;
//! - [`reported`]: a value in a broker's answer, read leniently;
//! - [`api`]: the broker's HTTP API bodies.
//!
//! The byte layout is documented in `docs/protocol.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod attachment_name;
pub mod delivery;
pub mod directory;
pub mod envelope;
pub mod fingerprint;
pub mod header_check;
pub mod hour;
pub mod ids;
pub mod keys;
mod open;
pub mod padding;
pub mod paths;
pub mod refusal;
pub mod reported;
pub mod rewrap;
pub mod rewrap_rule;
pub mod role;
pub mod routing;
mod seal;
pub mod status;
pub mod text;

pub use delivery::{DeliveryState, UnknownDelivery};
pub use envelope::{AttachmentMeta, EnvelopeError, PacketHeader};
pub use fingerprint::{Fingerprint, FingerprintError};
pub use header_check::{
    HeaderError, HeaderLimits, HeaderSummary, RecipientStanzaKind, check_header,
};
pub use hour::Hour;
pub use ids::{ContentType, DeskId, DeviceId, IdError, PacketId, RequestId, ThreadId};
pub use keys::{
    AgeIdentity, KeyError, RecipientDigest, RecipientKey, RecipientKind, SigningKey, VerifyingKey,
};
pub use open::{
    AttachmentSink, ClassicPacket, DiscardAttachments, KnownSenders, MemoryAttachments, OpenError,
    Opened, SenderDirectory, SenderKey, decrypt, open,
};
pub use refusal::{ErrorBody, RefusalCode, UnknownRefusalCode};
pub use reported::Reported;
pub use rewrap::{RewrapError, Rewrapped, age_header_len, rewrap, rewrap_header};
pub use rewrap_rule::{RewrapRuleError, check_one_stanza_replaced};
pub use role::{Role, RoleError};
pub use routing::{PacketKind, PacketKindWord, PacketRouting, RoutingError, UnknownKind};
pub use seal::{
    Attachment, AttachmentSource, SealError, SealRequest, Sealed, Sender, seal, seal_with_progress,
};
pub use status::{Party, ThreadStatus, UnknownStatus};
