-- Edit leases: one process at a time edits a poll message's live tally (see the SQLite
-- migration of the same number).
CREATE TABLE edit_leases (
    platform    TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    poll_id     TEXT NOT NULL,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (platform, channel_id, message_id)
);
