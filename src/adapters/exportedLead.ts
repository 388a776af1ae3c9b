/**
 * One lead as `leadrelay export` writes it, and how a row of either store's export query becomes
 * one: sqlite/sqliteLeadExport.ts and postgres/postgresLeadExport.ts select the same columns.
 */
import type { LeadSource, LeadState } from '../domain/lead.ts';

/** How a lead got its first owner, from its history. */
export type FirstOwnership = 'claimed' | 'taken' | 'assigned' | 'reassigned';

/** One lead as `leadrelay export` writes it: no contact data (e-mail, phone, name, message). */
export interface ExportedLead {
  id: number;
  externalId: string | null;
  source: LeadSource;
  company: string | null;
  domain: string | null;
  score: number | null;
  crmUrl: string | null;
  state: LeadState;
  ownerId: string | null;
  teamId: string | null;
  sequenceId: string | null;
  /** The rule that routed it: a rule name, `fallback`, `pre-routed`, `signal: …`. */
  routedBy: string | null;
  receivedAt: number;
  firstOfferedAt: number | null;
  /** When the lead first got an owner, and how; null while it has none. */
  firstOwner: { at: number; how: FirstOwnership } | null;
  doneAt: number | null;
  offers: number;
  passed: number;
  expired: number;
  escalation: 'max_offers' | 'queued' | null;
}

/** The columns of the export query, as both stores name them. */
export interface ExportRow {
  id: number;
  external_id: string | null;
  source: LeadSource;
  /** The payload's company.name, score and crm_url: whatever JSON value is there. */
  company: unknown;
  domain: string | null;
  score: unknown;
  crm_url: unknown;
  state: LeadState;
  owner_id: string | null;
  team_id: string | null;
  sequence_id: string | null;
  routed_by: string | null;
  received_at: number;
  first_offered_at: number | null;
  done_at: number | null;
  escalation_reason: 'max_offers' | 'queued' | null;
  offers: number;
  passed: number;
  expired: number;
  /** The lead's first claimed/assigned/reassigned history entry, if any, and whether it names an offer. */
  owned_at: number | null;
  owned_event: string | null;
  owned_via_offer: number | boolean | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function firstOwnership(row: ExportRow): ExportedLead['firstOwner'] {
  if (row.owned_at === null || row.owned_event === null) return null;
  // A manager's "Take it myself" is recorded as `claimed` without an offer.
  const how: FirstOwnership = row.owned_event === 'claimed' ? (row.owned_via_offer ? 'claimed' : 'taken') : (row.owned_event as FirstOwnership);
  return { at: row.owned_at, how };
}

/** A row of the export query as the lead the CSV shows. */
export function exportedLeadOf(row: ExportRow): ExportedLead {
  return {
    id: row.id,
    externalId: row.external_id,
    source: row.source,
    company: text(row.company),
    domain: row.domain,
    score: typeof row.score === 'number' ? row.score : null,
    crmUrl: text(row.crm_url),
    state: row.state,
    ownerId: row.owner_id,
    teamId: row.team_id,
    sequenceId: row.sequence_id,
    routedBy: row.routed_by,
    receivedAt: row.received_at,
    firstOfferedAt: row.first_offered_at,
    firstOwner: firstOwnership(row),
    doneAt: row.done_at,
    offers: row.offers,
    passed: row.passed,
    expired: row.expired,
    escalation: row.escalation_reason,
  };
}
