# The administrator's commands: bootstrap, desks, invites, approvals,
# revocations, key policy (client-cli/src/commands/admin_{setup,devices}.rs).

admin-bootstrap-done = Claimed the broker { $broker }.
    This device ({ $device }) is now the admin root.
admin-root-fingerprint = root fingerprint: { $fingerprint }
admin-bootstrap-next = Give this fingerprint to every caseworker and desk member, for
      referral init --broker { $broker } --root-fingerprint "{ $fingerprint }"
    Next: referral admin desk add ID --name NAME
admin-desk-created = Created desk { $desk } ({ $name }), directory entry { $seq }.
admin-desk-next = Next: referral admin invite --desk { $desk } --role desk|caseworker
admin-key-policy-set = Device keys older than { $days } days no longer receive new packets (directory entry { $seq }). Their owners are told to run `referral rotate`.
admin-key-policy-lifted = Lifted the key-age limit (directory entry { $seq }).
admin-key-policy-pq-required = Packets must now be sealed post-quantum (directory entry { $seq }). Clients refuse to seal to classic keys, and readers refuse classic packets signed after this.
admin-key-policy-pq-lifted = Lifted the post-quantum requirement (directory entry { $seq }). Desks whose devices all have post-quantum keys still get post-quantum packets.
admin-key-policy-pq-holding-back = { $count ->
    [one] One device has no post-quantum key yet. Nothing can be sent to or from its desk until its owner runs `referral rotate` and you approve it:
   *[other] { $count } devices have no post-quantum key yet. Nothing can be sent to or from their desks until their owners run `referral rotate` and you approve it:
}
admin-invite-code = invite code: { $code }
admin-invite-for = for desk { $desk } as { $role }, valid until { $until }.
admin-invite-next = Give the code to the new member privately. On their device:
      referral init --broker URL --root-fingerprint FP
      referral enroll --code { $code }
    then check the fingerprint they read out to you and run
      referral admin approve REQUEST --fingerprint FP
admin-pending-none = No requests are waiting.
admin-request-enrollment = enrollment
admin-request-rotation = rotation
admin-pending-line = desk { $desk }  role { $role }  device { $device }  since { $since }
admin-fingerprint = fingerprint { $fingerprint }
admin-pending-next = Check each fingerprint with the device's owner (in person or by phone), then:
      referral admin approve REQUEST --fingerprint FP
admin-approved-enrollment = Enrolled device { $device } (desk { $desk }, role { $role }), directory entry { $seq }.
admin-approved-rotation = Approved the new keys of device { $device } (desk { $desk }, role { $role }), directory entry { $seq }.
admin-revoked = Revoked device { $device } (desk { $desk }), directory entry { $seq }.
admin-revoked-next = The broker refuses it from its next request; clients stop encrypting to it at their next directory sync.
admin-broker-key-rotated = The broker now signs tokens with key { $kid } (directory entry { $seq }).
admin-broker-key-old-tokens = Tokens signed by the previous key stay valid until they expire (at most 15 minutes).
admin-root-rotated = The admin root moved to a fresh key on this device (directory entry { $seq }).
admin-root-new = new root:      { $fingerprint }
admin-root-previous = previous root: { $fingerprint }
admin-root-rotated-next = Devices already set up keep working: they verify the hand-over, signed by the previous root and the new one. New devices keep pinning the genesis root fingerprint that `referral directory` shows.
admin-root-not-held = only the root device can hand the root over; this device does not hold the current root key
admin-root-key-lost = the keystore no longer holds the root key
