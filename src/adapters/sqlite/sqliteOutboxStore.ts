import type { Db } from './openDatabase.ts';

/** `slack`: a Web API call as stored; `card`: a leadrelay message rendered from current state at delivery; `webhook`: a signed POST. */
export type OutboxKind = 'slack' | 'card' | 'webhook';

/** Delivery order: what a person is waiting for (the answer to their click) goes before background changes. */
export const PRIORITY = { waiting: 0, background: 1 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

export interface OutboxRow {
  id: number;
  lead_id: number | null;
  kind: OutboxKind;
  method: string;
  payload: unknown;
  attempts: number;
  created_at: number;
  /** The leadrelay message this row posts or updates (`offer:12`), if any. */
  message_key: string | null;
  /** Changes this (coalesced) update carries: it is recorded as done only if none arrived during its delivery. */
  changes: number;
  priority: number;
}

export interface NewOutboxEffect {
  leadId: number | null;
  kind: OutboxKind;
  /** A Slack Web API method (`chat.postMessage`) or, for webhooks, what is delivered (`sequence`, `lead.claimed`). */
  method: string;
  payload: unknown;
}

/** A click's response_url, as stored for the message it came from. */
export interface StoredResponseUrl {
  url: string;
  received_at: number;
  uses: number;
}

/** Slack lets a response_url be used this many times… */
export const RESPONSE_URL_USES = 5;
/** …within this long of the click. leadrelay stops a minute short: the click reached it after Slack made the URL. */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
const RESPONSE_URL_MARGIN_MS = 60_000;

/** Card rows that update a message in place: rendered from the current state, coalesced per message. */
const UPDATE_METHODS = ['update_offer_card', 'update_escalation', 'update_reminder'] as const;
const UPDATES_SQL = UPDATE_METHODS.map((m) => `'${m}'`).join(', ');

/** The message a card row posts or updates, as a key shared by its post and its updates; null for other rows. */
export function cardMessageKey(method: string, payload: unknown): string | null {
  const { offerId, leadId } = (payload ?? {}) as { offerId?: unknown; leadId?: unknown };
  switch (method) {
    case 'post_offer_card':
    case 'update_offer_card':
      return `offer:${Number(offerId)}`;
    case 'post_reminder':
    case 'update_reminder':
      return `reminder:${Number(offerId)}`;
    case 'post_escalation':
    case 'update_escalation':
      return `escalation:${Number(leadId)}`;
    default:
      return null;
  }
}

export const isUpdateMethod = (method: string): boolean => (UPDATE_METHODS as readonly string[]).includes(method);

/**
 * The outbox: effects written in the same transaction as the state change that causes them
 * (`enqueue` must be called inside that transaction), delivered after commit by the outbox worker,
 * in order per lead.
 */
export function sqliteOutboxStore(db: Db) {
  const statements = {
    insert: db.prepare(`INSERT INTO outbox (lead_id, kind, method, payload, next_attempt_at, created_at, message_key, priority)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    // A later change of a message whose update is still pending rides on that update: one row, one
    // call, the latest state. A change someone is waiting for makes it due now, ahead of the rest.
    coalesce: db.prepare(`UPDATE outbox SET changes = changes + 1,
        next_attempt_at = CASE WHEN @priority < priority THEN min(next_attempt_at, @now) ELSE next_attempt_at END,
        priority = min(priority, @priority)
      WHERE state = 'pending' AND message_key = @key AND method = @method`),
    // A row is due when its time has come and no earlier row of the same lead in the same lane is
    // still pending: that is what keeps a lead's effects in order across retries. Two kinds of lane:
    // Slack (posts and cards), and each webhook URL, so a CRM that is down holds back only its own
    // events, never a rep's card. Updates of a message are not in a lane: they render the current
    // state whenever they run, and chat.update is paced far slower than new posts, so a new rep's card
    // must not wait on them. An update waits only for the post of its own message (it needs the
    // message's ts; the post renders the current state, and the update then sends whatever changed
    // after the post was rendered). What a person waits for goes first.
    due: db.prepare(`SELECT id, lead_id, kind, method, payload, attempts, created_at, message_key, changes, priority FROM outbox o
      WHERE o.state = 'pending' AND o.next_attempt_at <= @now AND o.priority <= @maxPriority
        AND CASE WHEN o.method IN (${UPDATES_SQL})
          THEN NOT EXISTS (SELECT 1 FROM outbox p WHERE p.message_key = o.message_key AND p.state = 'pending' AND p.id < o.id
            AND p.method NOT IN (${UPDATES_SQL}))
          ELSE o.lead_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox p WHERE p.lead_id = o.lead_id AND p.state = 'pending' AND p.id < o.id
              AND CASE WHEN o.kind = 'webhook'
                THEN p.kind = 'webhook' AND json_extract(p.payload, '$.url') IS json_extract(o.payload, '$.url')
                ELSE p.kind <> 'webhook' AND p.method NOT IN (${UPDATES_SQL}) END) END
      ORDER BY o.priority, o.next_attempt_at, o.id LIMIT @limit`),
    nextDue: db.prepare(`SELECT min(next_attempt_at) AS at FROM outbox WHERE state = 'pending'`),
    // An update that a newer change joined while it was delivered stays pending: it is sent again, with the newer state.
    done: db.prepare(`UPDATE outbox SET state = 'done', attempts = attempts + 1, result = ?, done_at = ?, last_error = NULL
      WHERE id = ? AND state = 'pending' AND changes = ?`),
    retry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`),
    defer: db.prepare(`UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`),
    failed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ? AND state = 'pending'`),
    pendingUpdate: db.prepare(`SELECT id FROM outbox WHERE state = 'pending' AND message_key = ? AND method = ?`),
    hasPending: db.prepare(`SELECT 1 FROM outbox WHERE state = 'pending' AND message_key = ? AND method = ? LIMIT 1`),
    prioritize: db.prepare(`UPDATE outbox SET priority = @priority, next_attempt_at = min(next_attempt_at, @now)
      WHERE state = 'pending' AND message_key = @key AND method IN (${UPDATES_SQL}) AND priority > @priority`),
    backlog: db.prepare(`SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox WHERE state = 'pending'`),
    failingWebhooks: db.prepare(`SELECT json_extract(payload, '$.url') AS url, count(*) AS pending, min(created_at) AS since, max(last_error) AS last_error
      FROM outbox WHERE kind = 'webhook' AND state = 'pending' AND attempts > 0 GROUP BY url ORDER BY since`),
    rememberUrl: db.prepare(`INSERT INTO response_urls (message_key, url, received_at, uses) VALUES (@key, @url, @at, @uses)
      ON CONFLICT (message_key) DO UPDATE SET url = excluded.url, received_at = excluded.received_at, uses = excluded.uses
      WHERE excluded.received_at >= response_urls.received_at`),
    responseUrl: db.prepare('SELECT url, received_at, uses FROM response_urls WHERE message_key = ?'),
    usedUrl: db.prepare('UPDATE response_urls SET uses = uses + 1 WHERE message_key = ? AND url = ?'),
    spentUrl: db.prepare('UPDATE response_urls SET uses = ? WHERE message_key = ? AND url = ?'),
    forgetUrls: db.prepare('DELETE FROM response_urls WHERE received_at < ?'),
  };

  return {
    /** Runs `work` in one transaction (a savepoint when already inside one). */
    inTransaction<T>(work: () => T): T {
      return db.transaction(work)();
    },

    /**
     * Writes an effect (inside the transaction of the change that causes it); returns its row id. An
     * update of a message that already has one pending joins it instead (the returned id is then that
     * row's). `priority: PRIORITY.waiting` when a person is waiting for it.
     */
    enqueue(effect: NewOutboxEffect, now: number, priority: Priority = PRIORITY.background): number {
      const key = effect.kind === 'card' ? cardMessageKey(effect.method, effect.payload) : null;
      if (key !== null && isUpdateMethod(effect.method)) {
        if (statements.coalesce.run({ key, method: effect.method, priority, now }).changes > 0) {
          return (statements.pendingUpdate.get(key, effect.method) as { id: number }).id;
        }
      }
      const result = statements.insert.run(effect.leadId, effect.kind, effect.method, JSON.stringify(effect.payload), now, now, key, priority);
      return Number(result.lastInsertRowid);
    },

    /** Whether a card row like this one (`post_escalation` of lead 17) is pending. */
    hasPending(method: string, payload: unknown): boolean {
      const key = cardMessageKey(method, payload);
      return key !== null && statements.hasPending.get(key, method) !== undefined;
    },

    /** A person is now waiting for this message's pending update (they clicked it): it goes first, now. */
    prioritize(messageKey: string, now: number): void {
      statements.prioritize.run({ key: messageKey, priority: PRIORITY.waiting, now });
    },

    /**
     * Pending rows whose time has come, at most one per lead lane (its oldest), what people wait for
     * first; with `maxPriority: PRIORITY.waiting` only those.
     */
    due(now: number, limit: number, maxPriority: number = PRIORITY.background): OutboxRow[] {
      const rows = statements.due.all({ now, limit, maxPriority }) as (Omit<OutboxRow, 'payload'> & { payload: string })[];
      return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
    },

    /** When the next pending row is due; null when nothing is pending. */
    nextDueAt(): number | null {
      return (statements.nextDue.get() as { at: number | null }).at;
    },

    /**
     * Records a delivery. An update that was joined by a newer change while it was being delivered
     * stays pending (and due): it is sent again with the newer state. Returns whether the row is done.
     */
    markDone(row: Pick<OutboxRow, 'id' | 'changes'>, result: unknown, now: number): boolean {
      return statements.done.run(result === undefined ? null : JSON.stringify(result), now, row.id, row.changes).changes === 1;
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

    /**
     * Keeps a click's response_url for the message it came from (inside the click's transaction): the
     * latest click's wins. `uses`: posts already promised on it (an ephemeral answer).
     */
    rememberResponseUrl(messageKey: string, url: string, receivedAt: number, uses = 0): void {
      statements.rememberUrl.run({ key: messageKey, url, at: receivedAt, uses });
    },

    /** The message's response_url if Slack still takes a post on it (fewer than 5 uses, not 30 minutes old); else null. */
    usableResponseUrl(messageKey: string, now: number): StoredResponseUrl | null {
      const row = statements.responseUrl.get(messageKey) as StoredResponseUrl | undefined;
      if (!row) return null;
      const usable = row.uses < RESPONSE_URL_USES && now - row.received_at < RESPONSE_URL_LIFETIME_MS - RESPONSE_URL_MARGIN_MS;
      return usable ? row : null;
    },

    /** Counts a post made with the message's response_url (inside the transaction that records the delivery). */
    usedResponseUrl(messageKey: string, url: string): void {
      statements.usedUrl.run(messageKey, url);
    },

    /** Slack refused the URL (used up, expired): it is not tried again. */
    spentResponseUrl(messageKey: string, url: string): void {
      statements.spentUrl.run(RESPONSE_URL_USES, messageKey, url);
    },

    /** Drops the response URLs Slack no longer takes; how many. */
    forgetExpiredResponseUrls(now: number): number {
      return statements.forgetUrls.run(now - RESPONSE_URL_LIFETIME_MS).changes;
    },
  };
}

export type SqliteOutboxStore = ReturnType<typeof sqliteOutboxStore>;
