-- Every post the bot makes (a poll, its results, a daily prompt) in one ledger, so each
-- appears exactly once per channel whatever crashes or refusals happen:
--   claim (row inserted, message_id NULL) -> send with claim_key as the platform's
--   idempotency key -> confirm (message_id set, in the same transaction as the poll's
--   or prompt's own record).
-- A claim whose sender died or was refused is taken over once not_before has passed:
-- the taker first asks the platform whether a message with claim_key landed (and adopts
-- it), else sends it again with the same key.
CREATE TABLE posts (
    kind        TEXT NOT NULL CHECK (kind IN ('poll', 'results', 'prompt')),
    subject     TEXT NOT NULL,  -- poll id, or "<prompt id>@<local date>"
    platform    TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    claim_key   TEXT NOT NULL UNIQUE,  -- 24 hex chars (a Discord nonce holds 25)
    message_id  TEXT,                  -- NULL until the platform confirmed the post
    claimed_at  INTEGER NOT NULL,
    not_before  INTEGER NOT NULL,      -- held by a sender, or backing off, until then
    attempts    INTEGER NOT NULL DEFAULT 0,  -- sends that failed
    last_sent_at INTEGER,              -- the latest send; NULL: never sent
    holder      TEXT,                  -- the process sending it now (host:pid:start); NULL when not held
    last_error  TEXT,
    posted_at   INTEGER,
    PRIMARY KEY (kind, subject, platform, channel_id)
) WITHOUT ROWID;

CREATE INDEX posts_unconfirmed ON posts (not_before) WHERE message_id IS NULL;

-- Confirmed poll posts move over as they are; claims never confirmed (the old
-- "claimed before sending" rows) become claims that anyone may resolve at once.
INSERT INTO posts (kind, subject, platform, channel_id, claim_key, message_id, claimed_at,
                   not_before, posted_at)
SELECT 'poll', poll_id, platform, channel_id, lower(hex(randomblob(12))),
       NULLIF(message_id, ''), posted_at, 0,
       CASE WHEN message_id = '' THEN NULL ELSE posted_at END
FROM poll_messages;

DELETE FROM poll_messages WHERE message_id = '';

INSERT INTO posts (kind, subject, platform, channel_id, claim_key, message_id, claimed_at,
                   not_before, posted_at)
SELECT 'prompt', prompt_id || '@' || local_date, platform, channel_id,
       lower(hex(randomblob(12))), message_id, claimed_at, 0, posted_at
FROM prompt_posts;
