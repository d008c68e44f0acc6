-- Run-off rounds and per-database secrets (the pseudonym key).

CREATE TABLE poll_rounds (
    poll_id    TEXT PRIMARY KEY,
    runoff_of  TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL,
    definition TEXT NOT NULL CHECK (definition::jsonb IS NOT NULL),
    created_at BIGINT NOT NULL
);

CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
