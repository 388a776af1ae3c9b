/**
 * The outbox on PostgreSQL, where several instances deliver from one table: the tx side (`Outbox`:
 * effects written with the change that causes them, deliveries recorded) and the worker's side
 * (`OutboxQueue`: due rows claimed with a lease). Rows are stored as on SQLite (outboxCodec.ts) and
 * due by the same rule: a row waits for the earlier pending rows of its lead in its lane, and an
 * update of a message waits only for the post of its own message (src/domain/effects.ts, laneOf).
 *
 * Leases. `claimDue` takes due rows in one short statement (`FOR UPDATE SKIP LOCKED`: two instances
 * claiming at once never get the same row) and leases them to the instance until `now + leaseMs`.
 * A row is claimable when it is not leased, its lease has expired (its instance died or stalled),
 * or it is leased to the claiming instance itself (the worker reads its in-flight rows again and
 * leaves them out, as on SQLite; reading them renews their lease). A row taken over from another
 * instance's lease counts an attempt (`attempts` + 1): that instance may have sent it before it
 * stopped, so the delivery looks for the message before posting it again (deliverEffect.ts,
 * mayHaveBeenSent), as after a crash on SQLite.
 *
 * Who may record what, when the instance is known (`postgresOutbox(q, { instance })`):
 * - markDone: whoever delivered it, whoever holds the row now: the call was made, and recording that
 *   is right (another instance's delivery of the same row then finds it done and records nothing;
 *   a row is marked done at most once, `state = 'pending'` being the compare-and-set). Marking the
 *   row done ends any lease on it.
 * - markDone of an update a newer change joined (`changes` moved on): the row stays pending and this
 *   instance hands its lease back, so the newer state goes at once, by whichever instance.
 * - markRetry, defer, markFailed: only while the row is this instance's (leased to it, or leased to
 *   nobody). Once another instance took it over, that instance's attempt decides: a stale instance
 *   rescheduling the row would end the other's lease and let a third deliver it again; one giving
 *   up would fail (and re-route) a lead the other is delivering. They end the lease.
 * Without an instance every pending row is the caller's (one deliverer, as on SQLite).
 *
 * Times are the instances' clocks (epoch ms, as everywhere in the store): instances sharing a
 * database need clocks in step (NTP) to well within a lease.
 */
import { PRIORITY, RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_USES, type FailingWebhook, type Outbox, type OutboxQueue, type OutboxRow, type Priority, type StoredResponseUrl } from '../../app/ports.ts';
import { laneOf, messageKeyOf, type Lane } from '../../domain/effects.ts';
import { decodeEffect, encodeEffect, unknownEffectError, usableResponseUrl } from '../outbox/outboxCodec.ts';
import type { PgPool, PgQueryable } from './connectPostgres.ts';

type Row = {
  id: number;
  lead_id: number | null;
  kind: string;
  method: string;
  payload: Record<string, unknown>;
  lane: Lane;
  attempts: number;
  created_at: number;
  message_key: string | null;
  changes: number;
  priority: Priority;
};

/**
 * The lane rule, for a candidate row `o`: an update of a message waits only for the pending post of
 * its own message (outbox_message); any other row for the lead's earlier pending rows in its lane
 * (outbox_lane). Pending rows leased to anyone hold the rest back too: they are not done.
 */
const LANE_RULE = `CASE WHEN o.lane = 'card_update'
  THEN NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.message_key = o.message_key AND p.id < o.id AND p.lane <> 'card_update')
  ELSE o.lead_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.lead_id = o.lead_id AND p.lane = o.lane AND p.id < o.id) END`;

