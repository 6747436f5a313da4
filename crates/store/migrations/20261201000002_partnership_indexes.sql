-- The partner accounts of an account, in id order, from active partnerships only: the
-- contacts fan-out (`contacts/fanout.rs`) reads the next chunk of them for every chunk it
-- writes, a range of these instead of every request the account ever sent or received.
-- Partial: a request that is sent, rejected or deleted adds nothing to them.
CREATE INDEX partnerships_by_sender ON relationships (sender_account_id, recipient_account_id)
    WHERE sender_view = 'accepted' AND recipient_view = 'accepted';
CREATE INDEX partnerships_by_recipient ON relationships (recipient_account_id, sender_account_id)
    WHERE sender_view = 'accepted' AND recipient_view = 'accepted';
