-- "My desk's threads changed since N" (ADR 0014): per thread, the sequence
-- number of its last change. A change is a new thread event or a new packet
-- on the thread. SQLite has one writer, so MAX(seq) + 1 inside the write is
-- in commit order, and a reader that saw N has seen every change up to N.
-- Triggers, so every write path (send, group commit, ack, purge) is covered.
CREATE TABLE thread_changes (
    thread_id BLOB    NOT NULL PRIMARY KEY REFERENCES threads (id),
    seq       INTEGER NOT NULL UNIQUE CHECK (seq >= 1)
) STRICT;

-- Threads that existed before this migration: one change each, in creation
-- order, so the first sync of every client lists them.
INSERT INTO thread_changes (thread_id, seq)
    SELECT id, ROW_NUMBER() OVER (ORDER BY created_hour, rowid) FROM threads;

CREATE TRIGGER thread_changed_by_event AFTER INSERT ON thread_events
BEGIN
    INSERT OR REPLACE INTO thread_changes (thread_id, seq)
        VALUES (NEW.thread_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM thread_changes));
END;

CREATE TRIGGER thread_changed_by_packet AFTER INSERT ON packets
    WHEN EXISTS (SELECT 1 FROM threads WHERE id = NEW.thread_id)
BEGIN
    INSERT OR REPLACE INTO thread_changes (thread_id, seq)
        VALUES (NEW.thread_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM thread_changes));
END;
