# New keys for a device: `referral rotate` and `rewrap`
# (client-cli/src/commands/{rotate,rewrap}.rs).

rotate-done = Made new keys for device { $device }.
rotate-new-fingerprint = new fingerprint:      { $fingerprint }
rotate-previous-fingerprint = previous fingerprint: { $fingerprint }
rotate-next = The old keys stay in the keystore, retired, so older packets still open.
    Read the new fingerprint to your administrator, who approves with
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    After that, run `referral rewrap` to move pending packets to the new keys.
rotate-revoked = this device has been revoked; a revoked device cannot rotate
rotate-root-device = this is the root device: use `referral admin rotate-root`
rotate-not-enrolled = this device is not enrolled yet; there are no keys to rotate in the directory
rewrap-done = { $pending ->
        [one] 1 pending packet
       *[other] { $pending } pending packets
    }: { $rewrapped } rewrapped to the current key, { $current } already current, { $skipped } skipped.
rewrap-one = rewrapped { $packet }
rewrap-skipped = packet { $packet }: { $reason }
rewrap-not-approved = this device's newest keys are not in the directory yet: an administrator must approve the rotation first (`referral admin approve`), or senders would still encrypt to the old key
rewrap-not-active = this device is not an active enrolled device
progress-rewrap = rewrap
