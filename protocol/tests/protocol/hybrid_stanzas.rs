//! The broker's header check on real age 0.13 files to hybrid post-quantum
//! (`mlkem768x25519`) recipients, and on those files tampered with stanza by
//! stanza: each tampering is refused with its exact [`HeaderError`]. The
//! stanza sizes and the 64 KiB header limit are those of `docs/protocol.md`.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use referral_protocol::header_check::header_layout;
use referral_protocol::{
    HeaderError, HeaderLimits, HeaderSummary, RecipientStanzaKind, age_header_len, check_header,
    decrypt,
};

const PLAINTEXT: &[u8] = b"a referral, encrypted to hybrid keys";
const HYBRID_LINE: &[u8] = b"-> mlkem768x25519 ";
const NOT_ONE_ARGUMENT: HeaderError =
    HeaderError::Malformed("mlkem768x25519 stanza must have exactly one argument");
const NOT_CANONICAL: HeaderError =
    HeaderError::Malformed("mlkem768x25519 encapsulated key is not canonical base64");
const NOT_1120: HeaderError =
    HeaderError::Malformed("mlkem768x25519 encapsulated key is not 1,120 bytes");
const BODY_NOT_32: HeaderError =
    HeaderError::Malformed("mlkem768x25519 stanza body is not 32 bytes");

/// A whole age file of `PLAINTEXT` to `recipients`.
fn encrypt_to<'a>(recipients: impl Iterator<Item = &'a dyn age::Recipient>) -> Vec<u8> {
    let mut file = Vec::new();
    let mut writer = age::Encryptor::with_recipients(recipients)
        .unwrap()
        .wrap_output(&mut file)
        .unwrap();
    writer.write_all(PLAINTEXT).unwrap();
    writer.finish().unwrap();
    file
}

/// A file to `n` new hybrid identities, and the identities.
fn hybrid_file(n: usize) -> (Vec<u8>, Vec<age::pq::Identity>) {
    let identities: Vec<_> = (0..n).map(|_| age::pq::Identity::generate()).collect();
    let recipients: Vec<_> = identities.iter().map(|i| i.to_public()).collect();
    let file = encrypt_to(recipients.iter().map(|r| r as &dyn age::Recipient));
    (file, identities)
}

/// A file to one new classic X25519 identity.
#[allow(deprecated)] // age 0.13 deprecates X25519; the mixing test needs a classic stanza.
fn classic_file() -> Vec<u8> {
    let recipient = age::x25519::Identity::generate().to_public();
    encrypt_to(std::iter::once(&recipient as &dyn age::Recipient))
}

/// The check as the broker runs it on an upload.
fn check(file: &[u8]) -> Result<HeaderSummary, HeaderError> {
    let limits = HeaderLimits::default();
    let prefix = &file[..file.len().min(limits.max_header_bytes + 32)];
    check_header(prefix, file.len() as u64, &limits)
}

/// A file's header stanzas (each from `-> ` through its body's last LF), and
/// everything from the MAC line on.
struct Split {
    version: Vec<u8>,
    stanzas: Vec<Vec<u8>>,
    rest: Vec<u8>,
}

impl Split {
    fn of(file: &[u8]) -> Self {
        let layout = header_layout(file, &HeaderLimits::default()).unwrap();
        Split {
            version: file[..layout.stanzas[0].start].to_vec(),
            stanzas: layout
                .stanzas
                .iter()
                .map(|r| file[r.clone()].to_vec())
                .collect(),
            rest: file[layout.mac_line.start..].to_vec(),
        }
    }

    fn join(&self) -> Vec<u8> {
        [
            self.version.clone(),
            self.stanzas.concat(),
            self.rest.clone(),
        ]
        .concat()
    }

    fn first_hybrid(&mut self) -> &mut Vec<u8> {
        self.stanzas
            .iter_mut()
            .find(|s| s.starts_with(HYBRID_LINE))
            .unwrap()
    }
}

/// A stanza's first line (without LF) and its body lines (with their LFs).
fn line_and_body(stanza: &[u8]) -> (&[u8], &[u8]) {
    let lf = stanza.iter().position(|b| *b == b'\n').unwrap();
    (&stanza[..lf], &stanza[lf + 1..])
}

/// The first hybrid stanza of a real file with its argument text replaced.
fn with_argument(args: &str) -> Vec<u8> {
    let (file, _) = hybrid_file(1);
    let mut split = Split::of(&file);
    let stanza = split.first_hybrid();
    let (_, body) = line_and_body(stanza);
    let line = if args.is_empty() {
        "-> mlkem768x25519".to_owned()
    } else {
        format!("-> mlkem768x25519 {args}")
    };
    *stanza = [line.as_bytes(), b"\n", body].concat();
    split.join()
}

/// The first hybrid stanza's encapsulated key, decoded.
fn real_enc() -> Vec<u8> {
    let (file, _) = hybrid_file(1);
    let mut split = Split::of(&file);
    let (line, _) = line_and_body(split.first_hybrid());
    STANDARD_NO_PAD.decode(&line[HYBRID_LINE.len()..]).unwrap()
}

/// The first hybrid stanza of a real file with a body of `n` bytes.
fn with_body_of(n: usize) -> Vec<u8> {
    let (file, _) = hybrid_file(1);
    let mut split = Split::of(&file);
    let stanza = split.first_hybrid();
    let (line, _) = line_and_body(stanza);
    let encoded = STANDARD_NO_PAD.encode(vec![0x33; n]);
    // Under 48 bytes the body is one short line.
    assert!(encoded.len() < 64);
    *stanza = [line, b"\n", encoded.as_bytes(), b"\n"].concat();
    split.join()
}

