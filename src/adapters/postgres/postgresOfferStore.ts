import type { DueOffer, OfferRepository, ResolvedOffer, StoredOffer } from '../../app/ports.ts';
import type { PendingOffer } from '../../domain/offers/offerMachine.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { changedRows, firstRow, rowsOf } from './pgQuery.ts';

const OFFER_COLUMNS = `id, lead_id AS "leadId", rep_id AS "repId", attempt, state, version, offered_at AS "offeredAt", deadline_at AS "deadlineAt",
  remind_at AS "remindAt", reminded_at AS "remindedAt", resolved_at AS "resolvedAt", reason, why, channel_id AS "channelId",
  message_ts AS "messageTs", reminder_ts AS "reminderTs"`;
const DUE_COLUMNS = `id, lead_id AS "leadId", version`;

/**
 * Offers of leads to reps (OfferRepository), on the transaction's client. A claim, a pass and an
 * expiry race on the offer's version: the UPDATE … WHERE version = $n of the first to commit
 * changes the row, and the others' (which wait for its row lock, then re-read it) change nothing.
 */
export function postgresOfferStore(q: PgQueryable): OfferRepository {
  const pendingOfLead = (leadId: number) =>
    firstRow<PendingOffer>(
      q,
      `SELECT id, rep_id AS "repId", version, deadline_at AS "deadlineAt", remind_at AS "remindAt", reminded_at AS "remindedAt"
        FROM offers WHERE lead_id = $1 AND state = 'pending'`,
      [leadId],
    );

  return {
    // The attempt is counted in the INSERT itself. Two transactions offering the same lead at once
    // cannot both commit: offers_one_pending_per_lead refuses the second (a unique violation: the unit of work runs it again).
    async create(offer) {
      const row = await firstRow<{ id: number; attempt: number }>(
        q,
        `INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at, why)
          SELECT $1::bigint, $2::text, count(*) + 1, $3::bigint, $4::bigint, $5::bigint, $6::text FROM offers WHERE lead_id = $1 RETURNING id, attempt`,
        [offer.leadId, offer.repId, offer.offeredAt, offer.deadlineAt, offer.remindAt, offer.why],
      );
      return row as { id: number; attempt: number };
    },
    // One statement for a batch (one offer per lead), the attempt counted per lead.
    async createMany(offers) {
      if (offers.length === 0) return [];
      if (new Set(offers.map((offer) => offer.leadId)).size < offers.length) throw new Error('createMany takes one offer per lead');
      const rows = await rowsOf<{ id: number; leadId: number; attempt: number }>(
        q,
        `INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at, why)
          SELECT n.lead_id, n.rep_id, (SELECT count(*) FROM offers o WHERE o.lead_id = n.lead_id) + 1, n.offered_at, n.deadline_at, n.remind_at, n.why
          FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS n(lead_id, rep_id, offered_at, deadline_at, remind_at, why)
          RETURNING id, lead_id AS "leadId", attempt`,
        [offers.map((o) => o.leadId), offers.map((o) => o.repId), offers.map((o) => o.offeredAt), offers.map((o) => o.deadlineAt), offers.map((o) => o.remindAt), offers.map((o) => o.why)],
      );
      const byLead = new Map(rows.map((row) => [Number(row.leadId), row]));
      return offers.map((offer) => {
        const row = byLead.get(offer.leadId) as { id: number; attempt: number };
        return { id: row.id, attempt: row.attempt };
      });
    },
    async countsOfLeads(leadIds) {
      const counts = new Map<number, number>();
      if (leadIds.length === 0) return counts;
      for (const row of await rowsOf<{ leadId: number; n: number }>(q, 'SELECT lead_id AS "leadId", count(*) AS n FROM offers WHERE lead_id = ANY($1::bigint[]) GROUP BY lead_id', [leadIds])) {
        counts.set(Number(row.leadId), Number(row.n));
      }
      return counts;
    },
    async get(id) {
      return firstRow<StoredOffer>(q, `SELECT ${OFFER_COLUMNS} FROM offers WHERE id = $1`, [id]);
    },
    async ofLead(leadId) {
      return rowsOf<StoredOffer>(q, `SELECT ${OFFER_COLUMNS} FROM offers WHERE lead_id = $1 ORDER BY attempt`, [leadId]);
    },
    async pendingOfLead(leadId) {
      return pendingOfLead(leadId);
    },
    async pendingOfRep(repId) {
      return rowsOf<DueOffer>(q, `SELECT ${DUE_COLUMNS} FROM offers WHERE rep_id = $1 AND state = 'pending' ORDER BY offered_at, id`, [repId]);
    },
    async countOfLead(leadId) {
      const row = await firstRow<{ n: number }>(q, 'SELECT count(*) AS n FROM offers WHERE lead_id = $1', [leadId]);
      return row?.n ?? 0;
    },
    async currentCardOf(leadId) {
      // The pending offer if any (at most one), else the last claimed one.
      const row = await firstRow<{ id: number }>(
        q,
        `SELECT id FROM offers WHERE lead_id = $1 AND state IN ('pending', 'claimed') ORDER BY state = 'pending' DESC, attempt DESC LIMIT 1`,
        [leadId],
      );
      return row?.id ?? null;
    },
    async resolve(change) {
      const changed = await changedRows(
        q,
        `UPDATE offers SET state = $3, version = version + 1, resolved_at = $4, reason = $5 WHERE id = $1 AND version = $2 AND state = 'pending'`,
        [change.id, change.version, change.state, change.now, change.reason],
      );
      return changed === 1;
    },
    // One statement for a batch (an expiry burst): only the offers still pending at the version given move.
    async resolveMany({ offers, state, reason, now }) {
      if (offers.length === 0) return [];
      const moved = await rowsOf<ResolvedOffer>(
        q,
        `UPDATE offers o SET state = $3, version = o.version + 1, resolved_at = $4, reason = $5
          FROM unnest($1::bigint[], $2::int[]) AS due(id, version)
          WHERE o.id = due.id AND o.version = due.version AND o.state = 'pending'
          RETURNING o.id, o.lead_id AS "leadId", o.rep_id AS "repId", o.version - 1 AS version, o.deadline_at AS "deadlineAt",
            o.remind_at AS "remindAt", o.reminded_at AS "remindedAt"`,
        [offers.map((offer) => offer.id), offers.map((offer) => offer.version), state, now, reason],
      );
      const byId = new Map(moved.map((offer) => [offer.id, offer]));
      return offers.flatMap((offer) => byId.get(offer.id) ?? []);
    },
    async markReminded(id, now) {
      return (await changedRows(q, `UPDATE offers SET reminded_at = $2 WHERE id = $1 AND state = 'pending' AND reminded_at IS NULL`, [id, now])) === 1;
    },
    // Locked until this transaction ends; rows another instance's sweep holds are skipped, not waited for.
    async takeDueDeadlines(now, limit) {
      return rowsOf<DueOffer>(q, `SELECT ${DUE_COLUMNS} FROM offers WHERE state = 'pending' AND deadline_at <= $1 ORDER BY deadline_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, limit]);
    },
    async takeDueReminders(now, limit) {
      return rowsOf<DueOffer>(
        q,
        `SELECT ${DUE_COLUMNS} FROM offers WHERE state = 'pending' AND reminded_at IS NULL AND remind_at <= $1 ORDER BY remind_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
    },
    async nextDeadlineAt() {
      const row = await firstRow<{ at: number | null }>(q, `SELECT min(deadline_at) AS at FROM offers WHERE state = 'pending'`);
      return row?.at ?? null;
    },
    async setMessage(id, channelId, ts) {
      await q.query('UPDATE offers SET channel_id = $2, message_ts = $3 WHERE id = $1', [id, channelId, ts]);
    },
    async learnMessage(id, channelId, ts) {
      await q.query('UPDATE offers SET channel_id = $2, message_ts = $3 WHERE id = $1 AND message_ts IS NULL', [id, channelId, ts]);
    },
    async setReminderMessage(id, ts) {
      await q.query('UPDATE offers SET reminder_ts = $2 WHERE id = $1', [id, ts]);
    },
  };
}
