import type { DueOffer, OfferRepository, ResolvedOffer, StoredOffer } from '../../app/ports.ts';
import type { PendingOffer } from '../../domain/offers/offerMachine.ts';
import type { Db } from './openDatabase.ts';
import type { RoutingCache } from './sqliteRoutingCache.ts';

const OFFER_COLUMNS = `id, lead_id AS leadId, rep_id AS repId, attempt, state, version, offered_at AS offeredAt, deadline_at AS deadlineAt,
  remind_at AS remindAt, reminded_at AS remindedAt, resolved_at AS resolvedAt, reason, why, channel_id AS channelId,
  message_ts AS messageTs, reminder_ts AS reminderTs`;

/** Offers of leads to reps (OfferRepository). Runs inside the unit of work's transaction. */
export function sqliteOfferStore(db: Db, cache?: RoutingCache): OfferRepository {
  const statements = {
    attempts: db.prepare('SELECT count(*) AS n FROM offers WHERE lead_id = ?'),
    // The attempt is counted in the insert itself: one statement per offer.
    insert: db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at, why)
      SELECT @leadId, @repId, count(*) + 1, @offeredAt, @deadlineAt, @remindAt, @why FROM offers WHERE lead_id = @leadId
      RETURNING id, attempt`),
    // A batch (one offer per lead): the attempt counted per lead in the same statement.
    insertMany: db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at, why)
      SELECT value ->> 0, value ->> 1, (SELECT count(*) FROM offers o WHERE o.lead_id = value ->> 0) + 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
      FROM json_each(?) ORDER BY key RETURNING id, lead_id AS leadId, attempt`),
    countsOfLeads: db.prepare('SELECT lead_id AS leadId, count(*) AS n FROM offers WHERE lead_id IN (SELECT value FROM json_each(?)) GROUP BY lead_id'),
    byId: db.prepare(`SELECT ${OFFER_COLUMNS} FROM offers WHERE id = ?`),
    pendingOfLead: db.prepare(`SELECT id, rep_id AS repId, version, deadline_at AS deadlineAt, remind_at AS remindAt, reminded_at AS remindedAt
      FROM offers WHERE lead_id = ? AND state = 'pending'`),
    lastClaimedOfLead: db.prepare(`SELECT id FROM offers WHERE lead_id = ? AND state = 'claimed' ORDER BY attempt DESC LIMIT 1`),
    ofLead: db.prepare(`SELECT ${OFFER_COLUMNS} FROM offers WHERE lead_id = ? ORDER BY attempt`),
    resolve: db.prepare(`UPDATE offers SET state = @state, version = version + 1, resolved_at = @now, reason = @reason
      WHERE id = @id AND version = @version AND state = 'pending'`),
    // One statement for a batch: the (id, version) pairs come as one JSON array, joined on the primary key.
    resolveMany: db.prepare(`UPDATE offers SET state = @state, version = offers.version + 1, resolved_at = @now, reason = @reason
      FROM (SELECT value ->> 0 AS id, value ->> 1 AS version FROM json_each(@offers)) AS due
      WHERE offers.id = due.id AND offers.version = due.version AND offers.state = 'pending'
      RETURNING offers.id, lead_id AS leadId, rep_id AS repId, offers.version - 1 AS version, deadline_at AS deadlineAt, remind_at AS remindAt, reminded_at AS remindedAt`),
    reminded: db.prepare(`UPDATE offers SET reminded_at = ? WHERE id = ? AND state = 'pending' AND reminded_at IS NULL`),
    dueDeadlines: db.prepare(`SELECT id, lead_id AS leadId, version FROM offers WHERE state = 'pending' AND deadline_at <= ? ORDER BY deadline_at, id LIMIT ?`),
    dueReminders: db.prepare(`SELECT id, lead_id AS leadId, version FROM offers WHERE state = 'pending' AND reminded_at IS NULL AND remind_at <= ? ORDER BY remind_at, id LIMIT ?`),
    nextDeadline: db.prepare(`SELECT min(deadline_at) AS at FROM offers WHERE state = 'pending'`),
    setMessage: db.prepare('UPDATE offers SET channel_id = ?, message_ts = ? WHERE id = ?'),
    learnMessage: db.prepare('UPDATE offers SET channel_id = ?, message_ts = ? WHERE id = ? AND message_ts IS NULL'),
    setReminder: db.prepare('UPDATE offers SET reminder_ts = ? WHERE id = ?'),
    pendingOfRep: db.prepare(`SELECT id, lead_id AS leadId, version FROM offers WHERE rep_id = ? AND state = 'pending' ORDER BY offered_at`),
  };
  const pendingOfLead = (leadId: number) => (statements.pendingOfLead.get(leadId) as PendingOffer | undefined) ?? null;
  return {
    async create(offer) {
      const created = statements.insert.get(offer) as { id: number; attempt: number };
      cache?.offerInserted(offer.repId, offer.offeredAt);
      return created;
    },
    async createMany(offers) {
      if (offers.length === 0) return [];
      if (new Set(offers.map((offer) => offer.leadId)).size < offers.length) throw new Error('createMany takes one offer per lead');
      const rows = statements.insertMany.all(JSON.stringify(offers.map((o) => [o.leadId, o.repId, o.offeredAt, o.deadlineAt, o.remindAt, o.why]))) as { id: number; leadId: number; attempt: number }[];
      for (const offer of offers) cache?.offerInserted(offer.repId, offer.offeredAt);
      const byLead = new Map(rows.map((row) => [row.leadId, row]));
      return offers.map((offer) => {
        const row = byLead.get(offer.leadId) as { id: number; attempt: number };
        return { id: row.id, attempt: row.attempt };
      });
    },
    async countsOfLeads(leadIds) {
      const counts = new Map<number, number>();
      if (leadIds.length === 0) return counts;
      for (const row of statements.countsOfLeads.all(JSON.stringify(leadIds)) as { leadId: number; n: number }[]) counts.set(row.leadId, row.n);
      return counts;
    },
    async get(id) {
      return (statements.byId.get(id) as StoredOffer | undefined) ?? null;
    },
    async ofLead(leadId) {
      return statements.ofLead.all(leadId) as StoredOffer[];
    },
    async pendingOfLead(leadId) {
      return pendingOfLead(leadId);
    },
    async pendingOfRep(repId) {
      return statements.pendingOfRep.all(repId) as DueOffer[];
    },
    async countOfLead(leadId) {
      return (statements.attempts.get(leadId) as { n: number }).n;
    },
    async currentCardOf(leadId) {
      return pendingOfLead(leadId)?.id ?? (statements.lastClaimedOfLead.get(leadId) as { id: number } | undefined)?.id ?? null;
    },
    async resolve(change) {
      return statements.resolve.run(change).changes === 1;
    },
    async resolveMany({ offers, state, reason, now }) {
      if (offers.length === 0) return [];
      const moved = statements.resolveMany.all({ offers: JSON.stringify(offers.map((offer) => [offer.id, offer.version])), state, reason, now }) as ResolvedOffer[];
      const byId = new Map(moved.map((offer) => [offer.id, offer]));
      return offers.flatMap((offer) => byId.get(offer.id) ?? []);
    },
    async markReminded(id, now) {
      return statements.reminded.run(now, id).changes === 1;
    },
    // One writer: what this transaction reads, nobody else takes meanwhile.
    async takeDueDeadlines(now, limit) {
      return statements.dueDeadlines.all(now, limit) as DueOffer[];
    },
    async takeDueReminders(now, limit) {
      return statements.dueReminders.all(now, limit) as DueOffer[];
    },
    async nextDeadlineAt() {
      return (statements.nextDeadline.get() as { at: number | null }).at;
    },
    async setMessage(id, channelId, ts) {
      statements.setMessage.run(channelId, ts, id);
    },
    async learnMessage(id, channelId, ts) {
      statements.learnMessage.run(channelId, ts, id);
    },
    async setReminderMessage(id, ts) {
      statements.setReminder.run(ts, id);
    },
  };
}
