import type { OfferState, PendingOffer } from '../../domain/offers/offerMachine.ts';
import type { Db } from './openDatabase.ts';

export interface NewOffer {
  leadId: number;
  repId: string;
  offeredAt: number;
  deadlineAt: number;
  remindAt: number | null;
  why: string;
}

export interface StoredOffer {
  id: number;
  lead_id: number;
  rep_id: string;
  attempt: number;
  state: OfferState;
  version: number;
  offered_at: number;
  deadline_at: number;
  remind_at: number | null;
  reminded_at: number | null;
  resolved_at: number | null;
  reason: string | null;
  why: string | null;
  channel_id: string | null;
  message_ts: string | null;
  /** The reminder's ts in the card's thread, once posted. */
  reminder_ts: string | null;
}

/** Offers of leads to reps. Callers own the transaction. */
export function sqliteOfferStore(db: Db) {
  const statements = {
    attempts: db.prepare('SELECT count(*) AS n FROM offers WHERE lead_id = ?'),
    insert: db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at, why)
      VALUES (@leadId, @repId, @attempt, @offeredAt, @deadlineAt, @remindAt, @why)`),
    byId: db.prepare('SELECT * FROM offers WHERE id = ?'),
    pendingOfLead: db.prepare(`SELECT id, rep_id, version, deadline_at, remind_at, reminded_at FROM offers WHERE lead_id = ? AND state = 'pending'`),
    ofLead: db.prepare('SELECT * FROM offers WHERE lead_id = ? ORDER BY attempt'),
    resolve: db.prepare(`UPDATE offers SET state = @state, version = version + 1, resolved_at = @now, reason = @reason
      WHERE id = @id AND version = @version AND state = 'pending'`),
    reminded: db.prepare(`UPDATE offers SET reminded_at = ?, version = version WHERE id = ? AND state = 'pending' AND reminded_at IS NULL`),
    dueDeadlines: db.prepare(`SELECT id, lead_id, version FROM offers WHERE state = 'pending' AND deadline_at <= ? ORDER BY deadline_at, id LIMIT ?`),
    dueReminders: db.prepare(`SELECT id, lead_id, version FROM offers WHERE state = 'pending' AND reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at, id LIMIT ?`),
    nextDeadline: db.prepare(`SELECT min(deadline_at) AS at FROM offers WHERE state = 'pending'`),
    setMessage: db.prepare('UPDATE offers SET channel_id = ?, message_ts = ? WHERE id = ?'),
    learnMessage: db.prepare('UPDATE offers SET channel_id = ?, message_ts = ? WHERE id = ? AND message_ts IS NULL'),
    setReminder: db.prepare('UPDATE offers SET reminder_ts = ? WHERE id = ?'),
    pendingOfRep: db.prepare(`SELECT * FROM offers WHERE rep_id = ? AND state = 'pending' ORDER BY offered_at`),
  };
  return {
    /** Records an offer as the lead's next attempt; returns its id and attempt number. */
    create(offer: NewOffer): { id: number; attempt: number } {
      const attempt = (statements.attempts.get(offer.leadId) as { n: number }).n + 1;
      const result = statements.insert.run({ ...offer, attempt });
      return { id: Number(result.lastInsertRowid), attempt };
    },

    get(id: number): StoredOffer | undefined {
      return statements.byId.get(id) as StoredOffer | undefined;
    },

    ofLead(leadId: number): StoredOffer[] {
      return statements.ofLead.all(leadId) as StoredOffer[];
    },

    pendingOfRep(repId: string): StoredOffer[] {
      return statements.pendingOfRep.all(repId) as StoredOffer[];
    },

    /** The card of whoever holds the lead: its pending offer, else its last claimed one; null when none. */
    currentCardOf(leadId: number): number | null {
      const pending = statements.pendingOfLead.get(leadId) as { id: number } | undefined;
      return pending?.id ?? (statements.ofLead.all(leadId) as StoredOffer[]).filter((o) => o.state === 'claimed').at(-1)?.id ?? null;
    },

    countOfLead(leadId: number): number {
      return (statements.attempts.get(leadId) as { n: number }).n;
    },

    pendingOfLead(leadId: number): PendingOffer | null {
      const row = statements.pendingOfLead.get(leadId) as
        | { id: number; rep_id: string; version: number; deadline_at: number; remind_at: number | null; reminded_at: number | null }
        | undefined;
      return row
        ? { id: row.id, repId: row.rep_id, version: row.version, deadlineAt: row.deadline_at, remindAt: row.remind_at, remindedAt: row.reminded_at }
        : null;
    },

    /** Compare-and-set: true when this call moved the pending offer at `version` to `state`. */
    resolve(change: { id: number; version: number; state: Exclude<OfferState, 'pending'>; reason: string | null; now: number }): boolean {
      return statements.resolve.run(change).changes === 1;
    },

    markReminded(id: number, now: number): boolean {
      return statements.reminded.run(now, id).changes === 1;
    },

    dueDeadlines(now: number, limit: number): { id: number; lead_id: number; version: number }[] {
      return statements.dueDeadlines.all(now, limit) as { id: number; lead_id: number; version: number }[];
    },

    dueReminders(now: number, limit: number): { id: number; lead_id: number; version: number }[] {
      return statements.dueReminders.all(now, limit) as { id: number; lead_id: number; version: number }[];
    },

    nextDeadlineAt(): number | null {
      return (statements.nextDeadline.get() as { at: number | null }).at;
    },

    /** Where the offer's card is, once posted. */
    setMessage(id: number, channelId: string, ts: string): void {
      statements.setMessage.run(channelId, ts, id);
    },

    /**
     * Where the card is, learned from a click on it (which proves it is in Slack) while its post's
     * answer is not recorded yet; an already recorded card is left as it is.
     */
    learnMessage(id: number, channelId: string, ts: string): void {
      statements.learnMessage.run(channelId, ts, id);
    },

    /** Where the offer's reminder is in the card's thread. */
    setReminderMessage(id: number, ts: string): void {
      statements.setReminder.run(ts, id);
    },
  };
}

export type SqliteOfferStore = ReturnType<typeof sqliteOfferStore>;