/** Named, so each connection prepares them once. */
const SQL = {
  insert: `INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
    VALUES ($1, $2, $3, $4::json, $5, $6, $6, $7, $8) RETURNING id`,
  // A later change of a message whose update is still pending rides on that update: one row, one
  // call, the latest state. A change someone is waiting for makes it due now, ahead of the rest.
  // One statement on the unique index of 0002, so two writers never both add a row.
  insertOrJoin: `INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
    VALUES ($1, $2, $3, $4::json, 'card_update', $5, $5, $6, $7)
    ON CONFLICT (message_key, method) WHERE state = 'pending' AND lane = 'card_update' DO UPDATE SET
      changes = outbox.changes + 1,
      next_attempt_at = CASE WHEN excluded.priority < outbox.priority THEN least(outbox.next_attempt_at, excluded.next_attempt_at) ELSE outbox.next_attempt_at END,
      priority = least(outbox.priority, excluded.priority)
    RETURNING id`,
  // A batch, in the order given (unnest … WITH ORDINALITY): new rows, or updates that join a pending one as insertOrJoin.
  insertMany: `INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
    SELECT lead_id, kind, method, payload::json, lane, $8, $8, message_key, priority
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) WITH ORDINALITY AS r(lead_id, kind, method, payload, lane, message_key, priority, n)
    ORDER BY n`,
  insertOrJoinMany: `INSERT INTO outbox (lead_id, kind, method, payload, lane, next_attempt_at, created_at, message_key, priority)
    SELECT lead_id, kind, method, payload::json, lane, $8, $8, message_key, priority
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) WITH ORDINALITY AS r(lead_id, kind, method, payload, lane, message_key, priority, n)
    ORDER BY n
    ON CONFLICT (message_key, method) WHERE state = 'pending' AND lane = 'card_update' DO UPDATE SET
      changes = outbox.changes + 1,
      next_attempt_at = CASE WHEN excluded.priority < outbox.priority THEN least(outbox.next_attempt_at, excluded.next_attempt_at) ELSE outbox.next_attempt_at END,
      priority = least(outbox.priority, excluded.priority)`,
  hasPending: `SELECT 1 FROM outbox WHERE state = 'pending' AND message_key = $1 AND method = $2 LIMIT 1`,
  pendingOfLeads: `SELECT 1 FROM outbox WHERE state = 'pending' AND lead_id = ANY($1::bigint[]) LIMIT 1`,
  prioritize: `UPDATE outbox SET priority = $2, next_attempt_at = least(next_attempt_at, $3)
    WHERE state = 'pending' AND message_key = $1 AND lane = 'card_update' AND priority > $2`,
  // An update that a newer change joined while it was delivered stays pending: it is sent again, with the newer state.
  done: `UPDATE outbox SET state = 'done', attempts = attempts + 1, result = $2::json, done_at = $3, last_error = NULL, leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending' AND changes = $4`,
  // $2: this instance; null: any holder.
  handBack: `UPDATE outbox SET leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending' AND leased_by = $2`,
  retry: `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending' AND ($4::text IS NULL OR leased_by IS NULL OR leased_by = $4)`,
  defer: `UPDATE outbox SET next_attempt_at = $2, leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending' AND ($3::text IS NULL OR leased_by IS NULL OR leased_by = $3)`,
  failed: `UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2, done_at = $3, leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending' AND ($4::text IS NULL OR leased_by IS NULL OR leased_by = $4)`,
  rememberUrl: `INSERT INTO response_urls (message_key, url, received_at, uses) VALUES ($1, $2, $3, $4)
    ON CONFLICT (message_key) DO UPDATE SET url = excluded.url, received_at = excluded.received_at, uses = excluded.uses
    WHERE excluded.received_at >= response_urls.received_at`,
  responseUrl: `SELECT url, received_at AS "receivedAt", uses FROM response_urls WHERE message_key = $1`,
  usedUrl: `UPDATE response_urls SET uses = uses + 1 WHERE message_key = $1 AND url = $2`,
  spentUrl: `UPDATE response_urls SET uses = $3 WHERE message_key = $1 AND url = $2`,
  forgetUrls: `DELETE FROM response_urls WHERE received_at < $1`,

  // $1 now, $2 limit, $3 max priority, $4 instance, $5 lease until. Due: its time has come, no earlier
  // row holds it back in its lane, and it is not leased to another instance (or that lease expired).
  // Three parts, each an index range in the order it is read, so a long outbox is not sorted whole:
  // rows free to take (outbox_due: not leased, or the lease expired), rows this instance already
  // holds (outbox_leased: its in-flight rows, which the worker reads again and leaves out), and rows
  // another instance's lapsed lease still names (outbox_leased: a dead instance's rows). The last go
  // first by the time they were due, not by the end of their lease: under a backlog they would
  // otherwise wait behind every row that came due before the lease ran out, and the instance that
  // takes over would reach them long after the instance died.
  claim: `WITH free AS (
      SELECT o.id, o.priority, o.next_attempt_at FROM outbox o
      WHERE o.state = 'pending' AND o.priority <= $3 AND greatest(o.next_attempt_at, coalesce(o.lease_until, 0)) <= $1
        AND ${LANE_RULE}
      ORDER BY o.priority, greatest(o.next_attempt_at, coalesce(o.lease_until, 0)), o.id
      LIMIT $2
      FOR UPDATE OF o SKIP LOCKED
    ), held AS (
      SELECT o.id, o.priority, o.next_attempt_at FROM outbox o
      WHERE o.state = 'pending' AND o.leased_by = $4 AND o.lease_until > $1 AND o.next_attempt_at <= $1 AND o.priority <= $3
        AND ${LANE_RULE}
      ORDER BY o.priority, o.next_attempt_at, o.id
      LIMIT $2
      FOR UPDATE OF o SKIP LOCKED
    ), lapsed AS (
      SELECT o.id, o.priority, o.next_attempt_at FROM outbox o
      WHERE o.state = 'pending' AND o.leased_by IS NOT NULL AND o.leased_by <> $4 AND o.lease_until <= $1 AND o.next_attempt_at <= $1 AND o.priority <= $3
        AND ${LANE_RULE}
      ORDER BY o.priority, o.next_attempt_at, o.id
      LIMIT $2
      FOR UPDATE OF o SKIP LOCKED
    ), picked AS (
      -- UNION: a lapsed row is also free; it is picked once.
      SELECT id FROM (SELECT * FROM lapsed UNION SELECT * FROM free UNION SELECT * FROM held) due ORDER BY priority, next_attempt_at, id LIMIT $2
    ), claimed AS (
      UPDATE outbox SET leased_by = $4, lease_until = $5,
        -- Taken over from an instance that may have sent it: an attempt that never reported.
        attempts = outbox.attempts + CASE WHEN outbox.leased_by IS NOT NULL AND outbox.leased_by <> $4 THEN 1 ELSE 0 END
      FROM picked WHERE outbox.id = picked.id
      RETURNING outbox.id, outbox.lead_id, outbox.kind, outbox.method, outbox.payload, outbox.lane, outbox.attempts, outbox.created_at,
        outbox.message_key, outbox.changes, outbox.priority, outbox.next_attempt_at
    )
    SELECT id, lead_id, kind, method, payload, lane, attempts, created_at, message_key, changes, priority FROM claimed
    ORDER BY priority, next_attempt_at, id`,
  failUnknown: `UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2, done_at = $3, leased_by = NULL, lease_until = NULL
    WHERE id = $1 AND state = 'pending'`,
  // When a row is next due: its attempt time, or the end of its lease if later (outbox_due's expression).
  nextDue: `SELECT min(greatest(next_attempt_at, coalesce(lease_until, 0))) AS at FROM outbox WHERE state = 'pending' AND greatest(next_attempt_at, coalesce(lease_until, 0)) > $1::bigint`,
  pendingIds: `SELECT id FROM outbox WHERE state = 'pending' ORDER BY id`,
  backlog: `SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox WHERE state = 'pending'`,
  // Rows a failed attempt left (markRetry records its error; a row only taken over from a stopped
  // instance has an attempt counted but no failure). "C": the byte order SQLite's max() compares in.
  failingWebhooks: `SELECT substr(lane, 9) AS url, count(*) AS pending, min(created_at) AS since, max(last_error COLLATE "C") AS "lastError"
    FROM outbox WHERE lane LIKE 'webhook:%' AND state = 'pending' AND attempts > 0 AND last_error IS NOT NULL GROUP BY lane ORDER BY since, lane`,
  releaseLeases: `UPDATE outbox SET leased_by = NULL, lease_until = NULL WHERE state = 'pending' AND leased_by = $1`,
  renewLeases: `UPDATE outbox SET lease_until = $2 WHERE state = 'pending' AND leased_by = $1 AND lease_until < $2`,
} as const;

