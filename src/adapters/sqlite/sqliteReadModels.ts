/**
 * The queries behind `/leads`, `/leads team`, `/leads stats` and the App Home (the ReadModels port;
 * src/app/readModels.ts composes the views). Read-only, prepared once.
 */
import type { BoardScope, EscalatedLeadItem, LeadListItem, OpenLeadItem, OutcomeCounts, PendingOfferItem, QueuedLeadItem, ReadModels } from '../../app/readModels.ts';
import { leadRef, type Lead } from '../../domain/lead.ts';
import type { Db } from './openDatabase.ts';

type LeadColumns = { lead_id: number; payload: string; domain: string | null };

function listItem(row: LeadColumns): LeadListItem {
  return { leadId: row.lead_id, ref: leadRef(row.lead_id), lead: JSON.parse(row.payload) as Lead, domain: row.domain };
}

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
      type Row = LeadColumns & { offer_id: number; offer_version: number; attempt: number; offered_at: number; deadline_at: number; why: string | null };
      return (statements.pendingOffersOfRep.all(repId) as Row[]).map(
        (row): PendingOfferItem => ({
          ...listItem(row),
          offerId: row.offer_id,
          offerVersion: row.offer_version,
          attempt: row.attempt,
          offeredAt: row.offered_at,
          deadlineAt: row.deadline_at,
          why: row.why,
        }),
      );
    },

    async openLeadsOfRep(repId) {
      type Row = LeadColumns & { version: number; claimed_at: number | null };
      return (statements.openLeadsOfRep.all(repId) as Row[]).map((row): OpenLeadItem => ({ ...listItem(row), leadVersion: row.version, claimedAt: row.claimed_at }));
    },

    async queuedLeads(scope, limit) {
      type Row = LeadColumns & { team_id: string | null; updated_at: number; escalated_at: number | null };
      const params = scopeParams(scope);
      const items = (statements.queued.all({ ...params, limit }) as Row[]).map(
        (row): QueuedLeadItem => ({ ...listItem(row), teamId: row.team_id, since: row.updated_at, escalated: row.escalated_at !== null }),
      );
      return { items, total: (statements.queuedCount.get(params) as { n: number }).n };
    },

    async escalatedLeads(scope, limit) {
      type Row = LeadColumns & { team_id: string | null; updated_at: number; escalated_at: number | null; escalation_reason: 'max_offers' | 'queued' | null; escalation_pings: number };
      const params = scopeParams(scope);
      const items = (statements.escalated.all({ ...params, limit }) as Row[]).map(
        (row): EscalatedLeadItem => ({
          ...listItem(row),
          teamId: row.team_id,
          since: row.escalated_at ?? row.updated_at,
          reason: row.escalation_reason,
          pings: row.escalation_pings,
        }),
      );
      return { items, total: (statements.escalatedCount.get(params) as { n: number }).n };
    },

    async pendingOfferCounts() {
      return new Map((statements.pendingCounts.all() as { rep_id: string; n: number }[]).map((row) => [row.rep_id, row.n]));
    },

    async offerOutcomes(window) {
      type Row = Record<'offered7' | 'claimed7' | 'passed7' | 'expired7' | 'offered30' | 'claimed30' | 'passed30' | 'expired30', number> & { rep_id: string };
      const counts = new Map<string, { last7d: OutcomeCounts; last30d: OutcomeCounts }>();
      for (const row of statements.offerCounts.all(window) as Row[]) {
        counts.set(row.rep_id, {
          last7d: { offered: row.offered7, claimed: row.claimed7, passed: row.passed7, expired: row.expired7 },
          last30d: { offered: row.offered30, claimed: row.claimed30, passed: row.passed30, expired: row.expired30 },
        });
      }
      return counts;
    },

    async claimTimes(window) {
      return statements.claimTimes.all(window) as { repId: string; offeredAt: number; ms: number }[];
    },
  };
}
