-- engagebot schema v1 on PostgreSQL. The same tables as on SQLite (version numbers match
-- across backends). Times are BIGINT microseconds since the Unix epoch (UTC), exactly as
-- on SQLite, so every value round-trips and `db copy` moves rows unchanged.

CREATE TABLE polls (
    poll_id      TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('scheduled', 'open', 'closed')),
    opened_at    BIGINT,
    closes_at    BIGINT,
    closed_at    BIGINT,
    announced_at BIGINT,
    opened_by    TEXT,
    closed_by    TEXT,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE poll_messages (
    poll_id    TEXT NOT NULL REFERENCES polls (poll_id),
    platform   TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  BIGINT NOT NULL,
    PRIMARY KEY (poll_id, platform, channel_id)
);

-- options: the selection as a JSON array of option ids (the same text as on SQLite).
CREATE TABLE ballots (
    poll_id     TEXT NOT NULL REFERENCES polls (poll_id),
    voter_key   TEXT NOT NULL,
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL DEFAULT '',
    options     TEXT NOT NULL,
    cast_at     BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
);

CREATE INDEX ballots_by_cast_at ON ballots (cast_at);

CREATE TABLE withdrawals (
    poll_id   TEXT NOT NULL,
    voter_key TEXT NOT NULL,
    cast_at   BIGINT NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
);

CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    poll_id     TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE INDEX deliveries_by_age ON deliveries (recorded_at);

-- Running totals. The vote batch adds its net change per row once, in key order, in the
-- same transaction as the ballots (see engagebot_cast_apply): exact under any number of
-- concurrent writers, and one counter update per option per batch rather than per vote.
CREATE TABLE option_counts (
    poll_id   TEXT NOT NULL,
    option_id TEXT NOT NULL,
    platform  TEXT NOT NULL,
    votes     BIGINT NOT NULL,
    PRIMARY KEY (poll_id, option_id, platform)
);

CREATE TABLE voter_counts (
    poll_id  TEXT NOT NULL,
    platform TEXT NOT NULL,
    voters   BIGINT NOT NULL,
    PRIMARY KEY (poll_id, platform)
);

-- Step 1 of a vote batch: lock every voter and delivery of the batch (advisory locks,
-- in key order, so two processes' batches never deadlock), share-lock the polls (a poll
-- cannot close under a batch that saw it open), then read what the decisions need.
-- Each statement of a plpgsql function takes a new snapshot, so the reads see every
-- batch that committed before the locks were granted.
CREATE FUNCTION engagebot_cast_lookup(p_deliveries TEXT[], p_polls TEXT[], p_voters TEXT[])
RETURNS TABLE (
    r_replayed BOOLEAN, r_state TEXT, r_options TEXT, r_cast_at BIGINT,
    r_recorded_at BIGINT, r_user_name TEXT, r_withdrawn_at BIGINT
)
LANGUAGE plpgsql AS $$
DECLARE
    k BIGINT;
BEGIN
    FOR k IN
        SELECT DISTINCT hashtextextended(x, 0) FROM (
            SELECT 'd:' || d FROM unnest(p_deliveries) AS d
            UNION ALL
            SELECT 'v:' || p || chr(31) || v FROM unnest(p_polls, p_voters) AS t (p, v)
        ) AS keys (x)
        ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(k);
    END LOOP;
    PERFORM 1 FROM polls AS pl
    WHERE pl.poll_id = ANY (p_polls) ORDER BY pl.poll_id FOR SHARE;
    RETURN QUERY
    SELECT
        EXISTS (SELECT 1 FROM deliveries AS d WHERE d.delivery_id = q.delivery),
        pl.state, b.options, b.cast_at, b.recorded_at, b.user_name, w.cast_at
    FROM unnest(p_deliveries, p_polls, p_voters) WITH ORDINALITY AS q (delivery, poll, voter, i)
    LEFT JOIN polls AS pl ON pl.poll_id = q.poll
    LEFT JOIN ballots AS b ON b.poll_id = q.poll AND b.voter_key = q.voter
    LEFT JOIN withdrawals AS w ON w.poll_id = q.poll AND w.voter_key = q.voter
    ORDER BY q.i;
END
$$;

-- Step 2: the batch's net writes, in one call (one round trip).
CREATE FUNCTION engagebot_cast_apply(
    b_poll TEXT[], b_voter TEXT[], b_platform TEXT[], b_user TEXT[], b_name TEXT[],
    b_options TEXT[], b_cast BIGINT[], b_recorded BIGINT[],
    x_poll TEXT[], x_voter TEXT[],
    w_poll TEXT[], w_voter TEXT[], w_cast BIGINT[],
    u_poll TEXT[], u_voter TEXT[],
    d_id TEXT[], d_poll TEXT[], d_at BIGINT[],
    v_poll TEXT[], v_platform TEXT[], v_delta BIGINT[],
    o_poll TEXT[], o_option TEXT[], o_platform TEXT[], o_delta BIGINT[]
) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ballots AS t (poll_id, voter_key, platform, user_id, user_name, options,
                              cast_at, recorded_at)
    SELECT * FROM unnest(b_poll, b_voter, b_platform, b_user, b_name, b_options, b_cast,
                         b_recorded)
    ON CONFLICT (poll_id, voter_key) DO UPDATE SET
        user_name = excluded.user_name, options = excluded.options,
        cast_at = excluded.cast_at, recorded_at = excluded.recorded_at;
    DELETE FROM ballots AS t USING unnest(x_poll, x_voter) AS x (poll, voter)
    WHERE t.poll_id = x.poll AND t.voter_key = x.voter;
    INSERT INTO withdrawals AS t (poll_id, voter_key, cast_at)
    SELECT * FROM unnest(w_poll, w_voter, w_cast)
    ON CONFLICT (poll_id, voter_key) DO UPDATE SET cast_at = excluded.cast_at;
    DELETE FROM withdrawals AS t USING unnest(u_poll, u_voter) AS u (poll, voter)
    WHERE t.poll_id = u.poll AND t.voter_key = u.voter;
    INSERT INTO deliveries (delivery_id, poll_id, recorded_at)
    SELECT * FROM unnest(d_id, d_poll, d_at)
    ON CONFLICT (delivery_id) DO NOTHING;
    -- Counters last and in key order (the caller sorts them): no deadlocks between batches.
    INSERT INTO voter_counts AS t (poll_id, platform, voters)
    SELECT n.p, n.pf, n.dl FROM unnest(v_poll, v_platform, v_delta) WITH ORDINALITY AS n (p, pf, dl, i)
    ORDER BY n.i
    ON CONFLICT (poll_id, platform) DO UPDATE SET voters = t.voters + excluded.voters;
    INSERT INTO option_counts AS t (poll_id, option_id, platform, votes)
    SELECT n.p, n.o, n.pf, n.dl
    FROM unnest(o_poll, o_option, o_platform, o_delta) WITH ORDINALITY AS n (p, o, pf, dl, i)
    ORDER BY n.i
    ON CONFLICT (poll_id, option_id, platform) DO UPDATE SET votes = t.votes + excluded.votes;
END
$$;