type Statement = keyof typeof SQL;

async function run<R extends object = Record<string, unknown>>(q: PgQueryable, name: Statement, values: unknown[]) {
  return q.query<R>({ name: `outbox.${name}`, text: SQL[name], values });
}

export interface PostgresOutboxOptions {
  /**
   * This instance's name (as given to claimDue): deliveries it records are checked against the row's
   * lease (see the rules at the top of this file). Without it, every pending row is the caller's.
   */
  instance?: string;
}

/** The outbox inside one transaction (`q`: the transaction's client). */
export function postgresOutbox(q: PgQueryable, options: PostgresOutboxOptions = {}): Outbox {
  const instance = options.instance ?? null;
  const outbox: Outbox = {
    async enqueue(leadId, effect, now, priority = PRIORITY.background) {
      const key = messageKeyOf(effect);
      const lane = laneOf(effect);
      const stored = encodeEffect(effect);
      const { rows } =
        key !== null && lane === 'card_update'
          ? await run<{ id: number }>(q, 'insertOrJoin', [leadId, stored.kind, stored.method, stored.payload, now, key, priority])
          : await run<{ id: number }>(q, 'insert', [leadId, stored.kind, stored.method, stored.payload, lane, now, key, priority]);
      return (rows[0] as { id: number }).id;
    },
    // One statement when the rows are all new rows or all updates of distinct messages; else one by one, as enqueue.
    async enqueueMany(rows, now) {
      if (rows.length === 0) return;
      const encoded = rows.map(({ leadId, effect, priority = PRIORITY.background }) => ({ leadId, key: messageKeyOf(effect), lane: laneOf(effect), stored: encodeEffect(effect), priority }));
      const joinable = encoded.filter((row) => row.key !== null && row.lane === 'card_update');
      const distinct = new Set(joinable.map((row) => `${row.key}\u0000${row.stored.method}`)).size === joinable.length;
      if (joinable.length > 0 && (joinable.length < encoded.length || !distinct)) {
        for (const row of rows) await outbox.enqueue(row.leadId, row.effect, now, row.priority);
        return;
      }
      await run(q, joinable.length > 0 ? 'insertOrJoinMany' : 'insertMany', [
        encoded.map((row) => row.leadId),
        encoded.map((row) => row.stored.kind),
        encoded.map((row) => row.stored.method),
        encoded.map((row) => row.stored.payload),
        encoded.map((row) => row.lane),
        encoded.map((row) => row.key),
        encoded.map((row) => row.priority),
        now,
      ]);
    },
    async hasPending(effect) {
      const key = messageKeyOf(effect);
      return key !== null && (await run(q, 'hasPending', [key, encodeEffect(effect).method])).rowCount === 1;
    },
    async hasPendingOfLeads(leadIds) {
      return leadIds.length > 0 && (await run(q, 'pendingOfLeads', [leadIds])).rowCount === 1;
    },
    async prioritize(messageKey, now) {
      await run(q, 'prioritize', [messageKey, PRIORITY.waiting, now]);
    },
    async rememberResponseUrl(messageKey, url, receivedAt, uses = 0) {
      await run(q, 'rememberUrl', [messageKey, url, receivedAt, uses]);
    },
    async usableResponseUrl(messageKey, now) {
      const { rows } = await run<StoredResponseUrl>(q, 'responseUrl', [messageKey]);
      return usableResponseUrl(rows[0], now);
    },
    async usedResponseUrl(messageKey, url) {
      await run(q, 'usedUrl', [messageKey, url]);
    },
    async spentResponseUrl(messageKey, url) {
      await run(q, 'spentUrl', [messageKey, url, RESPONSE_URL_USES]);
    },
    async forgetExpiredResponseUrls(now) {
      return (await run(q, 'forgetUrls', [now - RESPONSE_URL_LIFETIME_MS])).rowCount ?? 0;
    },
    async markDone(row, result, now) {
      const done = (await run(q, 'done', [row.id, result === undefined ? null : JSON.stringify(result), now, row.changes])).rowCount === 1;
      if (!done && instance !== null) await run(q, 'handBack', [row.id, instance]);
      return done;
    },
    async markRetry(id, error, nextAttemptAt) {
      await run(q, 'retry', [id, nextAttemptAt, error, instance]);
    },
    async defer(id, nextAttemptAt) {
      await run(q, 'defer', [id, nextAttemptAt, instance]);
    },
    async markFailed(id, error, now) {
      await run(q, 'failed', [id, error, now, instance]);
    },
  };
  return outbox;
}

