-- Contacts: one row per (owner account, contact), written when users and partnerships
-- change (fan-out on write), so a Contacts page is one keyset range of one index.
--
-- kind 'user'   a user of the owner account;      id = the user's id, partnership NULL.
-- kind 'member' a user of a partner account;      id = the user's id, partnership
--               'active' while the partnership lasts, 'ended' (frozen) after it.
-- kind 'guest'  added by hand;                    id = a new id, account_id NULL.
-- Synced rows (user, member) carry company = the name of the user's account.
-- name_key and search are lower-cased by the application (so Korean and accented names
-- behave the same on both databases); hidden = 1 when an ended member was deleted by hand
-- (kept so a later partnership can bring it back and the check can tell it from a loss).

CREATE TABLE contacts (
    owner_account_id  TEXT NOT NULL REFERENCES accounts (id),
    id                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    account_id        TEXT REFERENCES accounts (id),
    name              TEXT NOT NULL,
    email             TEXT NOT NULL,
    company           TEXT,
    telephone         TEXT,
    mobile            TEXT,
    partnership       TEXT,
    active            BIGINT NOT NULL DEFAULT 1,
    hidden            BIGINT NOT NULL DEFAULT 0,
    name_key          TEXT NOT NULL,
    search            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (owner_account_id, id)
);

-- The Contacts page: keyset by (name_key, email, id); kind and search are carried so that
-- filters are checked on the index entries without reading the rows.
CREATE INDEX contacts_page ON contacts
    (owner_account_id, hidden, name_key, email, id, kind, search);
-- Every row of one user (renames and (de)activation follow while partnerships last).
CREATE INDEX contacts_by_user ON contacts (id);
-- The rows one account holds of another (a partnership ends or starts again).
CREATE INDEX contacts_by_partner ON contacts (owner_account_id, account_id);
-- One guest per address in an account.
CREATE UNIQUE INDEX contacts_guest_email ON contacts (owner_account_id, email)
    WHERE kind = 'guest';

-- Users that existed before this migration appear in their own account.
INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company,
    partnership, active, hidden, name_key, search, created_at, updated_at)
SELECT u.account_id, u.id, 'user', u.account_id, u.name, u.email, a.name, NULL, u.active, 0,
    lower(u.name), lower(u.name) || '|' || u.email || '|' || lower(a.name), u.created_at,
    u.updated_at
FROM users u JOIN accounts a ON a.id = u.account_id;

-- ... and users of accounts that were ever partners appear as members, active or ended.
INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company,
    partnership, active, hidden, name_key, search, created_at, updated_at)
SELECT p.owner_id, u.id, 'member', u.account_id, u.name, u.email, a.name,
    CASE WHEN p.active_now > 0 THEN 'active' ELSE 'ended' END, u.active, 0,
    lower(u.name), lower(u.name) || '|' || u.email || '|' || lower(a.name), u.created_at,
    u.updated_at
FROM (
    SELECT q.owner_id, q.partner_id, MAX(q.active_now) AS active_now FROM (
        SELECT sender_account_id AS owner_id, recipient_account_id AS partner_id,
            CASE WHEN sender_view = 'accepted' AND recipient_view = 'accepted' THEN 1 ELSE 0 END
                AS active_now
        FROM relationships WHERE accepted_once = 1 AND recipient_account_id IS NOT NULL
        UNION ALL
        SELECT recipient_account_id, sender_account_id,
            CASE WHEN sender_view = 'accepted' AND recipient_view = 'accepted' THEN 1 ELSE 0 END
        FROM relationships WHERE accepted_once = 1 AND recipient_account_id IS NOT NULL
    ) q GROUP BY q.owner_id, q.partner_id
) p
JOIN users u ON u.account_id = p.partner_id
JOIN accounts a ON a.id = u.account_id;
