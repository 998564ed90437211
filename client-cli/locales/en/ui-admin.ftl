# `referral ui`: the administrator's pages and the outbox
# (client-cli/src/ui/routes/admin/).

ui-admin-title = Administration
ui-admin-intro = Approve new devices, make invites, revoke devices and check the directory log.
ui-admin-pending-title = Waiting for approval
ui-admin-pending-about = New devices and new keys of existing devices, approved after you compare their fingerprint.
ui-admin-invites-title = Invites
ui-admin-invites-about = One-time codes that let a new member's device ask to join a desk.
ui-admin-devices-title = Devices
ui-admin-devices-about = Every device in the directory, by desk; revoke one that is lost or no longer used.
ui-admin-audit-title = Directory log
ui-admin-audit-about = Every change to the directory, who signed it, and its verification.
ui-admin-not-admin-title = Administrators only
ui-admin-not-admin = This device is not an administrator in the directory. Only the root device and enrolled administrator devices can approve, invite or revoke.
ui-admin-not-admin-next = If you need to do this, ask one of your administrators, or ask them for an invite with the administrator role for a device of your own. You can still read the directory log.

ui-admin-fingerprint-spoken = Fingerprint: { $digits }
ui-admin-desk = Desk
ui-admin-role = Role
ui-admin-device = Device
ui-admin-status = Status
ui-admin-fingerprint = Fingerprint
ui-admin-action = Action
ui-admin-cancel = Cancel

ui-admin-pending-explain = Before you approve, call or meet the device's owner and have them read out the fingerprint their device shows. Type it in; approval works only if it matches.
ui-admin-request-enrollment = New device
ui-admin-request-rotation = New keys for an existing device
ui-admin-requested = Requested
ui-admin-typed-fingerprint = Fingerprint as the owner reads it to you
ui-admin-typed-fingerprint-hint = 64 letters and digits; spaces and capitals do not matter.
ui-admin-approve-button = Approve
ui-admin-approve-mismatch = This is not the fingerprint of this request. Nothing was approved. Ask the owner to read it again; if it still differs, do not approve: someone else may have made the request.
ui-admin-approve-gone = This request is no longer waiting: another administrator may have approved it, or it expired. Nothing was approved.
ui-admin-approved = Approved. The device is now in the directory (entry { $seq }).

ui-admin-invite-new = New invite
ui-admin-invite-choose-desk = Choose a desk
ui-admin-invite-no-desks = There are no desks in the directory yet. Create one with `referral admin desk add` first.
ui-admin-invite-pick-desk = Choose the desk the new member joins.
ui-admin-invite-valid = The code can be used once, within { $hours ->
    [one] { $hours } hour
   *[other] { $hours } hours
}.
ui-admin-invite-button = Make an invite
ui-admin-invite-made = Invite made
ui-admin-invite-code = Invite code:
ui-admin-invite-shown-once = This code is shown only this once. Write it down or pass it on now.
ui-admin-invite-tell = Give the code to the new member privately (in person or by phone, not by email). On their device they run `referral init` and then `referral enroll` with this code; their device then shows a fingerprint. Approve it under "Waiting for approval" once they have read it out to you.

ui-admin-devices-no-desk = Administrators without a desk
ui-admin-devices-none = No devices yet.
ui-admin-devices-back = Back to the devices
ui-admin-this-device = this device
ui-admin-keys-expired = keys too old: receives no new packets
ui-admin-classic-only = classic keys only: packets to and from its desk stay classic until it runs `referral rotate`
ui-admin-revoke-link = Revoke…
ui-admin-revoke-title = Revoke a device
ui-admin-revoke-explain = Revoking cannot be undone. The broker refuses the device from its next request, and no one encrypts new packets to it. To use the device again, it must be enrolled anew with a new invite.
ui-admin-revoke-this-device = This is the device you are using now. After revoking it, it can no longer reach the broker.
ui-admin-revoke-button = Revoke this device
ui-admin-revoke-no-device = There is no active device with this id in the directory: it may already be revoked.
ui-admin-revoked = Revoked (directory entry { $seq }).

ui-admin-audit-verified = Verified: every entry is signed by an administrator and chains back to the pinned root, and the log extends this device's copy.
ui-admin-audit-cached = This is this device's verified copy. To fetch the whole log from the broker and verify it again from the pinned root, press the button.
ui-admin-audit-verify-button = Verify the whole log
ui-admin-audit-root = Pinned root
ui-admin-audit-head = Latest entry
ui-admin-audit-caption = { $count ->
    [one] { $count } entry, newest first
   *[other] { $count } entries, newest first
}
ui-admin-audit-seq = No.
ui-admin-audit-time = Signed
ui-admin-audit-kind = Change
ui-admin-audit-subject = About
ui-admin-audit-signer = Signed by

ui-admin-kind-genesis = Directory created
ui-admin-kind-desk-created = Desk created
ui-admin-kind-device-enrolled = Device enrolled
ui-admin-kind-device-rotated = Device keys renewed
ui-admin-kind-device-revoked = Device revoked
ui-admin-kind-root-rotated = Admin root handed over
ui-admin-kind-token-key-rotated = Broker token key renewed
ui-admin-kind-key-age-policy = Key age limit set

ui-outbox-title = Outbox
ui-outbox-explain = These packets are sealed but the broker has not confirmed them yet, usually because it could not be reached.
ui-outbox-caption = { $count ->
    [one] { $count } packet waiting
   *[other] { $count } packets waiting
}
ui-outbox-to = To desk
ui-outbox-sealed = Sealed
ui-outbox-size = Size
ui-outbox-packet = Packet
ui-outbox-drop-link = Give up…
ui-outbox-resend-how = To send one again, do the same thing again (the same referral, reply or forward): the same sealed packet is sent, and the broker stores it only once.
ui-outbox-drop-title = Give up a packet
ui-outbox-drop-explain = The packet will be deleted without being sent. The desk will not receive it; to send it after all, you would have to write it again.
ui-outbox-drop-button = Delete without sending
ui-outbox-dropped = The packet was deleted without being sent.
ui-outbox-not-waiting = This packet is no longer in the outbox: it may have been sent or deleted meanwhile.
ui-outbox-back = Back to the outbox
