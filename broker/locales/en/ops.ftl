# What `referral-broker` tells its operator about starting, backups and
# checks (ADR 0013). Logs stay in English.

bootstrap-new-code = This broker is not claimed yet. Bootstrap code (one use, valid 24 h):

    {"    "}{ $code }

    It is also in { $path } (mode 0600). The first administrator claims the broker
    with it (`referral admin bootstrap`): their device key signs the directory's
    genesis entry and becomes the root.
bootstrap-pending = This broker is not claimed yet; the bootstrap code is in { $path }.
migrate-done = The database's migrations are up to date.
broker-failed = referral-broker stopped: { $detail }
startup-config-unreadable = The broker did not start: the configuration file { $path } cannot be read ({ $detail }). Check the path given with --config or REFERRAL_BROKER_CONFIG and the file's permissions, then start the broker again. Nothing was created.
startup-config-bad = The broker did not start: the configuration file { $path } is not valid ({ $detail }). Correct it (deploy/broker.toml lists every key with its meaning), then start the broker again. Nothing was created.
startup-config-invalid = The broker did not start: a setting is not valid ({ $detail }). Correct it in the configuration file, the environment or the flags, then start the broker again. Nothing was created.
startup-port-busy = The broker did not start: the address { $address } ({ $setting }) is already in use by another program. Stop that program (`ss -ltnp` shows which one) or choose another address with { $setting }, then start the broker again. Nothing was created.
startup-listen-failed = The broker did not start: it cannot listen on { $address } ({ $setting }): { $detail }. Choose an address this host has and the broker's user may bind, then start the broker again. Nothing was created.
startup-tls = The broker did not start: the TLS certificate { $cert } and key { $key } cannot be loaded ({ $detail }). Check that both are readable PEM files and belong together, then start the broker again. Nothing was created.
startup-database = The broker did not start: it cannot use its PostgreSQL database at { $url } ({ $detail }). Check that the server is running and accepts connections from this host, and that the URL (--database-url, REFERRAL_BROKER_DATABASE_URL or database_url) is right, then start the broker again. Nothing was created.
startup-data-dir = The broker did not start: the data directory { $path } cannot be created or written ({ $detail }). Give the broker's user a directory it owns (for example with `install -d -m 700`), or choose another with --data-dir, then start the broker again.
startup-sqlite = The broker did not start: the SQLite database in { $data_dir } cannot be opened ({ $detail }). Run `referral-broker check --data-dir { $data_dir }`; if it reports damage, restore the latest backup (docs/deployment.md).
startup-directory-log = The broker did not start: the directory log in its database does not verify ({ $detail }), and clients would refuse it. Run `referral-broker check` to see the problem, then restore the latest backup that passes the check (docs/deployment.md).
startup-other = The broker did not start: { $detail }
backup-use-pg-dump = This broker keeps its data in PostgreSQL, which `backup` does not copy. Use PostgreSQL's own tool, with the password in ~/.pgpass or PGPASSWORD:

    {"    "}{ $command }

    docs/deployment.md shows how to restore it with pg_restore.
backup-done = Backed up { $data_dir } to { $path } ({ $bytes } bytes, mode 0600). Run `referral-broker check` on a copy of it before you rely on it.
backup-out-exists = No backup was made: { $path } already exists, and a backup never replaces a file. Choose a new name with --out.
backup-no-database = No backup was made: there is no database at { $path }. Check --data-dir (or data_dir in the configuration file).
backup-failed = No backup was made: { $detail }. Check that the output directory is writable and has room, then try again.
check-database-sqlite = Checking the SQLite database in { $data_dir }:
check-database-postgres = Checking the PostgreSQL database at { $url }:
check-unreadable = ✗ The database cannot be read: { $detail }
check-integrity-ok = ✓ integrity_check: no damage found
check-integrity-bad = ✗ integrity_check found { $count ->
        [one] one problem
       *[other] { $count } problems
    }, the first: { $first }
check-integrity-postgres = ✓ page checks: PostgreSQL checks its own pages (run pg_amcheck for a deeper check)
check-foreign-keys-ok = ✓ foreign keys: every reference resolves
check-foreign-keys-bad = ✗ foreign keys: { $rows ->
        [one] one row refers
       *[other] { $rows } rows refer
    } to something missing
check-migrations-ok = ✓ migrations: { $applied } of { $known } applied, none unknown
check-migrations-bad = ✗ migrations: missing { $missing }; unknown to this broker { $unknown }; changed { $changed }; failed { $failed }
check-directory-skipped = – directory log: not checked, because migrations are missing
check-directory-unclaimed = ✓ directory log: empty (the broker is not claimed yet)
check-directory-ok = ✓ directory log: { $entries ->
        [one] one entry
       *[other] { $entries } entries
    } verified from the genesis, signatures and hash chain; root fingerprint { $root }
check-directory-bad = ✗ directory log: { $detail }
check-passed = All checks passed.
check-failed = { $problems ->
        [one] One problem found.
       *[other] { $problems } problems found.
    } Do not serve from this database; restore the latest backup that passes the check (docs/deployment.md).
