import type { Db } from './openDatabase.ts';
import { exportedLeadOf, type ExportedLead, type ExportRow } from '../exportedLead.ts';

export type { ExportedLead, FirstOwnership } from '../exportedLead.ts';

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
      for (const row of statement.iterate(since) as IterableIterator<ExportRow>) yield exportedLeadOf(row);
    },
  };
}
