import { exportedLeadOf, type ExportedLead, type ExportRow } from '../exportedLead.ts';
import type { PgPool } from './connectPostgres.ts';

/** Leads read per round-trip. */
const PAGE = 1000;

/**
 * The export query of sqlite/sqliteLeadExport.ts in PostgreSQL's terms: the same columns, read
 * page by page (received_at, id after the last one read; leads_received_at indexes exactly that)
 * inside one REPEATABLE READ, READ ONLY transaction, so that the whole CSV is one moment of the
 * database while the instances keep writing. The page of leads is picked first, so the per-lead
 * counts and history look-ups are made for that page only.
 */
const QUERY = `WITH page AS (
    SELECT * FROM leads WHERE received_at >= $1 AND (received_at, id) > ($2, $3) ORDER BY received_at, id LIMIT ${PAGE})
  SELECT l.id, l.external_id, l.source, l.domain, l.state, l.owner_id, l.team_id, l.sequence_id,
    l.routed_by, l.received_at, l.first_offered_at, l.done_at, l.escalation_reason,
    l.payload -> 'company' -> 'name' AS company,
    l.payload -> 'score' AS score,
    l.payload -> 'crm_url' AS crm_url,
    (SELECT count(*) FROM offers o WHERE o.lead_id = l.id) AS offers,
    (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.state = 'passed') AS passed,
    (SELECT count(*) FROM offers o WHERE o.lead_id = l.id AND o.state = 'expired') AS expired,
    h.at AS owned_at, h.event AS owned_event,
    -- json_extract's "IS NOT NULL" on SQLite: a JSON null is no offer either.
    coalesce(json_typeof(h.detail -> 'offer'), 'null') <> 'null' AS owned_via_offer
  FROM page l
  LEFT JOIN LATERAL (
    SELECT at, event, detail FROM lead_history WHERE lead_id = l.id AND event IN ('claimed', 'assigned', 'reassigned') ORDER BY id LIMIT 1) h ON true
  ORDER BY l.received_at, l.id`;

/** Leads received since a time, oldest first, as `leadrelay export` writes them; reads only. */
export function postgresLeadExport(pool: PgPool) {
  return {
    /** Leads received at or after `since` (epoch ms), one consistent snapshot, read a page at a time. */
    async *since(since: number): AsyncGenerator<ExportedLead> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        let after = { at: since, id: 0 };
        for (;;) {
          const { rows } = await client.query<ExportRow>(QUERY, [since, after.at, after.id]);
          for (const row of rows) yield exportedLeadOf(row);
          const last = rows[rows.length - 1];
          if (rows.length < PAGE || last === undefined) break;
          after = { at: last.received_at, id: last.id };
        }
        await client.query('COMMIT');
      } finally {
        // A consumer that stops early leaves the transaction open: the connection is dropped, not reused.
        client.release(true);
      }
    },
  };
}