#[test]
fn files_as_age_makes_them_are_accepted() {
    for n in [1, 5, 40] {
        let (file, _) = hybrid_file(n);
        assert_eq!(
            check(&file),
            Ok(HeaderSummary {
                header_len: age_header_len(&file).unwrap(),
                recipient_kind: RecipientStanzaKind::MlKem768X25519,
                recipient_stanzas: n,
            }),
            "{n} recipients"
        );
    }
}

#[test]
fn a_hybrid_stanza_is_1557_bytes() {
    let (file, _) = hybrid_file(1);
    let mut split = Split::of(&file);
    let stanza = split.first_hybrid().clone();
    let (line, body) = line_and_body(&stanza);
    assert_eq!(line.len() - HYBRID_LINE.len(), 1494);
    assert_eq!(line.len() + 1, 1513);
    assert_eq!(body.len(), 44);
    assert_eq!(stanza.len(), 1557);
    println!("a hybrid stanza is {} bytes", stanza.len());
}

#[test]
fn a_short_or_long_encapsulated_key_is_refused() {
    let enc = real_enc();
    assert_eq!(enc.len(), 1120);
    let short = STANDARD_NO_PAD.encode(&enc[..1119]);
    assert_eq!(check(&with_argument(&short)), Err(NOT_1120));
    let long = STANDARD_NO_PAD.encode([enc.as_slice(), &[0]].concat());
    assert_eq!(check(&with_argument(&long)), Err(NOT_1120));
}

#[test]
fn two_arguments_or_none_are_refused() {
    let enc = STANDARD_NO_PAD.encode(real_enc());
    assert_eq!(
        check(&with_argument(&format!("{enc} {enc}"))),
        Err(NOT_ONE_ARGUMENT)
    );
    assert_eq!(check(&with_argument("")), Err(NOT_ONE_ARGUMENT));
}

#[test]
fn a_non_canonical_encapsulated_key_is_refused() {
    let enc = STANDARD_NO_PAD.encode(real_enc());
    // 1,120 bytes end in two characters; the second's low four bits are
    // padding and must be zero.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let last = enc.as_bytes()[enc.len() - 1];
    let index = alphabet.iter().position(|c| *c == last).unwrap();
    let trailing_bits = format!("{}{}", &enc[..enc.len() - 1], alphabet[index | 1] as char);
    assert_eq!(check(&with_argument(&trailing_bits)), Err(NOT_CANONICAL));
    assert_eq!(
        check(&with_argument(&format!("{enc}=="))),
        Err(NOT_CANONICAL)
    );
}

#[test]
fn a_body_of_31_or_33_bytes_is_refused() {
    assert_eq!(check(&with_body_of(32)).map(|s| s.recipient_stanzas), Ok(1));
    assert_eq!(check(&with_body_of(31)), Err(BODY_NOT_32));
    assert_eq!(check(&with_body_of(33)), Err(BODY_NOT_32));
}

#[test]
fn a_classic_stanza_spliced_into_a_hybrid_header_is_mixing() {
    let (file, _) = hybrid_file(2);
    let classic = Split::of(&classic_file());
    let x25519 = classic
        .stanzas
        .iter()
        .find(|s| s.starts_with(b"-> X25519 "))
        .unwrap()
        .clone();
    let mut split = Split::of(&file);
    split.stanzas.insert(1, x25519.clone());
    assert_eq!(check(&split.join()), Err(HeaderError::MixedRecipientKinds));
    // In place of a hybrid stanza, too.
    let mut split = Split::of(&file);
    *split.first_hybrid() = x25519;
    assert_eq!(check(&split.join()), Err(HeaderError::MixedRecipientKinds));
}

#[test]
fn forty_five_hybrid_recipients_exceed_64_kib() {
    // 45 stanzas of 1,557 bytes alone are 70,065 bytes: the MAC line starts
    // past the limit.
    let (file, _) = hybrid_file(45);
    let mac_line = file.windows(5).position(|w| w == b"\n--- ").unwrap();
    assert!(mac_line > 70_065, "MAC line at {mac_line}");
    assert_eq!(
        check(&file),
        Err(HeaderError::TooLarge { limit: 64 * 1024 })
    );
}

#[test]
fn a_second_grease_stanza_is_refused() {
    let (file, _) = hybrid_file(2);
    let mut split = Split::of(&file);
    let grease = split
        .stanzas
        .iter()
        .find(|s| !s.starts_with(HYBRID_LINE))
        .expect("age writes a grease stanza")
        .clone();
    let (line, _) = line_and_body(&grease);
    let tag = line[3..].split(|b| *b == b' ').next().unwrap();
    let tag = String::from_utf8(tag.to_vec()).unwrap();
    split.stanzas.push(grease);
    assert_eq!(
        check(&split.join()),
        Err(HeaderError::ForbiddenStanza { tag })
    );
}

#[test]
fn a_checked_hybrid_file_still_decrypts() {
    let (file, identities) = hybrid_file(3);
    let before = file.clone();
    assert!(check(&file).is_ok());
    assert_eq!(file, before);
    let identity: &dyn age::Identity = &identities[1];
    let (mut reader, _) = decrypt(file.as_slice(), &[identity]).unwrap();
    let mut plaintext = Vec::new();
    reader.read_to_end(&mut plaintext).unwrap();
    assert_eq!(plaintext, PLAINTEXT);
}
