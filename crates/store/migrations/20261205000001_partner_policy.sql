-- Partner policies (one row per account that changed the defaults) and request expiry.

CREATE TABLE partner_policies (
    account_id             TEXT PRIMARY KEY REFERENCES accounts (id),
    -- anyone | listed_domains | nobody
    incoming               TEXT NOT NULL,
    -- Domains separated by single spaces, sorted.
    allowed_domains        TEXT NOT NULL,
    blocked_domains        TEXT NOT NULL,
    auto_accept_domains    TEXT NOT NULL,
    request_lifetime_days  BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);

-- When a request the sender still waits on expires: its creation plus the recipient
-- policy's lifetime (30 days for requests made before policies existed).
ALTER TABLE relationships ADD COLUMN expires_at BIGINT;
UPDATE relationships SET expires_at = created_at + 2592000000000;
CREATE INDEX relationships_awaiting_answer ON relationships (expires_at)
    WHERE sender_view = 'pending';
