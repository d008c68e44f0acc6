-- Who may edit a poll message's live tally now: one process at a time, so per-message
-- edit pacing and a workspace's edit budget hold however many processes share the
-- database. A lease is taken when nobody holds it, when its holder let it run out
-- (expires_at passed: the holder died on another machine), or when its holder is known
-- to be gone (same machine); the holder renews it every few seconds and deletes it on
-- a clean stop.
CREATE TABLE edit_leases (
    platform    TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    poll_id     TEXT NOT NULL,
    holder      TEXT NOT NULL,     -- host:pid:start (bot/process_identity.py)
    expires_at  INTEGER NOT NULL,  -- microseconds since the epoch, UTC
    PRIMARY KEY (platform, channel_id, message_id)
) WITHOUT ROWID;
