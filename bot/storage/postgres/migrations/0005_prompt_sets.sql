-- When the bot first ran with each prompt set, and since when with its current timing
-- (see the SQLite migration of the same number): missed posts are caught up only for
-- time the bot should have been running.
CREATE TABLE prompt_sets (
    prompt_id      TEXT PRIMARY KEY,
    first_seen_at  BIGINT NOT NULL,  -- microseconds since the epoch, UTC
    schedule       TEXT NOT NULL,    -- the timing as last seen; '' unknown
    schedule_since BIGINT NOT NULL   -- when that timing was first seen
);

INSERT INTO prompt_sets (prompt_id, first_seen_at, schedule, schedule_since)
SELECT prompt_id, MIN(created_at), '', MIN(created_at)
FROM prompt_days
GROUP BY prompt_id;
