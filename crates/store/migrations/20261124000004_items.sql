-- Folders, files, proofs (with versions, decisions and comments) and shares.
-- Same conventions as before: TEXT ids, BIGINT numbers, booleans 0/1, times in
-- microseconds since the epoch (UTC).

-- A tree per account. `path` is the materialized chain of ids from the top down to the
-- folder itself, `/top/…/self/`, so the folders above any item are known without a walk.
CREATE TABLE folders (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    parent_id   TEXT REFERENCES folders (id),
    path        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    -- Set when the folder itself was put in the trash (its contents follow it).
    trashed_at  BIGINT,
    trashed_by  TEXT
);
CREATE INDEX folders_by_parent ON folders (parent_id, name);
CREATE INDEX folders_by_account ON folders (account_id, trashed_at);

-- Uploaded files. The bytes are in the file store under `storage_key` (the new file id);
-- `name` is the client's name, metadata only.
CREATE TABLE files (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    folder_id     TEXT REFERENCES folders (id),
    name          TEXT NOT NULL,
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    storage_key   TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX files_by_folder ON files (folder_id, id);

CREATE TABLE proofs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    folder_id   TEXT REFERENCES folders (id),
    name        TEXT NOT NULL,
    -- The current version (1, 2, …).
    version     BIGINT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX proofs_by_folder ON proofs (folder_id, id);

CREATE TABLE proof_versions (
    proof_id    TEXT NOT NULL REFERENCES proofs (id),
    version     BIGINT NOT NULL,
    file_id     TEXT NOT NULL REFERENCES files (id),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (proof_id, version)
);

-- A reviewer's decision on one version. Reviewers and their roles are the person shares
-- of the proof (`shares.role`); a reviewer with no row here has decided nothing
-- (`pending`) on that version.
CREATE TABLE reviewer_decisions (
    proof_id    TEXT NOT NULL REFERENCES proofs (id),
    version     BIGINT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    decision    TEXT NOT NULL,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (proof_id, version, user_id)
);

CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    proof_id     TEXT NOT NULL REFERENCES proofs (id),
    version      BIGINT NOT NULL,
    parent_id    TEXT REFERENCES comments (id),
    author_id    TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    resolved     BIGINT NOT NULL DEFAULT 0,
    resolved_by  TEXT,
    resolved_at  BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX comments_by_proof ON comments (proof_id, id);

-- A share of one item with a person (`user_id`) or a whole account (`account_id`).
CREATE TABLE shares (
    id          TEXT PRIMARY KEY,
    item_type   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id),
    account_id  TEXT REFERENCES accounts (id),
    role        TEXT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX shares_one_per_user ON shares (item_type, item_id, user_id);
CREATE UNIQUE INDEX shares_one_per_account ON shares (item_type, item_id, account_id);
-- Ids are unique across item kinds: the access rule looks shares up by item id alone.
CREATE INDEX shares_by_item ON shares (item_id);
CREATE INDEX shares_by_user ON shares (user_id, id);
CREATE INDEX shares_by_account ON shares (account_id, id);
