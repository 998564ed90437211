-- The cap on pending bytes per sending desk (issue 14, item 6) sums the
-- sizes of one desk's pending packets before each send. This partial index
-- covers that sum, so its cost grows with the desk's pending packets only,
-- not with everything stored.
CREATE INDEX packets_pending_by_sender ON packets (sender_desk, bytes)
    WHERE delivery = 'pending';
