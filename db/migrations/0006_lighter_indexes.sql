-- leadrelay schema, version 6: fewer index pages written per lead.
-- Every index is one more b-tree page a commit writes to the WAL (with synchronous=FULL, each frame
-- is written and synced). Checked against the queries that read them:
--  - leads_team_state (team_id, state): no query looks leads up by team (the queued and escalated
--    lists go by state, with the team as a filter), yet every routed lead wrote an entry.
DROP INDEX leads_team_state;
--  - offers_pending_remind: only offers with a reminder time are ever due for one (the query asks
--    remind_at <= ?, which implies remind_at IS NOT NULL): offers without one (no remind_before in
--    the SLA) no longer get an entry.
DROP INDEX offers_pending_remind;
CREATE INDEX offers_pending_remind ON offers (remind_at) WHERE state = 'pending' AND reminded_at IS NULL AND remind_at IS NOT NULL;
