import type { Db } from './openDatabase.ts';

/** `slack`: a Web API call as stored; `card`: a leadrelay message rendered from current state at delivery; `webhook`: a signed POST. */
export type OutboxKind = 'slack' | 'card' | 'webhook';

export interface OutboxRow {
  id: number;
  lead_id: number | null;
  kind: OutboxKind;
  method: string;
  payload: unknown;
  attempts: number;
  created_at: number;
}

export interface NewOutboxEffect {
  leadId: number | null;
  kind: OutboxKind;
  /** A Slack Web API method (`chat.postMessage`) or, for webhooks, what is delivered (`sequence`, `lead.claimed`). */
  method: string;
  payload: unknown;
}

/**
 * The outbox: effects written in the same transaction as the state change that causes them
 * (`enqueue` must be called inside that transaction), delivered after commit by the outbox worker,
 * in order per lead.
 */
export function sqliteOutboxStore(db: Db) {
  const statements = {
    insert: db.prepare(`INSERT INTO outbox (lead_id, kind, method, payload, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    // A row is due when its time has come and no earlier row of the same lead in the same lane is
    // still pending: that is what keeps a lead's effects in order across retries. Two kinds of lane:
    // Slack (posts and cards), and each webhook URL, so a CRM that is down holds back only its own
    // events, never a rep's card. Card updates do not hold later rows back: they render the current
    // state whenever they run (and skip a card not yet posted), and chat.update is paced far slower
    // than new posts, so a new rep's card must not wait on them. Nor do they wait themselves: an update
    // that runs before its message is posted skips it, and the post renders the current state anyway
    // (waiting behind a new rep's paced card left thousands of due updates for every query to step over).
    due: db.prepare(`SELECT id, lead_id, kind, method, payload, attempts, created_at FROM outbox o
      WHERE o.state = 'pending' AND o.next_attempt_at <= ?
        AND (o.lead_id IS NULL OR o.method IN ('update_offer_card', 'update_escalation') OR NOT EXISTS (
          SELECT 1 FROM outbox p WHERE p.lead_id = o.lead_id AND p.state = 'pending' AND p.id < o.id
            AND CASE WHEN o.kind = 'webhook'
              THEN p.kind = 'webhook' AND json_extract(p.payload, '$.url') IS json_extract(o.payload, '$.url')
              ELSE p.kind <> 'webhook' AND p.method NOT IN ('update_offer_card', 'update_escalation') END))
      ORDER BY o.next_attempt_at, o.id LIMIT ?`),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM outbox WHERE state = 'pending'`),
    done: db.prepare(`UPDATE outbox SET state = 'done', attempts = attempts + 1, result = ?, done_at = ?, last_error = NULL
      WHERE id = ? AND state = 'pending'`),
    retry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`),
    defer: db.prepare(`UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`),
    failed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ? AND state = 'pending'`),
    backlog: db.prepare(`SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox WHERE state = 'pending'`),
    failingWebhooks: db.prepare(`SELECT json_extract(payload, '$.url') AS url, count(*) AS pending, min(created_at) AS since, max(last_error) AS last_error
      FROM outbox WHERE kind = 'webhook' AND state = 'pending' AND attempts > 0 GROUP BY url ORDER BY since`),
  };

  return {
    /** Runs `work` in one transaction (a savepoint when already inside one). */
    inTransaction<T>(work: () => T): T {
      return db.transaction(work)();
    },

    enqueue(effect: NewOutboxEffect, now: number): number {
      const result = statements.insert.run(effect.leadId, effect.kind, effect.method, JSON.stringify(effect.payload), now, now);
      return Number(result.lastInsertRowid);
    },

    /** Pending rows whose time has come, at most one per lead (its oldest), oldest first. */
    due(now: number, limit: number): OutboxRow[] {
      const rows = statements.due.all(now, limit) as (Omit<OutboxRow, 'payload'> & { payload: string })[];
      return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
    },

    /** When the next pending row is due; null when nothing is pending. */
    nextDueAt(): number | null {
      return (statements.nextDue.get() as { at: number | null }).at;
    },

    markDone(id: number, result: unknown, now: number): void {
      statements.done.run(result === undefined ? null : JSON.stringify(result), now, id);
    },

    markRetry(id: number, error: string, nextAttemptAt: number): void {
      statements.retry.run(nextAttemptAt, error, id);
    },

    /** Postpones a row without counting an attempt (pacing). */
    defer(id: number, nextAttemptAt: number): void {
      statements.defer.run(nextAttemptAt, id);
    },

    /** Ids of the rows pending now: at start-up, these may have been in flight when the process died. */
    pendingIds(): number[] {
      return (db.prepare(`SELECT id FROM outbox WHERE state = 'pending'`).all() as { id: number }[]).map((row) => row.id);
    },

    markFailed(id: number, error: string, now: number): void {
      statements.failed.run(error, now, id);
    },

    /** Webhook receivers with deliveries that failed and are waiting for a retry (for /healthz). */
    failingWebhooks(): { url: string; pending: number; since: number; last_error: string | null }[] {
      return statements.failingWebhooks.all() as { url: string; pending: number; since: number; last_error: string | null }[];
    },

    backlog(now: number): { pending: number; oldestAgeSeconds: number | null } {
      const row = statements.backlog.get() as { pending: number; oldest: number | null };
      return { pending: row.pending, oldestAgeSeconds: row.oldest === null ? null : Math.max(0, Math.round((now - row.oldest) / 1000)) };
    },
  };
}

export type SqliteOutboxStore = ReturnType<typeof sqliteOutboxStore>;
