-- Identity: verified addresses, and the attempts that throttles count.

-- 1 once the user has used a single-use link e-mailed to its address. Users who existed
-- before this migration start unverified: nothing proves that they read their mailbox (an
-- open sign-up let anyone claim any address). They verify from the banner on every page
-- (or the operator vouches with `coproof user verify`). Requests already attached stay so.
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 0;

-- One row per counted attempt: a failed sign-in for an address or from an IP, a
-- password-reset request, a verification e-mail sent again. Rows older than the longest
-- window are purged by the housekeeping job.
CREATE TABLE throttle_attempts (
    key  TEXT NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX throttle_attempts_by_key ON throttle_attempts (key, at);

-- Expired tokens are purged by the housekeeping job.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

-- Sessions and tokens a user can list and end: an id to name them by, a name for personal
-- API tokens, and when each was last used (kept to within a few minutes).
ALTER TABLE tokens ADD COLUMN id TEXT;
ALTER TABLE tokens ADD COLUMN name TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
UPDATE tokens SET id = substr(hash, 1, 26), last_used_at = created_at WHERE id IS NULL;
CREATE UNIQUE INDEX tokens_by_id ON tokens (id);

-- Two-factor sign-in (TOTP, RFC 6238): the secret once confirmed, the one offered while
-- the user sets it up, and the last time step used (a code works once).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- Recovery codes, each usable once, stored only as SHA-256 hashes.
CREATE TABLE recovery_codes (
    user_id  TEXT NOT NULL REFERENCES users (id),
    hash     TEXT NOT NULL,
    PRIMARY KEY (user_id, hash)
);

-- Security events of an account (`GET /audit`), beside the partner entries of audit_log:
-- sign-ins, password and two-factor changes, sessions, users, shares, trash, imports.
CREATE TABLE security_events (
    id               TEXT PRIMARY KEY,
    at               BIGINT NOT NULL,
    action           TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    actor_user_id    TEXT,
    subject          TEXT,
    ip               TEXT,
    before_state     TEXT,
    after_state      TEXT
);
CREATE INDEX security_events_by_account ON security_events (account_id, id);
CREATE INDEX security_events_by_action ON security_events (account_id, action, id);
