/**
 * The queries behind `/leads`, `/leads team`, `/leads stats` and the App Home on PostgreSQL (the
 * ReadModels port; src/app/readModels.ts composes the views): those of sqlite/sqliteReadModels.ts in
 * PostgreSQL's terms. Read-only; each method is one statement on the pool, so one consistent read of
 * committed state (a list and its total come from the same statement).
 */
import type { BoardScope, ReadModels } from '../../app/readModels.ts';
import {
  escalatedLeadItemOf,
  openLeadItemOf,
  outcomesOf,
  pendingOfferItemOf,
  queuedLeadItemOf,
  type EscalatedLeadRow,
  type OpenLeadRow,
  type OutcomeRow,
  type PendingOfferRow,
  type QueuedLeadRow,
} from '../readModelRows.ts';
import type { PgPool } from './connectPostgres.ts';

/** $1 = true: every lead; else leads of the teams in the array $2, and leads with no team. */
const IN_SCOPE = `($1::boolean OR team_id IS NULL OR team_id = ANY($2::text[]))`;

/** A board list's page carries the number of leads in scope on each of its rows (`count(*) OVER ()` counts before LIMIT). */
const SQL = {
  pendingOffersOfRep: `SELECT o.id AS offer_id, o.version AS offer_version, o.attempt, o.offered_at, o.deadline_at, o.why,
      l.id AS lead_id, l.payload, l.domain
    FROM offers o JOIN leads l ON l.id = o.lead_id
    WHERE o.rep_id = $1 AND o.state = 'pending' ORDER BY o.deadline_at, o.id`,
  openLeadsOfRep: `SELECT id AS lead_id, payload, domain, version, claimed_at FROM leads
    WHERE owner_id = $1 AND state = 'claimed' ORDER BY claimed_at, id`,
  pendingCounts: `SELECT rep_id, count(*) AS n FROM offers WHERE state = 'pending' GROUP BY rep_id`,
  queued: `SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at, count(*) OVER () AS total FROM leads
    WHERE state = 'queued' AND ${IN_SCOPE}
    ORDER BY updated_at, id LIMIT $3`,
  queuedCount: `SELECT count(*) AS n FROM leads WHERE state = 'queued' AND ${IN_SCOPE}`,
  escalated: `SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at, escalation_reason, escalation_pings, count(*) OVER () AS total FROM leads
    WHERE state = 'escalated' AND ${IN_SCOPE}
    ORDER BY coalesce(escalated_at, updated_at), id LIMIT $3`,
  escalatedCount: `SELECT count(*) AS n FROM leads WHERE state = 'escalated' AND ${IN_SCOPE}`,
  // Offers made in the last 30 days (and, by the filtered counts, the last 7), by rep. $1 since7, $2 since30, $3 now.
  offerCounts: `SELECT rep_id,
      count(*) AS offered30,
      count(*) FILTER (WHERE state = 'claimed') AS claimed30,
      count(*) FILTER (WHERE state = 'passed') AS passed30,
      count(*) FILTER (WHERE state = 'expired') AS expired30,
      count(*) FILTER (WHERE offered_at >= $1) AS offered7,
      count(*) FILTER (WHERE offered_at >= $1 AND state = 'claimed') AS claimed7,
      count(*) FILTER (WHERE offered_at >= $1 AND state = 'passed') AS passed7,
      count(*) FILTER (WHERE offered_at >= $1 AND state = 'expired') AS expired7
    FROM offers WHERE offered_at >= $2 AND offered_at <= $3 GROUP BY rep_id`,
  // $1 since30, $2 now. Ties in the same order as SQLite's (by id, the rows' order).
  claimTimes: `SELECT rep_id AS "repId", offered_at AS "offeredAt", resolved_at - offered_at AS ms FROM offers
    WHERE state = 'claimed' AND resolved_at IS NOT NULL AND offered_at >= $1 AND offered_at <= $2 ORDER BY ms, id`,
} as const;

export function postgresReadModels(pool: PgPool): ReadModels {
  const query = <R extends object>(name: keyof typeof SQL, values: unknown[]) => pool.query<R>({ name: `readModels.${name}`, text: SQL[name], values });
  const scopeValues = (scope: BoardScope) => [scope.all, scope.teamIds];
  /** The total of a page: carried by its rows; an empty page means nothing in scope, unless the limit was 0 (then it is counted). */
  const totalOf = async (rows: { total: number }[], limit: number, count: 'queuedCount' | 'escalatedCount', scope: BoardScope) => {
    if (rows.length > 0) return (rows[0] as { total: number }).total;
    if (limit > 0) return 0;
    return ((await query<{ n: number }>(count, scopeValues(scope))).rows[0] as { n: number }).n;
  };

  return {
    async pendingOffersOfRep(repId) {
      return (await query<PendingOfferRow>('pendingOffersOfRep', [repId])).rows.map(pendingOfferItemOf);
    },

    async openLeadsOfRep(repId) {
      return (await query<OpenLeadRow>('openLeadsOfRep', [repId])).rows.map(openLeadItemOf);
    },

    async queuedLeads(scope, limit) {
      type Row = QueuedLeadRow & { total: number };
      const { rows } = await query<Row>('queued', [...scopeValues(scope), Math.max(0, limit)]);
      const items = rows.map(queuedLeadItemOf);
      return { items, total: await totalOf(rows, limit, 'queuedCount', scope) };
    },

    async escalatedLeads(scope, limit) {
      type Row = EscalatedLeadRow & { total: number };
      const { rows } = await query<Row>('escalated', [...scopeValues(scope), Math.max(0, limit)]);
      const items = rows.map(escalatedLeadItemOf);
      return { items, total: await totalOf(rows, limit, 'escalatedCount', scope) };
    },

    async pendingOfferCounts() {
      return new Map((await query<{ rep_id: string; n: number }>('pendingCounts', [])).rows.map((row) => [row.rep_id, row.n]));
    },

    async offerOutcomes(window) {
      return outcomesOf((await query<OutcomeRow>('offerCounts', [window.since7, window.since30, window.now])).rows);
    },

    async claimTimes(window) {
      return (await query<{ repId: string; offeredAt: number; ms: number }>('claimTimes', [window.since30, window.now])).rows;
    },
  };
}
