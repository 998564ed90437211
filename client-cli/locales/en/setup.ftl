# Setting up a device: `referral init`, `whoami`, `enroll`
# (client-cli/src/commands/{init,device_report,enroll}.rs).

device-created = Created a new device keystore in { $home }
device-not-enrolled = (not enrolled yet)
device-label-id = device id
device-label-fingerprint = fingerprint
device-label-age-recipient = age recipient
device-label-classic-recipient = classic key
device-post-quantum-recipient = { $start }…{ $end } (post-quantum; `referral whoami --json` shows it whole)
device-label-signing-key = signing key
device-label-broker = broker
device-label-root = admin root
device-root-pinned = { $fingerprint } (pinned)
device-root-not-pinned = not pinned (trust on first use)
device-label-desk = desk
device-label-role = role
device-label-home = home
device-next-enroll = Next step: get an invite code from your administrator, then run
      referral enroll --code CODE
    Your administrator will ask you for the fingerprint above before approving.
init-trust-on-first-use = no --root-fingerprint given: this device will trust the first admin root key the broker presents (trust on first use). Whoever controls the broker at that moment could substitute their own root. When referral shows you the root fingerprint, compare it with your administrator over a separate channel (in person or by phone) before relying on this device, or run init again with --root-fingerprint FP in a fresh --home.
init-bad-broker = cannot use --broker { $broker }
enroll-asked = Asked to join desk { $desk } as { $role }. Request: { $request }
enroll-fingerprint = fingerprint: { $fingerprint }
enroll-next = Read this fingerprint to your administrator in person or by phone (not by the same channel as the code). They approve with
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    Then `referral directory` shows this device at its desk.
enroll-already-enrolled = this device is already enrolled (desk { $desk }, role { $role })
enroll-unknown-desk = the invite is for desk { $desk }, which the verified directory does not hold
enroll-fingerprint-differs = the broker recorded the fingerprint { $recorded } but this device's is { $fingerprint }; do not let the request be approved
