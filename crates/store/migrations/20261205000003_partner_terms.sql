-- The terms an account sets for a partner account: the highest proof role the partner's
-- users may get on what the account shares, whether they may download originals, and
-- whether the partner sees all of the account's users on Contacts or only those listed in
-- partner_visible_users. No row: no cap.

CREATE TABLE partner_terms (
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    partner_account_id  TEXT NOT NULL REFERENCES accounts (id),
    max_proof_role      TEXT NOT NULL,
    download            BIGINT NOT NULL,
    -- 1: every user of account_id is visible; 0: only those in partner_visible_users.
    visible_all         BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (account_id, partner_account_id)
);

CREATE TABLE partner_visible_users (
    account_id          TEXT NOT NULL,
    partner_account_id  TEXT NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (account_id, partner_account_id, user_id)
);
