-- leadrelay schema for PostgreSQL, version 4: the index changes of SQLite's 0006, for the same reasons.
-- Every index is one more b-tree page a commit writes (to the WAL, synced).
--  - leads_team_state (team_id, state): no query looks leads up by team (the queued and escalated
--    lists go by state, with the team as a filter), yet every routed lead wrote an entry.
DROP INDEX leads_team_state;
--  - offers_pending_remind: only offers with a reminder time are ever due for one (the query asks
--    remind_at <= $1, which implies remind_at IS NOT NULL): offers without one get no entry.
DROP INDEX offers_pending_remind;
CREATE INDEX offers_pending_remind ON offers (remind_at) WHERE state = 'pending' AND reminded_at IS NULL AND remind_at IS NOT NULL;
