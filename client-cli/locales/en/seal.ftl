# Offline packets and other output: `referral seal`, `export-identity`,
# writing results (client-cli/src/commands/{seal,export_identity,report}.rs, main.rs).

seal-done = Sealed referral { $packet } for { $desk } into { $file } ({ $bytes } bytes, encrypted to { $keys ->
        [one] 1 device key
       *[other] { $keys } device keys
    }).
seal-next = The desk opens it with: referral unseal { $file }
seal-no-directory = this device has no verified directory yet: run `referral directory` once while the broker can be reached
seal-out-exists = { $file } already exists; not overwriting it
seal-offline-directory = { $error } (offline, this device uses the directory it last verified, up to entry { $seq }: run `referral directory` while the broker can be reached to bring it up to date)
export-identity-warning = this prints the PRIVATE keys of this device. Anyone who gets them can read every packet ever sent to this device, including retired keys' packets, and no revocation can undo that. Write them only to encrypted, offline storage, never to a shared terminal, chat, ticket or e-mail, and destroy every other copy.
output-cannot-write = cannot write the result to stdout
report-cannot-format = cannot format the report
report-cannot-write = cannot write the report to stdout
