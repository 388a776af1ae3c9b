/**
 * What both SQL stores' read models do with the rows their queries return (SQLite's and
 * PostgreSQL's statements differ, the rows do not): each row as the item src/app/readModels.ts
 * shows. The lead's payload comes as JSON text from SQLite and parsed from PostgreSQL.
 */
import type { EscalatedLeadItem, LeadListItem, OpenLeadItem, OutcomeCounts, PendingOfferItem, QueuedLeadItem } from '../app/readModels.ts';
import { leadRef, type Lead } from '../domain/lead.ts';

export type LeadColumns = { lead_id: number; payload: Lead | string; domain: string | null };
export type PendingOfferRow = LeadColumns & { offer_id: number; offer_version: number; attempt: number; offered_at: number; deadline_at: number; why: string | null };
export type OpenLeadRow = LeadColumns & { version: number; claimed_at: number | null };
export type QueuedLeadRow = LeadColumns & { team_id: string | null; updated_at: number; escalated_at: number | null };
export type EscalatedLeadRow = QueuedLeadRow & { escalation_reason: 'max_offers' | 'queued' | null; escalation_pings: number };
export type OutcomeRow = Record<'offered7' | 'claimed7' | 'passed7' | 'expired7' | 'offered30' | 'claimed30' | 'passed30' | 'expired30', number> & { rep_id: string };

function listItem(row: LeadColumns): LeadListItem {
  const lead = typeof row.payload === 'string' ? (JSON.parse(row.payload) as Lead) : row.payload;
  return { leadId: row.lead_id, ref: leadRef(row.lead_id), lead, domain: row.domain };
}

export function pendingOfferItemOf(row: PendingOfferRow): PendingOfferItem {
  return {
    ...listItem(row),
    offerId: row.offer_id,
    offerVersion: row.offer_version,
    attempt: row.attempt,
    offeredAt: row.offered_at,
    deadlineAt: row.deadline_at,
    why: row.why,
  };
}

export function openLeadItemOf(row: OpenLeadRow): OpenLeadItem {
  return { ...listItem(row), leadVersion: row.version, claimedAt: row.claimed_at };
}

export function queuedLeadItemOf(row: QueuedLeadRow): QueuedLeadItem {
  return { ...listItem(row), teamId: row.team_id, since: row.updated_at, escalated: row.escalated_at !== null };
}

export function escalatedLeadItemOf(row: EscalatedLeadRow): EscalatedLeadItem {
  return { ...listItem(row), teamId: row.team_id, since: row.escalated_at ?? row.updated_at, reason: row.escalation_reason, pings: row.escalation_pings };
}

/** Each rep's offer outcomes over the last 7 and 30 days. */
export function outcomesOf(rows: readonly OutcomeRow[]): Map<string, { last7d: OutcomeCounts; last30d: OutcomeCounts }> {
  const counts = new Map<string, { last7d: OutcomeCounts; last30d: OutcomeCounts }>();
  for (const row of rows) {
    counts.set(row.rep_id, {
      last7d: { offered: row.offered7, claimed: row.claimed7, passed: row.passed7, expired: row.expired7 },
      last30d: { offered: row.offered30, claimed: row.claimed30, passed: row.passed30, expired: row.expired30 },
    });
  }
  return counts;
}
