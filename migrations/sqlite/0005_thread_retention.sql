-- Thread retention (ADR 0019 §1). A closed thread is deleted a retention
-- period after its last event, once no packet row names it; what `admin
-- stats` showed of it is kept here: one count per recipient desk, week the
-- thread opened (Monday 00:00 UTC, as `store::week_start` computes it) and
-- final status. No sender desk, no thread, no hour.
CREATE TABLE thread_week_counts (
    desk_id    TEXT    NOT NULL REFERENCES desks (id),
    week_start INTEGER NOT NULL CHECK ((week_start - 345600) % 604800 = 0),
    status     TEXT    NOT NULL CHECK (status IN ('rejected', 'completed', 'cancelled',
                   'forwarded', 'expired')),
    threads    INTEGER NOT NULL CHECK (threads > 0),
    PRIMARY KEY (desk_id, week_start, status)
) STRICT;

-- The change feed numbered changes MAX(seq) + 1. Once the thread holding the
-- highest number can be deleted, that number would be handed out again and
-- a client whose cursor had seen it would miss the new change. The last
-- number handed out now lives in a row of its own, like PostgreSQL's
-- sequence, and only grows.
CREATE TABLE thread_change_clock (
    id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;

INSERT INTO thread_change_clock (id, seq)
    SELECT 1, COALESCE(MAX(seq), 0) FROM thread_changes;

DROP TRIGGER thread_changed_by_event;
DROP TRIGGER thread_changed_by_packet;

CREATE TRIGGER thread_changed_by_event AFTER INSERT ON thread_events
BEGIN
    UPDATE thread_change_clock SET seq = seq + 1 WHERE id = 1;
    INSERT OR REPLACE INTO thread_changes (thread_id, seq)
        VALUES (NEW.thread_id, (SELECT seq FROM thread_change_clock WHERE id = 1));
END;

CREATE TRIGGER thread_changed_by_packet AFTER INSERT ON packets
    WHEN EXISTS (SELECT 1 FROM threads WHERE id = NEW.thread_id)
BEGIN
    UPDATE thread_change_clock SET seq = seq + 1 WHERE id = 1;
    INSERT OR REPLACE INTO thread_changes (thread_id, seq)
        VALUES (NEW.thread_id, (SELECT seq FROM thread_change_clock WHERE id = 1));
END;
