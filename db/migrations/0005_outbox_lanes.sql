-- leadrelay schema, version 5: each outbox row names its ordering lane (src/domain/effects.ts, laneOf).
-- A row waits for the earlier pending rows of its lead in the same lane only:
--   'slack'         leadrelay's posts and DMs about the lead, in order;
--   'card_update'   updates of a message in place: they wait only for their own message's post;
--   'webhook:<url>' each webhook receiver on its own.
-- Before this column the due query worked the lane out of the method and the payload's URL.
ALTER TABLE outbox ADD COLUMN lane TEXT NOT NULL DEFAULT 'slack';
UPDATE outbox SET lane = CASE
  WHEN kind = 'webhook' THEN 'webhook:' || coalesce(json_extract(payload, '$.url'), '')
  WHEN method IN ('update_offer_card', 'update_escalation', 'update_reminder') THEN 'card_update'
  ELSE 'slack' END;
DROP INDEX outbox_lead;
CREATE INDEX outbox_lane ON outbox (lead_id, lane, id) WHERE state = 'pending';
