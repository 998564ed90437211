# Signing in and the verified directory (client-cli/src/session.rs,
# client-cli/src/trust.rs).

session-device-revoked = this device has been revoked by an administrator; it can no longer use the broker. Set up a new device (referral init, enroll) if you still need one
session-not-enrolled = this device is not in the directory yet: run `referral enroll --code CODE`, and ask your administrator to approve it
session-awaiting-approval = the broker does not know this device yet. If you have run `referral enroll`, it is waiting for an administrator's approval: ask them to run `referral admin pending`. Otherwise enroll it first with `referral enroll --code CODE`
session-key-not-held = the directory lists a signing key for this device that its keystore does not hold: the keystore was replaced, or the device was rotated from another copy
session-no-desk = this device is not an active member of a desk: enroll it with an invite code for a desk (`referral enroll --code CODE`) and have it approved
session-bad-challenge = the broker's challenge is not base64
trust-cache-too-large = { $path } is larger than { $max } bytes; it is not a directory cache
trust-cache-invalid = the directory cache { $path } does not verify ({ $error }); it was damaged or modified. Move it away and run `referral directory` to fetch and verify the log again
trust-no-directory = the broker at { $broker } has no directory yet: an administrator must first run `referral admin bootstrap --code CODE`
trust-cannot-write = cannot write { $path }: { $error }
trust-advice-rollback = The broker is serving an older directory than this device has already seen; it may be hiding a revocation or a rotation.
trust-advice-fork = The broker is serving a different history from the one this device verified; someone may be showing different keys to different devices.
trust-advice-root-mismatch = The directory is rooted in another admin key than the one this device pinned.
trust-advice-unsigned = The broker served a directory entry that no administrator signed as served.
trust-refused = refusing the broker's directory: { $error }. { $advice } Nothing was changed; tell your administrator
trust-first-use = trusting the admin root key { $root } on first use.
    Compare this fingerprint with your administrator over a separate channel (in person or by phone).
    If it differs, stop using this device: the broker may have substituted its own root.
trust-device-revoked = this device has been revoked by an administrator: it can no longer authenticate, and nobody encrypts to it any more
trust-keys-expired = this device's keys are older than the directory's maximum key age: no new packets are encrypted to them. Run `referral rotate`
