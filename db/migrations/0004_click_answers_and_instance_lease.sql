-- leadrelay schema, version 4: a click answers its clicker, cards are never left stale, one writer.

-- Every outbox row that posts or updates one of leadrelay's messages names that message
-- (`offer:12` the offer card, `escalation:17` a lead's escalation message, `reminder:12` an
-- offer's reminder in the card's thread). An update waits until its message's post is done (it
-- needs the message's ts), and a message has at most one pending update: a later change of the
-- same message bumps `changes` on it instead of adding a row, and the update is recorded as done
-- only if no change arrived while it was being delivered (so only the latest state is sent, and
-- never an older one last).
ALTER TABLE outbox ADD COLUMN message_key TEXT;
ALTER TABLE outbox ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
-- 0: a person is waiting for it (the answer to their click), 1: background. Due rows go in this order.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (priority, next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_message ON outbox (message_key, id) WHERE state = 'pending' AND message_key IS NOT NULL;

-- The response_url of the latest click on each message: the message is replaced through it
-- (Slack allows 5 uses within 30 minutes of the click) instead of chat.update (Tier 3 for the
-- whole workspace). Written in the click's transaction; `uses` counts the posts made with it.
CREATE TABLE response_urls (
  message_key  TEXT PRIMARY KEY,
  url          TEXT    NOT NULL,
  received_at  INTEGER NOT NULL,
  uses         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Where an offer's reminder was posted in the card's thread, so that it can say the offer ended.
ALTER TABLE offers ADD COLUMN reminder_ts TEXT;

-- One writer on SQLite: the instance holding this lease serves; another one started on the same
-- file waits (GET /healthz answers 503 standby) and takes over once the lease expires or is
-- released. `holder` names the instance (host, pid namespace, pid, a random part).
CREATE TABLE instance_lease (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  holder        TEXT    NOT NULL,
  acquired_at   INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
