//! Private keys are wiped from memory when they are dropped (SPEC §2: every
//! secret is zeroized). The test looks at the freed memory itself, through
//! `/proc/self/mem`, so it needs no `unsafe`: it notes where a secret lives,
//! drops its owner, and reads the same bytes again.
//!
//! glibc writes its free-list pointers into the first 16 bytes of a freed
//! chunk, so only bytes from offset 16 on are compared. The negative control
//! drops the same secret held in a plain `Vec`, which nothing wipes: the
//! probe must still find it there, or a pass would mean nothing.

#![cfg(target_os = "linux")]

use std::fs::File;
use std::os::unix::fs::FileExt;

use referral_protocol::keys::SigningKey;
use secrecy::{ExposeSecret, SecretString};

/// The bytes glibc may overwrite when it frees a chunk.
const FREE_LIST_BYTES: usize = 16;

/// Reads `out.len()` bytes of this process's memory at `addr` into `out`
/// (a buffer allocated before the secret is dropped, so that it cannot be
/// handed the freed chunk itself).
fn peek(mem: &File, addr: usize, out: &mut [u8]) {
    mem.read_exact_at(out, addr as u64)
        .expect("read /proc/self/mem");
}

/// Whether the freed bytes from offset 16 on still hold `secret`'s.
fn still_there(mem: &File, addr: usize, secret: &[u8]) -> bool {
    let mut now = vec![0u8; 4096];
    let now = &mut now[..secret.len()];
    peek(mem, addr, now);
    now[FREE_LIST_BYTES..] == secret[FREE_LIST_BYTES..]
}

/// Ed25519 PKCS#8 v2 documents as ring makes them: 83 bytes, the 32-byte
/// seed at offset 16.
const SEED: std::ops::Range<usize> = 16..48;

#[test]
fn dropped_keys_leave_no_trace_in_memory() {
    let mem = File::open("/proc/self/mem").expect("open /proc/self/mem");

    // Negative control: the probe sees a secret that nobody wiped.
    {
        let key = SigningKey::generate().unwrap();
        let plain: Vec<u8> = key.pkcs8().expose_secret().to_vec();
        let copy = plain.clone();
        let addr = plain.as_ptr() as usize;
        assert!(
            still_there(&mem, addr, &copy),
            "the probe reads live memory"
        );
        drop(plain);
        assert!(
            still_there(&mem, addr, &copy),
            "an unwiped Vec keeps its bytes after it is freed: the probe can see leftovers"
        );
    }

    // A signing key (device keys, the root, the broker's token keys).
    {
        let key = SigningKey::generate().unwrap();
        let secret = key.pkcs8().expose_secret().to_vec();
        let addr = key.pkcs8().expose_secret().as_ptr() as usize;
        assert!(secret[SEED].iter().any(|&b| b != 0));
        assert!(still_there(&mem, addr, &secret));
        drop(key);
        assert!(
            !still_there(&mem, addr, &secret),
            "a dropped SigningKey's PKCS#8 is still in memory"
        );
        let mut after = vec![0u8; 4096];
        peek(&mem, addr, &mut after[..secret.len()]);
        assert!(
            after[SEED].iter().all(|&b| b == 0),
            "the seed is zeroed: {:02x?}",
            &after[SEED]
        );
    }

    // An age X25519 identity (what opens classic packets): its 32-byte
    // scalar.
    #[allow(deprecated)] // age 0.13 deprecates making X25519 keys
    let classic = Box::new(age::x25519::Identity::generate());
    assert_eq!(
        std::mem::size_of_val(&*classic),
        32,
        "the identity is its scalar"
    );
    assert_boxed_key_is_wiped(&mem, classic, "an X25519 age identity");
    // A hybrid identity (ADR 0020; what opens post-quantum packets and the
    // case store): X-Wing's key, from which the ML-KEM-768 and X25519 keys
    // are derived when needed.
    let hybrid = Box::new(age::pq::Identity::generate());
    assert_boxed_key_is_wiped(&mem, hybrid, "a hybrid age identity");

    // A passphrase.
    {
        let text = "correct horse battery staple, long enough to matter";
        let passphrase = SecretString::from(text);
        let addr = passphrase.expose_secret().as_ptr() as usize;
        assert!(still_there(&mem, addr, text.as_bytes()));
        drop(passphrase);
        assert!(
            !still_there(&mem, addr, text.as_bytes()),
            "a dropped passphrase is still in memory"
        );
    }
}

/// Drops `key`, boxed so that its bytes sit in a heap chunk of their own,
/// and checks that the bytes it held there are gone.
fn assert_boxed_key_is_wiped<T>(mem: &File, key: Box<T>, what: &str) {
    let addr = &*key as *const T as usize;
    let size = std::mem::size_of::<T>();
    let mut before = vec![0u8; size];
    peek(mem, addr, &mut before);
    assert!(
        before.iter().any(|&b| b != 0),
        "{what}: a live key is not all zeros"
    );
    drop(key);
    assert!(
        !still_there(mem, addr, &before),
        "{what}: still in memory after it was dropped"
    );
}
