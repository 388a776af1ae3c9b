import {
  PRIORITY,
  RESPONSE_URL_LIFETIME_MS,
  RESPONSE_URL_USES,
  type FailingWebhook,
  type Outbox,
  type OutboxQueue,
  type OutboxRow,
  type Priority,
  type StoredResponseUrl,
} from '../../app/ports.ts';
import { laneOf, messageKeyOf, type Lane } from '../../domain/effects.ts';
import { decodeEffect, encodeEffect, unknownEffectError, usableResponseUrl } from '../outbox/outboxCodec.ts';
import type { Db } from './openDatabase.ts';

type Row = { id: number; lead_id: number | null; kind: string; method: string; payload: string; lane: Lane; attempts: number; created_at: number; message_key: string | null; changes: number; priority: Priority };

/**
 * The outbox on SQLite: the tx side (Outbox: effects written with the change that causes them,
 * deliveries recorded) and the worker's side (OutboxQueue). A row is due when its time has come and
 * no earlier row of the same lead in the same lane is pending (src/domain/effects.ts, laneOf); an
 * update of a message waits only for the post of its own message (it needs the message's ts).
 */
export function sqliteOutboxStore(db: Db): { outbox: Outbox; queue: OutboxQueue } {
  // Rows an older version wrote while this one waited on standby (an overlapping upgrade) carry no
  // lane: they get theirs now, before anything is delivered (this store opens once the lease is held).
  db.prepare(`UPDATE outbox SET lane = CASE WHEN kind = 'webhook' THEN 'webhook:' || coalesce(json_extract(payload, '$.url'), '') ELSE 'card_update' END
    WHERE state = 'pending' AND lane = 'slack' AND (kind = 'webhook' OR method IN ('update_offer_card', 'update_escalation', 'update_reminder'))`).run();
  const statements = {
    insert: db.prepare(`INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
      VALUES (@leadId, @kind, @method, @payload, @lane, @now, @now, @key, @priority)`),
    // A later change of a message whose update is still pending rides on that update: one row, one
    // call, the latest state. A change someone is waiting for makes it due now, ahead of the rest.
    coalesce: db.prepare(`UPDATE outbox SET changes = changes + 1,
        next_attempt_at = CASE WHEN @priority < priority THEN min(next_attempt_at, @now) ELSE next_attempt_at END,
        priority = min(priority, @priority)
      WHERE state = 'pending' AND message_key = @key AND method = @method RETURNING id`),
    // A batch: the updates that join a pending one in one statement, the other rows inserted in another, in order.
    coalesceMany: db.prepare(`UPDATE outbox SET changes = changes + 1,
        next_attempt_at = CASE WHEN c.priority < outbox.priority THEN min(outbox.next_attempt_at, @now) ELSE outbox.next_attempt_at END,
        priority = min(outbox.priority, c.priority)
      FROM (SELECT value ->> 0 AS key, value ->> 1 AS method, value ->> 2 AS priority FROM json_each(@rows)) AS c
      WHERE outbox.state = 'pending' AND outbox.message_key = c.key AND outbox.method = c.method RETURNING outbox.message_key AS key, outbox.method AS method`),
    insertMany: db.prepare(`INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, @now, @now, value ->> 5, value ->> 6 FROM json_each(@rows) ORDER BY key`),
    due: db.prepare(`SELECT id, lead_id, kind, method, payload, lane, attempts, created_at, message_key, changes, priority FROM outbox o
      WHERE o.state = 'pending' AND o.next_attempt_at <= @now AND o.priority <= @maxPriority
        AND CASE WHEN o.lane = 'card_update'
          THEN NOT EXISTS (SELECT 1 FROM outbox p WHERE p.message_key = o.message_key AND p.state = 'pending' AND p.id < o.id AND p.lane <> 'card_update')
          ELSE o.lead_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.lead_id = o.lead_id AND p.lane = o.lane AND p.state = 'pending' AND p.id < o.id) END
      ORDER BY o.priority, o.next_attempt_at, o.id LIMIT @limit`),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM outbox WHERE state = 'pending' AND next_attempt_at > ?`),
    // An update that a newer change joined while it was delivered stays pending: it is sent again, with the newer state.
    done: db.prepare(`UPDATE outbox SET state = 'done', attempts = attempts + 1, result = ?, done_at = ?, last_error = NULL
      WHERE id = ? AND state = 'pending' AND changes = ?`),
    retry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`),
    defer: db.prepare(`UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`),
    failed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ? AND state = 'pending'`),
    pendingIds: db.prepare(`SELECT id FROM outbox WHERE state = 'pending'`),
    hasPending: db.prepare(`SELECT 1 FROM outbox WHERE state = 'pending' AND message_key = ? AND method = ? LIMIT 1`),
    pendingOfLeads: db.prepare(`SELECT 1 FROM outbox WHERE state = 'pending' AND lead_id IN (SELECT value FROM json_each(?)) LIMIT 1`),
    prioritize: db.prepare(`UPDATE outbox SET priority = @priority, next_attempt_at = min(next_attempt_at, @now)
      WHERE state = 'pending' AND message_key = @key AND lane = 'card_update' AND priority > @priority`),
    backlog: db.prepare(`SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox WHERE state = 'pending'`),
    failingWebhooks: db.prepare(`SELECT substr(lane, 9) AS url, count(*) AS pending, min(created_at) AS since, max(last_error) AS lastError
      FROM outbox WHERE lane LIKE 'webhook:%' AND state = 'pending' AND attempts > 0 GROUP BY lane ORDER BY since`),
    rememberUrl: db.prepare(`INSERT INTO response_urls (message_key, url, received_at, uses) VALUES (@key, @url, @at, @uses)
      ON CONFLICT (message_key) DO UPDATE SET url = excluded.url, received_at = excluded.received_at, uses = excluded.uses
      WHERE excluded.received_at >= response_urls.received_at`),
    responseUrl: db.prepare('SELECT url, received_at AS receivedAt, uses FROM response_urls WHERE message_key = ?'),
    usedUrl: db.prepare('UPDATE response_urls SET uses = uses + 1 WHERE message_key = ? AND url = ?'),
    spentUrl: db.prepare('UPDATE response_urls SET uses = ? WHERE message_key = ? AND url = ?'),
    forgetUrls: db.prepare('DELETE FROM response_urls WHERE received_at < ?'),
  };

  const toRow = (row: Row): OutboxRow[] => {
    const effect = decodeEffect(row.kind, row.method, row.payload);
    // A row no effect describes cannot be delivered: it is given up on at once rather than retried.
    if (effect === null) {
      statements.failed.run(unknownEffectError(row.kind, row.method), row.created_at, row.id);
      return [];
    }
    return [{ id: row.id, leadId: row.lead_id, effect, lane: row.lane, attempts: row.attempts, createdAt: row.created_at, messageKey: row.message_key, changes: row.changes, priority: row.priority }];
  };

  const outbox: Outbox = {
    async enqueue(leadId, effect, now, priority = PRIORITY.background) {
      const key = messageKeyOf(effect);
      const lane = laneOf(effect);
      const stored = encodeEffect(effect);
      if (key !== null && lane === 'card_update') {
        const joined = statements.coalesce.get({ key, method: stored.method, priority, now }) as { id: number } | undefined;
        if (joined) return joined.id;
      }
      return Number(statements.insert.run({ leadId, kind: stored.kind, method: stored.method, payload: stored.payload, lane, now, key, priority }).lastInsertRowid);
    },
    async enqueueMany(rows, now) {
      if (rows.length === 0) return;
      const encoded = rows.map(({ leadId, effect, priority = PRIORITY.background }) => ({ leadId, key: messageKeyOf(effect), lane: laneOf(effect), stored: encodeEffect(effect), priority }));
      const joinable = encoded.filter((row) => row.key !== null && row.lane === 'card_update');
      const joined = new Set<string>();
      if (joinable.length > 0) {
        // Two updates of one message in one batch: the second joins the first, as enqueue would have it.
        if (new Set(joinable.map((row) => `${row.key}\u0000${row.stored.method}`)).size < joinable.length) {
          for (const row of rows) await outbox.enqueue(row.leadId, row.effect, now, row.priority);
          return;
        }
        const changed = statements.coalesceMany.all({ rows: JSON.stringify(joinable.map((row) => [row.key, row.stored.method, row.priority])), now }) as { key: string; method: string }[];
        for (const row of changed) joined.add(`${row.key}\u0000${row.method}`);
      }
      const inserted = joined.size === 0 ? encoded : encoded.filter((row) => !(row.key !== null && row.lane === 'card_update' && joined.has(`${row.key}\u0000${row.stored.method}`)));
      if (inserted.length === 0) return;
      statements.insertMany.run({ rows: JSON.stringify(inserted.map((row) => [row.leadId, row.stored.kind, row.stored.method, row.stored.payload, row.lane, row.key, row.priority])), now });
    },
    async hasPending(effect) {
      const key = messageKeyOf(effect);
      return key !== null && statements.hasPending.get(key, encodeEffect(effect).method) !== undefined;
    },
    async hasPendingOfLeads(leadIds) {
      return leadIds.length > 0 && statements.pendingOfLeads.get(JSON.stringify(leadIds)) !== undefined;
    },
    async prioritize(messageKey, now) {
      statements.prioritize.run({ key: messageKey, priority: PRIORITY.waiting, now });
    },
    async rememberResponseUrl(messageKey, url, receivedAt, uses = 0) {
      statements.rememberUrl.run({ key: messageKey, url, at: receivedAt, uses });
    },
    async usableResponseUrl(messageKey, now) {
      return usableResponseUrl(statements.responseUrl.get(messageKey) as StoredResponseUrl | undefined, now);
    },
    async usedResponseUrl(messageKey, url) {
      statements.usedUrl.run(messageKey, url);
    },
    async spentResponseUrl(messageKey, url) {
      statements.spentUrl.run(RESPONSE_URL_USES, messageKey, url);
    },
    async forgetExpiredResponseUrls(now) {
      return statements.forgetUrls.run(now - RESPONSE_URL_LIFETIME_MS).changes;
    },
    async markDone(row, result, now) {
      return statements.done.run(result === undefined ? null : JSON.stringify(result), now, row.id, row.changes).changes === 1;
    },
    async markRetry(id, error, nextAttemptAt) {
      statements.retry.run(nextAttemptAt, error, id);
    },
    async defer(id, nextAttemptAt) {
      statements.defer.run(nextAttemptAt, id);
    },
    async markFailed(id, error, now) {
      statements.failed.run(error, now, id);
    },
  };

  const queue: OutboxQueue = {
    // One writer: the rows read are nobody else's to deliver, so no lease is taken.
    async claimDue({ now, limit, maxPriority = PRIORITY.background }) {
      return (statements.due.all({ now, limit, maxPriority }) as Row[]).flatMap(toRow);
    },
    async nextDueAt(after = Number.MIN_SAFE_INTEGER) {
      return (statements.nextDue.get(after) as { at: number | null }).at;
    },
    async pendingIds() {
      return (statements.pendingIds.all() as { id: number }[]).map((row) => row.id);
    },
    async backlog(now) {
      const row = statements.backlog.get() as { pending: number; oldest: number | null };
      return { pending: row.pending, oldestAgeSeconds: row.oldest === null ? null : Math.max(0, Math.round((now - row.oldest) / 1000)) };
    },
    async failingWebhooks() {
      return statements.failingWebhooks.all() as FailingWebhook[];
    },
  };
  return { outbox, queue };
}
