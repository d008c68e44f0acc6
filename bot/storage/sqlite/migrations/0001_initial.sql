-- engagebot schema v1. Times are INTEGER microseconds since the Unix epoch (UTC), so
-- comparisons are exact and independent of text formatting.

CREATE TABLE polls (
    poll_id      TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'closed')),
    opened_at    INTEGER,
    closes_at    INTEGER,
    closed_at    INTEGER,
    announced_at INTEGER,
    opened_by    TEXT,
    closed_by    TEXT,
    updated_at   INTEGER NOT NULL
);

-- One message per poll and channel; a re-post replaces the message id.
CREATE TABLE poll_messages (
    poll_id    TEXT NOT NULL REFERENCES polls (poll_id),
    platform   TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  INTEGER NOT NULL,
    PRIMARY KEY (poll_id, platform, channel_id)
) WITHOUT ROWID;

-- A customer's whole selection; voter_key is "platform:user_id" (UserRef.key).
CREATE TABLE ballots (
    poll_id     TEXT NOT NULL REFERENCES polls (poll_id),
    voter_key   TEXT NOT NULL,
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL DEFAULT '',
    options     TEXT NOT NULL CHECK (json_valid(options)),  -- JSON array of option ids
    cast_at     INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
) WITHOUT ROWID;

-- When a voter last withdrew, so an older click cannot resurrect a withdrawn ballot.
CREATE TABLE withdrawals (
    poll_id   TEXT NOT NULL,
    voter_key TEXT NOT NULL,
    cast_at   INTEGER NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
) WITHOUT ROWID;

-- Every delivery that was judged against a ballot, to drop replays.
CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    poll_id     TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Running totals, kept by the triggers below in the same transaction as the ballots, so
-- they cannot drift from them. A tally reads a handful of rows whatever the turnout;
-- counting 10^6 rows per tally costs 150-250 ms on the 2-core development machine.
-- (This replaces a ballot_options table + covering index: each extra randomly keyed
-- B-tree costs ~20 us per vote in the writer, and the tally no longer needs it.)
CREATE TABLE option_counts (
    poll_id   TEXT NOT NULL,
    option_id TEXT NOT NULL,
    platform  TEXT NOT NULL,
    votes     INTEGER NOT NULL,
    PRIMARY KEY (poll_id, option_id, platform)
) WITHOUT ROWID;

CREATE TABLE voter_counts (
    poll_id  TEXT NOT NULL,
    platform TEXT NOT NULL,
    voters   INTEGER NOT NULL,
    PRIMARY KEY (poll_id, platform)
) WITHOUT ROWID;

-- "WHERE true" is how SQLite tells INSERT ... SELECT apart from the upsert clause.
CREATE TRIGGER ballots_counted AFTER INSERT ON ballots BEGIN
    INSERT INTO voter_counts (poll_id, platform, voters)
    VALUES (NEW.poll_id, NEW.platform, 1)
    ON CONFLICT (poll_id, platform) DO UPDATE SET voters = voters + 1;
    INSERT INTO option_counts (poll_id, option_id, platform, votes)
    SELECT NEW.poll_id, value, NEW.platform, 1 FROM json_each(NEW.options) WHERE true
    ON CONFLICT (poll_id, option_id, platform) DO UPDATE SET votes = votes + 1;
END;

CREATE TRIGGER ballots_uncounted AFTER DELETE ON ballots BEGIN
    UPDATE voter_counts SET voters = voters - 1
    WHERE poll_id = OLD.poll_id AND platform = OLD.platform;
    UPDATE option_counts SET votes = votes - 1
    WHERE poll_id = OLD.poll_id AND platform = OLD.platform
      AND option_id IN (SELECT value FROM json_each(OLD.options));
END;

CREATE TRIGGER ballots_recounted AFTER UPDATE OF poll_id, platform, options ON ballots BEGIN
    UPDATE voter_counts SET voters = voters - 1
    WHERE poll_id = OLD.poll_id AND platform = OLD.platform;
    UPDATE option_counts SET votes = votes - 1
    WHERE poll_id = OLD.poll_id AND platform = OLD.platform
      AND option_id IN (SELECT value FROM json_each(OLD.options));
    INSERT INTO voter_counts (poll_id, platform, voters)
    VALUES (NEW.poll_id, NEW.platform, 1)
    ON CONFLICT (poll_id, platform) DO UPDATE SET voters = voters + 1;
    INSERT INTO option_counts (poll_id, option_id, platform, votes)
    SELECT NEW.poll_id, value, NEW.platform, 1 FROM json_each(NEW.options) WHERE true
    ON CONFLICT (poll_id, option_id, platform) DO UPDATE SET votes = votes + 1;
END;
