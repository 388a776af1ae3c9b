-- A message has at most one pending update (outbox.message_key, 0001): a later change joins it
-- (`changes` + 1) instead of adding a row. SQLite has one writer, so "find the pending update, else
-- insert one" cannot race there; here two instances (or two transactions of one) could both find
-- none and both insert. This unique index makes the join one statement that cannot race:
--   INSERT … ON CONFLICT (message_key, method) WHERE state = 'pending' AND lane = 'card_update'
--   DO UPDATE SET changes = outbox.changes + 1, …
-- Rows copied from an older store that already hold two pending updates of one message keep the
-- oldest (an update renders the message's current state when it is delivered, so one is enough):
-- the others are recorded done, and their changes carried by the one kept.
WITH ranked AS (
  SELECT id, message_key, method, changes,
         first_value(id) OVER (PARTITION BY message_key, method ORDER BY id) AS kept
  FROM outbox
  WHERE state = 'pending' AND lane = 'card_update' AND message_key IS NOT NULL
), extra AS (
  SELECT kept, count(*) AS rows, sum(changes) AS changes FROM ranked WHERE id <> kept GROUP BY kept
), carried AS (
  UPDATE outbox SET changes = outbox.changes + extra.rows + extra.changes
  FROM extra WHERE outbox.id = extra.kept
  RETURNING outbox.id
)
UPDATE outbox SET state = 'done', done_at = created_at, leased_by = NULL, lease_until = NULL,
       last_error = 'joined the pending update of the same message (migration 0002)'
FROM ranked WHERE outbox.id = ranked.id AND ranked.id <> ranked.kept;

CREATE UNIQUE INDEX outbox_one_pending_update ON outbox (message_key, method)
  WHERE state = 'pending' AND lane = 'card_update';
