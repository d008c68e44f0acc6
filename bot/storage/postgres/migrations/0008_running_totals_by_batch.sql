-- Nothing to do on PostgreSQL: its vote batches always kept the running totals from
-- their net change (engagebot_cast_batch). SQLite's 0008 does the same there; the
-- number is kept in step with it.
SELECT 1;
