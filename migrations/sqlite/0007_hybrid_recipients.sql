-- ADR 0020: a device may name a hybrid (ML-KEM-768 + X25519, `age1pq1…`)
-- recipient beside its X25519 one. An enrollment or rotation request keeps it
-- so that the approving entry can be matched against exactly what the device
-- asked for. Devices keep theirs only in the directory log, where clients
-- read it; the broker encrypts nothing.
ALTER TABLE requests ADD COLUMN pq_recipient TEXT;
