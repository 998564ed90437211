-- Thread retention (ADR 0019 §1). A closed thread is deleted a retention
-- period after its last event, once no packet row names it; what `admin
-- stats` showed of it is kept here: one count per recipient desk, week the
-- thread opened (Monday 00:00 UTC, as `store::week_start` computes it) and
-- final status. No sender desk, no thread, no hour.
--
-- The change feed needs nothing: its numbers come from `thread_change_seq`,
-- which never hands one out twice, whatever rows are deleted.
CREATE TABLE thread_week_counts (
    desk_id    TEXT   NOT NULL REFERENCES desks (id),
    week_start BIGINT NOT NULL CHECK (mod(week_start - 345600, 604800) = 0),
    status     TEXT   NOT NULL CHECK (status IN ('rejected', 'completed', 'cancelled',
                   'forwarded', 'expired')),
    threads    BIGINT NOT NULL CHECK (threads > 0),
    PRIMARY KEY (desk_id, week_start, status)
);
