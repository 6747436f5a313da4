-- Partner relationships (one row per request, never deleted), the lock rows that
-- serialize changes between a pair of accounts, and the append-only audit log.

CREATE TABLE relationships (
    id                    TEXT PRIMARY KEY,
    sender_account_id     TEXT NOT NULL REFERENCES accounts (id),
    sender_user_id        TEXT NOT NULL REFERENCES users (id),
    email                 TEXT NOT NULL,
    -- NULL until a user with `email` exists.
    recipient_account_id  TEXT REFERENCES accounts (id),
    sender_view           TEXT NOT NULL,
    recipient_view        TEXT NOT NULL,
    -- 1 once accepted: from then on the sender sees the partner account's name.
    accepted_once         BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX relationships_by_sender ON relationships (sender_account_id, created_at);
CREATE INDEX relationships_by_recipient ON relationships (recipient_account_id, id);
CREATE INDEX relationships_by_email ON relationships (email);

-- One row per pair of accounts that ever met (account_a < account_b). Locked by every
-- transaction that may create or end a partnership between the two.
CREATE TABLE account_pairs (
    account_a  TEXT NOT NULL REFERENCES accounts (id),
    account_b  TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (account_a, account_b)
);

CREATE TABLE audit_log (
    id                      TEXT PRIMARY KEY,
    at                      BIGINT NOT NULL,
    action                  TEXT NOT NULL,
    actor_user_id           TEXT,
    actor_account_id        TEXT,
    relationship_id         TEXT NOT NULL,
    sender_account_id       TEXT NOT NULL,
    recipient_account_id    TEXT,
    sender_view_before      TEXT NOT NULL,
    recipient_view_before   TEXT NOT NULL,
    sender_view_after       TEXT NOT NULL,
    recipient_view_after    TEXT NOT NULL
);
CREATE INDEX audit_by_sender ON audit_log (sender_account_id, id);
CREATE INDEX audit_by_recipient ON audit_log (recipient_account_id, id);
