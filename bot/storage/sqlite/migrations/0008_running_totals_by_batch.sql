-- The running totals (option_counts, voter_counts) are kept by the vote writer itself
-- from now on: it adds each batch's net change once per counter, in the same transaction
-- as the ballots (bot/storage/sqlite/votes.py), as PostgreSQL always did. The per-row
-- triggers cost ~4 us per new vote and four statements per changed vote on the writer
-- thread, and ballots are written by nothing else.
DROP TRIGGER ballots_counted;
DROP TRIGGER ballots_uncounted;
DROP TRIGGER ballots_recounted;
