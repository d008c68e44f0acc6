-- Run-off rounds and the pseudonym key.

-- A poll the bot created itself: a run-off between the top two of a poll that was too
-- close to call. It is not in the YAML, so its definition (the poll's config, as JSON)
-- lives here; its lifecycle and ballots use the ordinary polls and ballots tables.
-- UNIQUE (runoff_of): one run-off per poll, however many times or processes settle it.
CREATE TABLE poll_rounds (
    poll_id    TEXT PRIMARY KEY,
    runoff_of  TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL,
    definition TEXT NOT NULL CHECK (json_valid(definition)),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Random per-database secrets, e.g. the HMAC key that turns platform user ids into
-- stable pseudonyms in exports. Never printed, never leaves the database.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
