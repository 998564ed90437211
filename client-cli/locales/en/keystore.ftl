# The device keystore (client-cli/src/keystore/mod.rs).

keystore-not-initialized = no device keystore in { $home }: run `referral init --broker URL` first, or pass the right --home
keystore-already-exists = { $path } already exists; refusing to overwrite a device keystore. Use another --home, or move the old one away only if no packet will ever need its keys
keystore-missing = { $path } is missing although { $device_file } is present; restore it from a backup
keystore-wrong-passphrase = wrong passphrase (the keystore could not be unlocked)
keystore-file-damaged = { $file } is damaged or was modified: { $reason }
keystore-mismatch = { $keystore_file } and { $device_file } disagree ({ $what }); refusing to use either. One of them was replaced or restored from a different backup
keystore-unsupported-version = { $file } has format version { $version }, which this version of referral does not know; upgrade referral
