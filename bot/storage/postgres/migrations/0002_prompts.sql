-- Daily prompts (see the SQLite migration of the same number for the why).

CREATE TABLE prompt_days (
    prompt_id  TEXT NOT NULL,
    local_date TEXT NOT NULL,  -- YYYY-MM-DD in the prompt's time zone
    seq        INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (prompt_id, local_date),
    UNIQUE (prompt_id, seq)
);

CREATE TABLE prompt_posts (
    prompt_id      TEXT NOT NULL,
    local_date     TEXT NOT NULL,
    platform       TEXT NOT NULL,
    channel_id     TEXT NOT NULL,
    question_index INTEGER NOT NULL,
    due_at         BIGINT NOT NULL,
    claimed_at     BIGINT NOT NULL,
    message_id     TEXT,
    posted_at      BIGINT,
    PRIMARY KEY (prompt_id, local_date, platform, channel_id)
);

CREATE INDEX prompt_posts_by_message ON prompt_posts (platform, channel_id, message_id);

CREATE TABLE prompt_replies (
    platform        TEXT NOT NULL,
    reply_id        TEXT NOT NULL,
    prompt_id       TEXT NOT NULL,
    local_date      TEXT NOT NULL,
    post_platform   TEXT NOT NULL,
    post_channel_id TEXT NOT NULL,
    voter_key       TEXT NOT NULL,
    replied_at      BIGINT NOT NULL,
    PRIMARY KEY (platform, reply_id)
);

CREATE INDEX prompt_replies_by_post
    ON prompt_replies (prompt_id, local_date, post_platform, post_channel_id);
