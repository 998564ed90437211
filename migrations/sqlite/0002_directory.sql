-- The signed directory log and the requests that feed it (ADR 0003, 0004).
-- Append-only once landed, like 0001.
--
-- The broker keeps the log's entries byte for byte as administrators signed
-- them; desks, devices, the root and token keys in 0001's tables follow from
-- the entries and change in the same transaction as each append.

-- Entry `seq` of the log: its canonical encoding and its chain hash. `seq`
-- is the primary key, so of two brokers appending at the same head only one
-- succeeds.
CREATE TABLE directory_entries (
    seq   INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    entry BLOB    NOT NULL CHECK (length(entry) > 0)
) STRICT;

-- One-time enrollment codes, by domain-separated hash only. A code is
-- deleted when it is used (nothing then links a request to its invite) and
-- by the purge once it has expired.
CREATE TABLE invites (
    code_hash  BLOB    NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
    desk_id    TEXT    NOT NULL REFERENCES desks (id),
    role       TEXT    NOT NULL CHECK (role IN ('caseworker', 'desk', 'admin')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX invites_by_expiry ON invites (expires_at);

-- Pending enrollment and rotation requests. A request leaves this table in
-- the transaction that appends the entry approving it (or when a newer
-- rotation of the same device replaces it, or its device is revoked), so
-- every row here is waiting for an administrator. `arrival` orders the
-- listing oldest first; it is an explicit rowid alias because VACUUM may
-- renumber an implicit rowid (as for packets in 0001).
CREATE TABLE requests (
    arrival           INTEGER NOT NULL PRIMARY KEY,
    id                BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    kind              TEXT    NOT NULL CHECK (kind IN ('enrollment', 'rotation')),
    device_id         BLOB    NOT NULL CHECK (length(device_id) = 16),
    desk_id           TEXT    REFERENCES desks (id),
    role              TEXT    NOT NULL CHECK (role IN ('caseworker', 'desk', 'admin')),
    signing_key       BLOB    NOT NULL CHECK (length(signing_key) = 32),
    age_recipient     TEXT    NOT NULL,
    device_signature  BLOB    CHECK (device_signature IS NULL OR length(device_signature) = 64),
    old_key_signature BLOB    CHECK (old_key_signature IS NULL OR length(old_key_signature) = 64),
    new_key_signature BLOB    CHECK (new_key_signature IS NULL OR length(new_key_signature) = 64),
    created_hour      INTEGER NOT NULL CHECK (created_hour % 3600 = 0),
    -- Each kind carries exactly its own signatures.
    CHECK ((kind = 'enrollment' AND device_signature IS NOT NULL
                AND old_key_signature IS NULL AND new_key_signature IS NULL)
        OR (kind = 'rotation' AND device_signature IS NULL
                AND old_key_signature IS NOT NULL AND new_key_signature IS NOT NULL))
) STRICT;

-- At most one pending request of each kind per device, and a key is asked
-- for by one request only.
CREATE UNIQUE INDEX requests_one_per_device ON requests (device_id, kind);
CREATE UNIQUE INDEX requests_by_signing_key ON requests (signing_key);

-- A device signing key names one device (the directory log's rule, ADR 0003):
-- the broker authenticates a device by its key, so two rows must never share one.
CREATE UNIQUE INDEX devices_by_signing_key ON devices (signing_key);

-- Token-signing keys made by `POST /v1/admin/token-keys` and not yet
-- activated by a `TokenKeyRotated` entry. Private keys, like `token_keys`
-- (broker.db is 0600 in a 0700 directory); the purge drops stale ones.
CREATE TABLE staged_token_keys (
    kid        TEXT    NOT NULL PRIMARY KEY,
    pkcs8      BLOB    NOT NULL,
    public     BLOB    NOT NULL UNIQUE CHECK (length(public) = 32),
    created_at INTEGER NOT NULL
) STRICT;

-- `admin stats` counts threads by recipient desk, status and week of creation.
CREATE INDEX threads_for_stats ON threads (recipient_desk, status, created_hour);
