-- Signed webhooks (spec/api.md, "Partner connections"): an account's endpoints, the events
-- each wants, and a durable queue of deliveries written in the transaction of the change
-- that caused the event (like the mail outbox). Same conventions as before: TEXT ids,
-- BIGINT numbers and times (microseconds since the epoch, UTC).

-- An endpoint's signing key is not stored: the server derives it from its own key (a file
-- in the data directory, or `--webhooks-key-file`) and the endpoint's id and `salt`.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    url         TEXT NOT NULL,
    -- The event names, comma-separated, in the order of the spec (for display).
    events      TEXT NOT NULL,
    salt        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id, id);

-- One row per endpoint and event it wants: an event is queued for an account with one
-- INSERT … SELECT over this primary key (nothing read when the account has no endpoint).
CREATE TABLE webhook_subscriptions (
    account_id   TEXT NOT NULL,
    event        TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id),
    PRIMARY KEY (account_id, event, endpoint_id)
);

-- One row per event and endpoint. `event_id` is the `webhook-id` header: the same on every
-- attempt, so receivers can drop duplicates. `body` is the exact JSON signed and sent.
-- `status`: `pending` (due at `next_attempt_at`), `delivered`, `failed` (given up, or
-- refused: the address turned out to be private; the reason in `last_error`).
CREATE TABLE webhook_deliveries (
    endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id          TEXT NOT NULL,
    event             TEXT NOT NULL,
    body              TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          BIGINT NOT NULL DEFAULT 0,
    last_status_code  BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    next_attempt_at   BIGINT NOT NULL,
    -- A worker's claim, exactly as the mail outbox's (`workers` heartbeats).
    claimed_until     BIGINT NOT NULL DEFAULT 0,
    claimed_by        TEXT,
    finished_at       BIGINT,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
