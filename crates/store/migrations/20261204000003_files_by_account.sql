-- An account's storage in use (`--account-quota-bytes`): the sum of its files' sizes, read
-- from this index alone.
CREATE INDEX files_by_account ON files (account_id, size);
