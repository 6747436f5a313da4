-- Mail claims carry their owner: a server process (`workers`), which renews them while it
-- lives (a heartbeat every 2 s). A claim whose owner stopped beating is free again within
-- seconds, instead of when its two-minute lease runs out.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
CREATE TABLE workers (
    id       TEXT PRIMARY KEY,
    seen_at  BIGINT NOT NULL
);
