/**
 * The queries behind `/leads`, `/leads team`, `/leads stats` and the App Home (the ReadModels port;
 * src/app/readModels.ts composes the views). Read-only, prepared once.
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
import type { Db } from './openDatabase.ts';

export function sqliteReadModels(db: Db): ReadModels {
  const statements = {
    pendingOffersOfRep: db.prepare(`SELECT o.id AS offer_id, o.version AS offer_version, o.attempt, o.offered_at, o.deadline_at, o.why,
        l.id AS lead_id, l.payload, l.domain
      FROM offers o JOIN leads l ON l.id = o.lead_id
      WHERE o.rep_id = ? AND o.state = 'pending' ORDER BY o.deadline_at, o.id`),
    openLeadsOfRep: db.prepare(`SELECT id AS lead_id, payload, domain, version, claimed_at FROM leads
      WHERE owner_id = ? AND state = 'claimed' ORDER BY claimed_at, id`),
    pendingCounts: db.prepare(`SELECT rep_id, count(*) AS n FROM offers WHERE state = 'pending' GROUP BY rep_id`),
    // @all = 1: every lead; else leads of the teams in the JSON array @teams, and leads with no team.
    queued: db.prepare(`SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at FROM leads
      WHERE state = 'queued' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))
      ORDER BY updated_at, id LIMIT @limit`),
    queuedCount: db.prepare(`SELECT count(*) AS n FROM leads
      WHERE state = 'queued' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))`),
    escalated: db.prepare(`SELECT id AS lead_id, payload, domain, team_id, updated_at, escalated_at, escalation_reason, escalation_pings FROM leads
      WHERE state = 'escalated' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))
      ORDER BY coalesce(escalated_at, updated_at), id LIMIT @limit`),
    escalatedCount: db.prepare(`SELECT count(*) AS n FROM leads
      WHERE state = 'escalated' AND (@all = 1 OR team_id IS NULL OR team_id IN (SELECT value FROM json_each(@teams)))`),
    // Offers made in the last 30 days (and, by the conditional sums, the last 7), by rep.
    offerCounts: db.prepare(`SELECT rep_id,
        count(*) AS offered30, sum(state = 'claimed') AS claimed30, sum(state = 'passed') AS passed30, sum(state = 'expired') AS expired30,
        sum(offered_at >= @since7) AS offered7, sum(offered_at >= @since7 AND state = 'claimed') AS claimed7,
        sum(offered_at >= @since7 AND state = 'passed') AS passed7, sum(offered_at >= @since7 AND state = 'expired') AS expired7
      FROM offers WHERE offered_at >= @since30 AND offered_at <= @now GROUP BY rep_id`),
    claimTimes: db.prepare(`SELECT rep_id AS repId, offered_at AS offeredAt, resolved_at - offered_at AS ms FROM offers
      WHERE state = 'claimed' AND resolved_at IS NOT NULL AND offered_at >= @since30 AND offered_at <= @now ORDER BY ms`),
  };
  const scopeParams = (scope: BoardScope) => ({ all: scope.all ? 1 : 0, teams: JSON.stringify(scope.teamIds) });

  return {
    async pendingOffersOfRep(repId) {
      return (statements.pendingOffersOfRep.all(repId) as PendingOfferRow[]).map(pendingOfferItemOf);
    },

    async openLeadsOfRep(repId) {
      return (statements.openLeadsOfRep.all(repId) as OpenLeadRow[]).map(openLeadItemOf);
    },

    async queuedLeads(scope, limit) {
      const params = scopeParams(scope);
      const items = (statements.queued.all({ ...params, limit }) as QueuedLeadRow[]).map(queuedLeadItemOf);
      return { items, total: (statements.queuedCount.get(params) as { n: number }).n };
    },

    async escalatedLeads(scope, limit) {
      const params = scopeParams(scope);
      const items = (statements.escalated.all({ ...params, limit }) as EscalatedLeadRow[]).map(escalatedLeadItemOf);
      return { items, total: (statements.escalatedCount.get(params) as { n: number }).n };
    },

    async pendingOfferCounts() {
      return new Map((statements.pendingCounts.all() as { rep_id: string; n: number }[]).map((row) => [row.rep_id, row.n]));
    },

    async offerOutcomes(window) {
      return outcomesOf(statements.offerCounts.all(window) as OutcomeRow[]);
    },

    async claimTimes(window) {
      return statements.claimTimes.all(window) as { repId: string; offeredAt: number; ms: number }[];
    },
  };
}
