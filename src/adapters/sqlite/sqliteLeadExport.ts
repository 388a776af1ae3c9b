import type { Db } from './openDatabase.ts';
import type { LeadSource, LeadState } from '../../domain/lead.ts';

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

interface Row {
  id: number;
  external_id: string | null;
  source: LeadSource;
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
  owned_at: number | null;
  owned_event: string | null;
  owned_via_offer: number | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function firstOwnership(row: Row): ExportedLead['firstOwner'] {
  if (row.owned_at === null || row.owned_event === null) return null;
  // A manager's "Take it myself" is recorded as `claimed` without an offer.
  const how: FirstOwnership = row.owned_event === 'claimed' ? (row.owned_via_offer ? 'claimed' : 'taken') : (row.owned_event as FirstOwnership);
  return { at: row.owned_at, how };
}

/**
 * Leads received since a time, oldest first, with their offers and first ownership, for the CSV
 * export. Reads only (works on a read-only connection beside the running bot). The first owner
 * comes from the history, so a later reassignment does not move the time to claim.
 */
export function sqliteLeadExport(db: Db) {
  const statement = db.prepare(`SELECT l.id, l.external_id, l.source, l.domain, l.state, l.owner_id, l.team_id, l.sequence_id,
      l.routed_by, l.received_at, l.first_offered_at, l.done_at, l.escalation_reason,
      json_extract(l.payload, '$.company.name') AS company,
      json_extract(l.payload, '$.score') AS score,
      json_extract(l.payload, '$.crm_url') AS crm_url,
      (SELECT count(*) FROM offers o WHERE o.lead_id = l.id) AS offers,
      (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.state = 'passed') AS passed,
      (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.state = 'expired') AS expired,
      h.at AS owned_at, h.event AS owned_event, json_extract(h.detail, '$.offer') IS NOT NULL AS owned_via_offer
    FROM leads l
    LEFT JOIN lead_history h ON h.id = (
      SELECT id FROM lead_history WHERE lead_id = l.id AND event IN ('claimed', 'assigned', 'reassigned') ORDER BY id LIMIT 1)
    WHERE l.received_at >= ?
    ORDER BY l.received_at, l.id`);

  return {
    /** Leads received at or after `since` (epoch ms), read one at a time. */
    *since(since: number): Generator<ExportedLead> {
      for (const row of statement.iterate(since) as IterableIterator<Row>) {
        yield {
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
    },
  };
}
