# Errors that say what happened and what to do next (ADR 0015).

# A refusal by the broker: the plain words, then its code for whoever helps.
errors-refused = { $what } (broker code: { $code }, HTTP { $status })
refused-too-large = The packet is larger than the broker accepts. Split the attachment into smaller files, or scan it at a lower resolution, and send again.
refused-pending-cap = Your desk has too much sent that the other desks have not yet collected. Wait until they open their inbox, or ask the broker's operator.
refused-unknown-desk = The broker does not know that desk. Check the name with `referral directory`.
refused-not-signed-in = The broker did not accept this device's sign-in. The device may not be approved yet, or may have been revoked: ask your administrator.
refused-directory-private = The broker shows its directory only to enrolled devices, or to a device enrolling with its invite code. Enroll this device first (`referral enroll --code CODE`), or check that it has not been revoked.
refused-admin-only = Only an administrator can do this.
refused-unknown-id = The broker has no packet or case with that id for your desk. Check the id with `referral inbox` or `referral cases`.
refused-gone = It has expired and the broker no longer keeps it. Ask the sender to send it again.
refused-illegal-transition = The case cannot move to that status from the one it has now. See its current status with `referral thread ID`.
refused-id-reused = The broker already holds a different packet with this id. See `referral outbox`, remove the entry with `referral outbox drop ID`, and send again.
refused-changed-meanwhile = Something else changed at the same time. Run the command again.
refused-invite-code = The invite code is wrong, already used or expired. Ask your administrator for a new one.
refused-bootstrap-code = The bootstrap code is wrong. Copy it from the broker's log.
refused-already-claimed = This broker has already been set up.
refused-not-bootstrapped = This broker has not been set up yet. An administrator runs `referral admin bootstrap` first.
refused-wrong-broker = The broker gives a different name from the one this device knows. Check the broker address.
refused-already-registered = This device or key is already registered.
refused-directory-change = The broker refused this change to the directory. Check the request with `referral admin pending`, and ask another administrator if it persists.
refused-too-slow = The upload was too slow and the broker stopped waiting. Check the connection and run the command again.
refused-malformed = The broker could not accept the request as sent; this program and the broker may be of different versions. Update referral, and tell the broker's operator if it persists.
refused-other = The broker refused the request: { $message }

# The broker could not be reached: one line, with the next step.
errors-unreachable = Cannot reach the broker at { $broker }: { $why } Check the network connection and the broker address; if both are right, the broker may be down: try again later or ask its operator.
errors-unreachable-timeout = it did not answer in time.
errors-unreachable-connect = no connection could be made.
errors-unreachable-other = the connection failed.

# Known before sealing: the packet would be over the broker's limit.
errors-packet-too-large = This packet would be at least { $size } MiB once sealed, and the broker accepts at most { $limit } MiB. Nothing was sealed or sent. Split the attachment into smaller files, or scan it at a lower resolution, and send again.

# A desk name not in the verified directory.
errors-no-such-desk = There is no desk “{ $desk }” in the verified directory. `referral directory` lists the desks.
errors-no-such-desk-did-you-mean = There is no desk “{ $desk }” in the verified directory. Did you mean “{ $near }”? `referral directory` lists the desks.

# A wrong passphrase typed on a terminal may be typed again.
errors-passphrase-again = Wrong passphrase. Type it again ({ $left ->
    [one] 1 try left
   *[other] { $left } tries left
}).

# The keystore decrypted, but what is inside is not a key list; where, never what.
errors-key-list-invalid = the decrypted contents are not a valid key list ({ $what } at line { $line }, column { $column })
errors-key-list-io = a read error
errors-key-list-syntax = not well-formed JSON
errors-key-list-data = an unexpected value
errors-key-list-eof = it ends too early
refused-broker-said = The broker said: { $message }
errors-unreachable-certificate = the broker's certificate could not be verified: it is not signed by an authority this computer trusts, or it is for another address. Check the address; if it is right, ask the broker's operator about its certificate.
errors-post-quantum-required = Nothing was sent: the directory requires post-quantum encryption, and { $count ->
    [one] one device this packet is for has
   *[other] { $count } devices this packet is for have
    } no post-quantum key yet:
    { $devices }
    Ask the owner of each to run `referral rotate`, and an administrator to approve it.
warn-sealed-classic = Sealed with classic encryption, because { $count ->
    [one] one device this packet is for has
   *[other] { $count } devices this packet is for have
    } no post-quantum key yet:
    { $devices }
    Once each owner runs `referral rotate` and an administrator approves it, packets to these desks are sealed post-quantum.
