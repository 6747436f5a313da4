-- Member rows still to be written for a user added to an account with many partners
-- (`contacts/fanout.rs`): a background worker writes them in chunks of partner accounts,
-- right after the change; a partner action touching the account finishes them first,
-- inside its own transaction; `coproof check contacts` finishes them before checking.
CREATE TABLE contact_fanout (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    -- Partner accounts with an id up to this one have their row.
    done_up_to  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX contact_fanout_by_account ON contact_fanout (account_id);
