-- The broker's schema on SQLite (docs/adr/0002). Append-only once landed:
-- change it with a new numbered file, never by editing this one.
--
-- Packets hold ciphertext plus only the routing metadata of SPEC §2.2: random
-- packet and thread ids, sender and recipient desk, padded size, coarse
-- status, hour-truncated times and expiry. No device id or person id sits in
-- any packet, chunk, thread or tombstone row.
--
-- Every table is STRICT so that a value of the wrong type is refused instead
-- of being stored as whatever SQLite makes of it.

CREATE TABLE desks (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    prefecture  TEXT,
    languages   TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
    id            BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    desk_id       TEXT    REFERENCES desks (id),
    role          TEXT    NOT NULL CHECK (role IN ('caseworker', 'desk', 'admin')),
    signing_key   BLOB    NOT NULL CHECK (length(signing_key) = 32),
    age_recipient TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
    created_at    INTEGER NOT NULL
) STRICT;

-- active_devices_of(desk) and the foreign key from devices to desks.
CREATE INDEX devices_by_desk ON devices (desk_id, state);

-- At most one bootstrap code (slot 1): a new code replaces an unclaimed one.
CREATE TABLE bootstrap (
    slot        INTEGER NOT NULL PRIMARY KEY CHECK (slot = 1),
    code_hash   BLOB    NOT NULL CHECK (length(code_hash) = 32),
    expires_at  INTEGER NOT NULL,
    claimed_at  INTEGER
) STRICT;

-- The admin root key, set once by the bootstrap claim (slot 1).
CREATE TABLE root (
    slot        INTEGER NOT NULL PRIMARY KEY CHECK (slot = 1),
    signing_key BLOB    NOT NULL CHECK (length(signing_key) = 32)
) STRICT;

-- Single-use auth challenges, by hash (the challenge itself is never kept).
CREATE TABLE challenges (
    hash       BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    device_id  BLOB    NOT NULL CHECK (length(device_id) = 16),
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Token-signing keys; broker.db is 0600 in a 0700 directory (ADR 0002 §6).
CREATE TABLE token_keys (
    kid        TEXT    NOT NULL PRIMARY KEY,
    pkcs8      BLOB    NOT NULL,
    public     BLOB    NOT NULL CHECK (length(public) = 32),
    created_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;

CREATE TABLE threads (
    id             BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    sender_desk    TEXT    NOT NULL REFERENCES desks (id),
    recipient_desk TEXT    NOT NULL REFERENCES desks (id),
    status         TEXT    NOT NULL CHECK (status IN ('sent', 'received', 'accepted',
                       'rejected', 'in_progress', 'completed', 'cancelled', 'forwarded', 'expired')),
    created_hour   INTEGER NOT NULL CHECK (created_hour % 3600 = 0)
) STRICT;

CREATE TABLE thread_events (
    thread_id BLOB    NOT NULL REFERENCES threads (id),
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    status    TEXT    NOT NULL CHECK (status IN ('sent', 'received', 'accepted',
                  'rejected', 'in_progress', 'completed', 'cancelled', 'forwarded', 'expired')),
    at_hour   INTEGER NOT NULL CHECK (at_hour % 3600 = 0),
    PRIMARY KEY (thread_id, seq)
) STRICT, WITHOUT ROWID;

-- `arrival` is the insertion order that breaks inbox ties. It is an explicit
-- INTEGER PRIMARY KEY (a rowid alias) because VACUUM may renumber an implicit
-- rowid. `acked_at` is rounded up to the hour: coarse like every other time
-- here, and rounding up means the grace period is never cut short.
CREATE TABLE packets (
    arrival        INTEGER NOT NULL PRIMARY KEY,
    id             BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    thread_id      BLOB    NOT NULL REFERENCES threads (id),
    sender_desk    TEXT    NOT NULL REFERENCES desks (id),
    recipient_desk TEXT    NOT NULL REFERENCES desks (id),
    bytes          INTEGER NOT NULL CHECK (bytes >= 0),
    sha256         BLOB    NOT NULL CHECK (length(sha256) = 32),
    kind           TEXT    NOT NULL CHECK (kind IN ('referral', 'reply', 'forward')),
    delivery       TEXT    NOT NULL CHECK (delivery IN ('pending', 'acknowledged', 'expired')),
    received_hour  INTEGER NOT NULL CHECK (received_hour % 3600 = 0),
    expires_at     INTEGER NOT NULL,
    acked_at       INTEGER CHECK (acked_at IS NULL OR acked_at % 3600 = 0)
) STRICT;

-- The inbox reads only pending packets of one desk, oldest hour first, ties
-- by arrival: this partial index makes that O(pending), not O(stored), and
-- returns rows already in order (no sort step).
CREATE INDEX packets_inbox ON packets (recipient_desk, received_hour, arrival)
    WHERE delivery = 'pending';

-- Purge: pending packets past expiry, expired rows past the grace period.
CREATE INDEX packets_by_expiry ON packets (delivery, expires_at);

-- Purge: acknowledged packets past the grace period.
CREATE INDEX packets_acked ON packets (acked_at) WHERE delivery = 'acknowledged';

-- Ciphertext, at most 1 MiB a row (body::CHUNK_BYTES). A rowid table on
-- purpose: WITHOUT ROWID suits small rows only.
CREATE TABLE packet_chunks (
    packet_id BLOB    NOT NULL REFERENCES packets (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    data      BLOB    NOT NULL,
    PRIMARY KEY (packet_id, seq)
) STRICT;

-- SHA-256("referral-broker tombstone v1\0" || packet id) of every purged
-- packet: a replayed id is refused without the id being kept.
CREATE TABLE tombstones (
    hash      BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
    purged_at INTEGER NOT NULL CHECK (purged_at % 3600 = 0)
) STRICT, WITHOUT ROWID;
