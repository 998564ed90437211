-- "My desk's threads changed since N" (ADR 0014): per thread, the sequence
-- number of its last change. A change is a new thread event or a new packet
-- on the thread.
--
-- Several brokers write at once, so a number drawn at insert time would not
-- be in commit order: a reader could see change 6, move its cursor past it,
-- and never see change 5 committed a moment later. The number is therefore
-- drawn by a DEFERRED constraint trigger (at commit) under a transaction
-- advisory lock: no other thread-changing transaction can draw a later
-- number and commit first. The lock is the last one such a transaction
-- takes, and only this trigger writes `thread_changes`, so it cannot
-- deadlock with the row locks taken earlier.
CREATE SEQUENCE thread_change_seq;

CREATE TABLE thread_changes (
    thread_id UUID   PRIMARY KEY,
    seq       BIGINT NOT NULL UNIQUE CHECK (seq >= 1)
);

-- Threads that existed before this migration: one change each, in creation
-- order, so the first sync of every client lists them.
INSERT INTO thread_changes (thread_id, seq)
    SELECT id, nextval('thread_change_seq')
    FROM (SELECT id FROM threads ORDER BY created_hour, id) AS t;

CREATE FUNCTION note_thread_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- 0x7265667468726401: "refthrd" + 1, beside the store's other locks.
    PERFORM pg_advisory_xact_lock(8243107343126127617);
    INSERT INTO thread_changes (thread_id, seq)
        VALUES (NEW.thread_id, nextval('thread_change_seq'))
        ON CONFLICT (thread_id) DO UPDATE SET seq = EXCLUDED.seq;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER thread_changed_by_event AFTER INSERT ON thread_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_thread_change();

CREATE CONSTRAINT TRIGGER thread_changed_by_packet AFTER INSERT ON packets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_thread_change();
