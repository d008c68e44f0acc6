-- When the bot first ran with each prompt set, and since when it has the set's current
-- timing. A missed post is caught up only for time the bot should have been running, as
-- cron never runs a job for times before it was created: a set first seen at 17:36 does
-- not post its 08:00 question that day, and a set whose time was moved to an hour that
-- has already passed today waits for its next day.
CREATE TABLE prompt_sets (
    prompt_id      TEXT PRIMARY KEY,
    first_seen_at  INTEGER NOT NULL,  -- microseconds since the epoch, UTC
    schedule       TEXT NOT NULL,     -- the timing as last seen (at, days, cron, zone); '' unknown
    schedule_since INTEGER NOT NULL   -- when that timing was first seen
) WITHOUT ROWID;

-- Sets that posted before this version: seen since their first post. Their timing is
-- unknown (''), so the first start adopts the configured one without starting over.
INSERT INTO prompt_sets (prompt_id, first_seen_at, schedule, schedule_since)
SELECT prompt_id, MIN(created_at), '', MIN(created_at)
FROM prompt_days
GROUP BY prompt_id;
