/**
 * The rows of a batch's set-based writes and reads, shared by the SQLite and PostgreSQL stores:
 * what a batch of offers changes in the routing state (the last value per team member, team and
 * rep wins, as one write after another would leave it), and the per-lead routing state assembled
 * from one read of account owners and one of the reps who missed each lead.
 */
import type { RoutingRepository } from '../app/ports.ts';
import type { RoundRobinUpdate } from '../domain/routing/index.ts';

export interface OffersMadeRows {
  passes: [teamId: string, repId: string, pass: number][];
  levels: [teamId: string, level: number][];
  lastOffers: [repId: string, at: number][];
}

/** What `recordOffersMade` writes: each key's last value, in the order of its first appearance. */
export function offersMadeRows(offers: readonly { repId: string; now: number; roundRobin?: RoundRobinUpdate | undefined }[]): OffersMadeRows {
  const passes = new Map<string, [string, string, number]>();
  const levels = new Map<string, number>();
  const lastOffers = new Map<string, number>();
  for (const { repId, now, roundRobin } of offers) {
    if (roundRobin) {
      passes.set(`${roundRobin.teamId}\u0000${roundRobin.repId}`, [roundRobin.teamId, roundRobin.repId, roundRobin.pass]);
      levels.set(roundRobin.teamId, roundRobin.level);
    }
    lastOffers.set(repId, now);
  }
  return { passes: [...passes.values()], levels: [...levels], lastOffers: [...lastOffers] };
}

type LeadStates = Awaited<ReturnType<RoutingRepository['loadLeadStates']>>;

/** Each lead's routing state from the owners of the batch's domains and the (lead, rep) pairs of its missed offers. */
export function leadStatesOf(leads: readonly { id: number; domain: string | null }[], owners: ReadonlyMap<string, string | null>, missed: readonly { lead_id: number; rep_id: string }[]): LeadStates {
  const excluded = new Map<number, Set<string>>();
  for (const row of missed) {
    const leadId = Number(row.lead_id);
    const reps = excluded.get(leadId) ?? new Set<string>();
    reps.add(row.rep_id);
    excluded.set(leadId, reps);
  }
  const states: LeadStates = new Map();
  for (const lead of leads) {
    const accountOwners = new Map<string, string | null>();
    if (lead.domain && owners.has(lead.domain)) accountOwners.set(lead.domain, owners.get(lead.domain) ?? null);
    states.set(lead.id, { accountOwners, excludedReps: excluded.get(lead.id) ?? new Set<string>() });
  }
  return states;
}

/** The distinct domains of a batch's leads. */
export const domainsOf = (leads: readonly { domain: string | null }[]): string[] => [...new Set(leads.flatMap((lead) => (lead.domain ? [lead.domain] : [])))];
