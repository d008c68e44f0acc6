-- Daily prompts. A post is claimed (row inserted) before it is sent, under a unique key
-- (prompt, local date, platform, channel): a restart, a crash mid-post or a second
-- process can never post the same day's prompt twice in one channel.

-- Which question each prompt day got: seq counts the days handed out (0, 1, 2, ...),
-- so the rotation continues after a restart and every channel gets the same question.
CREATE TABLE prompt_days (
    prompt_id  TEXT NOT NULL,
    local_date TEXT NOT NULL,  -- YYYY-MM-DD in the prompt's time zone
    seq        INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (prompt_id, local_date),
    UNIQUE (prompt_id, seq)
) WITHOUT ROWID;

CREATE TABLE prompt_posts (
    prompt_id      TEXT NOT NULL,
    local_date     TEXT NOT NULL,
    platform       TEXT NOT NULL,
    channel_id     TEXT NOT NULL,
    question_index INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    claimed_at     INTEGER NOT NULL,
    message_id     TEXT,     -- NULL until the platform confirmed the post
    posted_at      INTEGER,
    PRIMARY KEY (prompt_id, local_date, platform, channel_id)
) WITHOUT ROWID;

CREATE INDEX prompt_posts_by_message ON prompt_posts (platform, channel_id, message_id);

-- Replies counted as engagement, once per platform message (replays repeat the id).
CREATE TABLE prompt_replies (
    platform        TEXT NOT NULL,
    reply_id        TEXT NOT NULL,
    prompt_id       TEXT NOT NULL,
    local_date      TEXT NOT NULL,
    post_platform   TEXT NOT NULL,
    post_channel_id TEXT NOT NULL,
    voter_key       TEXT NOT NULL,
    replied_at      INTEGER NOT NULL,
    PRIMARY KEY (platform, reply_id)
) WITHOUT ROWID;

CREATE INDEX prompt_replies_by_post
    ON prompt_replies (prompt_id, local_date, post_platform, post_channel_id);
