# The administrator's commands: bootstrap, desks, invites, approvals,
# revocations, key policy (client-cli/src/commands/admin_{setup,devices}.rs).

admin-bootstrap-done = Claimed the broker { $broker }.
    This device ({ $device }) is now the admin root.
admin-root-fingerprint = root fingerprint: { $fingerprint }
admin-bootstrap-next = Give this fingerprint to every caseworker and desk member, for
      referral init --broker { $broker } --root-fingerprint { $fingerprint }
    Next: referral admin desk add ID --name NAME
admin-desk-created = Created desk { $desk } ({ $name }), directory entry { $seq }.
admin-desk-next = Next: referral admin invite --desk { $desk } --role desk|caseworker
admin-key-policy-set = Device keys older than { $days } days no longer receive new packets (directory entry { $seq }). Their owners are told to run `referral rotate`.
admin-key-policy-lifted = Lifted the key-age limit (directory entry { $seq }).
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
