-- Challenge rows name no device (ADR 0019 §2). A row is keyed by
-- SHA-256('referral-broker challenge v1\0' || device id || challenge), which
-- the broker recomputes from the token request, and holds only that key and
-- its expiry: a seized database no longer says whose login a row was.
--
-- Outstanding challenges live 60 seconds; dropping them costs a client at
-- most one retried login, so the table is replaced rather than migrated.
DROP TABLE challenges;

CREATE TABLE challenges (
    key         BYTEA PRIMARY KEY CHECK (octet_length(key) = 32),
    expires_at  BIGINT NOT NULL
);

CREATE INDEX challenges_by_expiry ON challenges (expires_at);
