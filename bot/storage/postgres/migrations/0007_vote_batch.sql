-- A vote batch in one statement, so one round trip (see bot/storage/postgres/votes.py).
-- The caller has already decided every vote of the batch against the state it expects
-- (what it last wrote for each voter, or "no ballot yet, delivery new, poll open") and
-- sends that expectation with the writes. Under the batch's locks (engagebot_cast_lookup:
-- voters and deliveries in key order, polls share-locked) the expectation is compared
-- with what is stored. If it holds, the writes are applied and no row comes back; if any
-- request saw something else, nothing is written and the stored state comes back, one
-- row per request, for the caller to decide again. A single statement is a single
-- transaction: the batch is applied whole or not at all.
CREATE FUNCTION engagebot_cast_batch(
    p_deliveries TEXT[], p_polls TEXT[], p_voters TEXT[],
    e_replayed BOOLEAN[], e_state TEXT[], e_options TEXT[], e_cast BIGINT[],
    e_recorded BIGINT[], e_name TEXT[], e_withdrawn BIGINT[],
    b_poll TEXT[], b_voter TEXT[], b_platform TEXT[], b_user TEXT[], b_name TEXT[],
    b_options TEXT[], b_cast BIGINT[], b_recorded BIGINT[],
    x_poll TEXT[], x_voter TEXT[],
    w_poll TEXT[], w_voter TEXT[], w_cast BIGINT[],
    u_poll TEXT[], u_voter TEXT[],
    d_id TEXT[], d_poll TEXT[], d_at BIGINT[],
    v_poll TEXT[], v_platform TEXT[], v_delta BIGINT[],
    o_poll TEXT[], o_option TEXT[], o_platform TEXT[], o_delta BIGINT[]
)
RETURNS TABLE (
    r_replayed BOOLEAN, r_state TEXT, r_options TEXT, r_cast_at BIGINT,
    r_recorded_at BIGINT, r_user_name TEXT, r_withdrawn_at BIGINT
)
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM engagebot_cast_lookup(p_deliveries, p_polls, p_voters) WITH ORDINALITY
            AS a (replayed, state, options, cast_at, recorded_at, user_name, withdrawn_at, i)
        FULL JOIN unnest(e_replayed, e_state, e_options, e_cast, e_recorded, e_name,
                         e_withdrawn) WITH ORDINALITY
            AS e (replayed, state, options, cast_at, recorded_at, user_name, withdrawn_at, i)
            USING (i)
        WHERE (a.replayed, a.state, a.options, a.cast_at, a.recorded_at, a.user_name,
               a.withdrawn_at)
              IS DISTINCT FROM
              (e.replayed, e.state, e.options, e.cast_at, e.recorded_at, e.user_name,
               e.withdrawn_at)
    ) THEN
        -- The locks are still held (they last until the end of the transaction).
        RETURN QUERY SELECT * FROM engagebot_cast_lookup(p_deliveries, p_polls, p_voters);
        RETURN;
    END IF;
    PERFORM engagebot_cast_apply(
        b_poll, b_voter, b_platform, b_user, b_name, b_options, b_cast, b_recorded,
        x_poll, x_voter, w_poll, w_voter, w_cast, u_poll, u_voter, d_id, d_poll, d_at,
        v_poll, v_platform, v_delta, o_poll, o_option, o_platform, o_delta
    );
END
$$;