/** The worker's side of the outbox on PostgreSQL, with what an instance does with its leases. */
export interface PostgresOutboxQueue extends OutboxQueue {
  /** Hands back every lease `instance` holds (a clean stop, once its deliveries are recorded): the rows are due at once for the others; how many. */
  releaseLeases(instance: string): Promise<number>;
  /** Extends every lease `instance` still holds to `until` (never shortens one); how many. Leases another instance took over are not touched. */
  renewLeases(instance: string, until: number): Promise<number>;
}

/** Hands back every lease `instance` holds; how many rows. */
export async function releaseOutboxLeases(q: PgQueryable, instance: string): Promise<number> {
  return (await run(q, 'releaseLeases', [instance])).rowCount ?? 0;
}

/** Extends the leases `instance` holds to `until`; how many rows. */
export async function renewOutboxLeases(q: PgQueryable, instance: string, until: number): Promise<number> {
  return (await run(q, 'renewLeases', [instance, until])).rowCount ?? 0;
}

/** The outbox as the worker and the health checks see it: each call one statement on the pool (its own short transaction). */
export function postgresOutboxQueue(pool: PgPool): PostgresOutboxQueue {
  return {
    async claimDue({ now, limit, maxPriority = PRIORITY.background, instance, leaseMs }) {
      const { rows } = await run<Row>(pool, 'claim', [now, limit, maxPriority, instance, now + leaseMs]);
      const claimed: OutboxRow[] = [];
      for (const row of rows) {
        const effect = decodeEffect(row.kind, row.method, row.payload);
        // A row no effect describes cannot be delivered: it is given up on at once rather than retried.
        if (effect === null) {
          await run(pool, 'failUnknown', [row.id, unknownEffectError(row.kind, row.method), row.created_at]);
          continue;
        }
        claimed.push({ id: row.id, leadId: row.lead_id, effect, lane: row.lane, attempts: row.attempts, createdAt: row.created_at, messageKey: row.message_key, changes: row.changes, priority: row.priority });
      }
      return claimed;
    },
    async nextDueAt(after = Number.MIN_SAFE_INTEGER) {
      return (await run<{ at: number | null }>(pool, 'nextDue', [after])).rows[0]?.at ?? null;
    },
    async pendingIds() {
      return (await run<{ id: number }>(pool, 'pendingIds', [])).rows.map((row) => row.id);
    },
    async backlog(now) {
      const row = (await run<{ pending: number; oldest: number | null }>(pool, 'backlog', [])).rows[0] ?? { pending: 0, oldest: null };
      return { pending: row.pending, oldestAgeSeconds: row.oldest === null ? null : Math.max(0, Math.round((now - row.oldest) / 1000)) };
    },
    async failingWebhooks() {
      return (await run<FailingWebhook>(pool, 'failingWebhooks', [])).rows;
    },
    releaseLeases: (instance) => releaseOutboxLeases(pool, instance),
    renewLeases: (instance, until) => renewOutboxLeases(pool, instance, until),
  };
}
