-- The post ledger: every poll, results and prompt post, claimed before it is sent, so
-- each appears exactly once per channel (see the SQLite migration of the same number).

CREATE TABLE posts (
    kind         TEXT NOT NULL CHECK (kind IN ('poll', 'results', 'prompt')),
    subject      TEXT NOT NULL,
    platform     TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    claim_key    TEXT NOT NULL UNIQUE,
    message_id   TEXT,
    claimed_at   BIGINT NOT NULL,
    not_before   BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_sent_at BIGINT,
    holder       TEXT,
    last_error   TEXT,
    posted_at    BIGINT,
    PRIMARY KEY (kind, subject, platform, channel_id)
);

CREATE INDEX posts_unconfirmed ON posts (not_before) WHERE message_id IS NULL;
