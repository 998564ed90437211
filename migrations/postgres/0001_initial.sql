-- The broker's PostgreSQL schema (docs/adr/0002). Append-only once landed:
-- change it with a new numbered file, never by editing this one (sqlx keeps
-- a checksum of every applied migration and refuses edited ones).
--
-- What may sit next to a packet is fixed by SPEC §2.2: random packet and
-- thread ids, sender and recipient desk, padded size, coarse status, the
-- hour it arrived, and its expiry. No device id and no person id appear in
-- `packets`, `packet_chunks`, `threads` or `thread_events`.
--
-- Times are BIGINT seconds since the Unix epoch (the Rust side's
-- `UnixTime`), so both backends store the same numbers.

CREATE TABLE desks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    prefecture  TEXT,
    languages   TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE devices (
    id             UUID PRIMARY KEY,
    -- NULL for administrators, who belong to no desk.
    desk_id        TEXT REFERENCES desks (id),
    role           TEXT NOT NULL CHECK (role IN ('caseworker', 'desk', 'admin')),
    signing_key    BYTEA NOT NULL CHECK (octet_length(signing_key) = 32),
    age_recipient  TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
    created_at     BIGINT NOT NULL
);

-- Encryption looks up a desk's active devices on every send.
CREATE INDEX devices_active_by_desk ON devices (desk_id) WHERE state = 'active';

-- Bootstrap codes, by hash only. At most one is unclaimed at a time
-- (set_bootstrap_code replaces it); the claimed one stays as a record.
CREATE TABLE bootstrap (
    code_hash   BYTEA PRIMARY KEY CHECK (octet_length(code_hash) = 32),
    expires_at  BIGINT NOT NULL,
    claimed_at  BIGINT
);

-- The admin root key. The constant primary key allows exactly one row, so
-- two concurrent claims cannot both create a root.
CREATE TABLE root (
    singleton    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    signing_key  BYTEA NOT NULL CHECK (octet_length(signing_key) = 32)
);

-- Auth challenges, by hash, single use.
CREATE TABLE challenges (
    hash        BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
    device_id   UUID NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Token-signing keys, shared by every broker on this database (ADR 0002 §6).
CREATE TABLE token_keys (
    kid         TEXT PRIMARY KEY,
    pkcs8       BYTEA NOT NULL,
    public      BYTEA NOT NULL CHECK (octet_length(public) = 32),
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE threads (
    id              UUID PRIMARY KEY,
    sender_desk     TEXT NOT NULL REFERENCES desks (id),
    recipient_desk  TEXT NOT NULL REFERENCES desks (id),
    status          TEXT NOT NULL CHECK (status IN ('sent', 'received', 'accepted',
                        'rejected', 'in_progress', 'completed', 'cancelled',
                        'forwarded', 'expired')),
    created_hour    BIGINT NOT NULL CHECK (created_hour % 3600 = 0)
);

CREATE TABLE thread_events (
    thread_id  UUID NOT NULL REFERENCES threads (id),
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    status     TEXT NOT NULL CHECK (status IN ('sent', 'received', 'accepted',
                   'rejected', 'in_progress', 'completed', 'cancelled',
                   'forwarded', 'expired')),
    at_hour    BIGINT NOT NULL CHECK (at_hour % 3600 = 0),
    PRIMARY KEY (thread_id, seq)
);

CREATE TABLE packets (
    id              UUID PRIMARY KEY,
    -- Deferred: a referral's packet row is inserted before its thread, so
    -- that concurrent retries of one packet id queue on the primary key
    -- (and answer Duplicate) instead of racing on the thread id.
    thread_id       UUID NOT NULL REFERENCES threads (id) DEFERRABLE INITIALLY DEFERRED,
    sender_desk     TEXT NOT NULL REFERENCES desks (id),
    recipient_desk  TEXT NOT NULL REFERENCES desks (id),
    bytes           BIGINT NOT NULL CHECK (bytes >= 0),
    sha256          BYTEA NOT NULL CHECK (octet_length(sha256) = 32),
    kind            TEXT NOT NULL CHECK (kind IN ('referral', 'reply', 'forward')),
    delivery        TEXT NOT NULL CHECK (delivery IN ('pending', 'acknowledged', 'expired')),
    received_hour   BIGINT NOT NULL CHECK (received_hour % 3600 = 0),
    expires_at      BIGINT NOT NULL,
    -- Rounded up to the hour: the exact second a desk read a packet is
    -- activity data the broker does not need (SPEC §2.2).
    acked_at        BIGINT CHECK (acked_at % 3600 = 0),
    -- Insertion order, only to break ties between packets of the same hour.
    ord             BIGSERIAL NOT NULL
);

-- The inbox reads only pending packets, oldest first: O(pending), however
-- many delivered packets wait for their purge.
CREATE INDEX packets_inbox ON packets (recipient_desk, received_hour, ord)
    WHERE delivery = 'pending';
-- The purge's three scans, each over only the rows it may touch.
CREATE INDEX packets_pending_expiry ON packets (expires_at) WHERE delivery = 'pending';
CREATE INDEX packets_acked ON packets (acked_at) WHERE delivery = 'acknowledged';
CREATE INDEX packets_expired ON packets (expires_at) WHERE delivery = 'expired';

-- Ciphertext, at most 1 MiB per row. Deleting a packet deletes its chunks.
CREATE TABLE packet_chunks (
    packet_id  UUID NOT NULL REFERENCES packets (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    data       BYTEA NOT NULL,
    PRIMARY KEY (packet_id, seq)
);

-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE packet_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- SHA-256("referral-broker tombstone v1\0" || packet id) of every purged
-- packet, so a replayed id is refused without keeping the id itself.
CREATE TABLE tombstones (
    hash       BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
    purged_at  BIGINT NOT NULL
);
