import type { EscalationInfo, HistoryEntry, IdempotencyRepository, LeadMatch, LeadRepository, LeadStatus, StoredLead, WaitingState } from '../../app/ports.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { changedRows, firstRow, jsonParam, lockForTransaction, rowsOf } from './pgQuery.ts';

// json columns come back parsed (node-postgres reads `json` with JSON.parse, which keeps the key order).
const LEAD_COLUMNS = `id, state, owner_id AS "ownerId", team_id AS "teamId", sequence_id AS "sequenceId", routed_by AS "routedBy", domain, version,
  payload AS lead, enrichment, received_at AS "receivedAt", updated_at AS "updatedAt", first_offered_at AS "firstOfferedAt", claimed_at AS "claimedAt",
  first_owned_at AS "firstOwnedAt", done_at AS "doneAt"`;
const MATCH_COLUMNS = `id, state, owner_id AS "ownerId"`;

/**
 * The leads table, its history and the keys leads are matched by (LeadRepository), on the
 * transaction's client. The same statements as sqliteLeadStore, in PostgreSQL's terms; what SQLite
 * gets from its one writer, `lockDedupeKeys` gets from advisory locks.
 */
export function postgresLeadStore(q: PgQueryable): LeadRepository {
  const openByKey = (column: 'email_key' | 'linkedin_key', key: string, since: number) =>
    firstRow<LeadMatch>(q, `SELECT ${MATCH_COLUMNS} FROM leads WHERE ${column} = $1 AND received_at >= $2 AND state <> 'done' ORDER BY id DESC LIMIT 1`, [key, since]);

  return {
    async insert(row) {
      const inserted = await firstRow<{ id: number }>(
        q,
        `INSERT INTO leads (external_id, source, email_key, linkedin_key, domain, payload, state, received_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $7) RETURNING id`,
        [row.externalId, row.lead.source, row.emailKey, row.linkedinKey, row.domain, jsonParam(row.lead), row.receivedAt],
      );
      return (inserted as { id: number }).id;
    },

    async get(id) {
      return firstRow<StoredLead>(q, `SELECT ${LEAD_COLUMNS} FROM leads WHERE id = $1`, [id]);
    },

    async getState(id) {
      return firstRow<LeadStatus>(q, `SELECT id, state, version, owner_id AS "ownerId", received_at AS "receivedAt" FROM leads WHERE id = $1`, [id]);
    },

    async setState(change) {
      const changed = await changedRows(
        q,
        `UPDATE leads SET state = $3::text, owner_id = $4, version = version + 1, updated_at = $5::bigint,
          claimed_at = CASE WHEN $3::text = 'claimed' THEN $5::bigint ELSE claimed_at END,
          first_owned_at = CASE WHEN $3::text = 'claimed' THEN coalesce(first_owned_at, $5::bigint) ELSE first_owned_at END,
          done_at = CASE WHEN $3::text = 'done' THEN $5::bigint ELSE done_at END
          WHERE id = $1 AND version = $2`,
        [change.id, change.version, change.state, change.ownerId, change.now],
      );
      return changed === 1;
    },

    async applyRouting(change) {
      const changed = await changedRows(
        q,
        `UPDATE leads SET state = $3::text, team_id = $4, sequence_id = $5, routed_by = $6, trace = coalesce($7::json, trace),
          version = version + 1, updated_at = $8::bigint,
          first_offered_at = CASE WHEN $3::text = 'offered' THEN coalesce(first_offered_at, $8::bigint) ELSE first_offered_at END
          WHERE id = $1 AND version = $2`,
        [change.id, change.version, change.state, change.teamId, change.sequenceId, change.routedBy, jsonParam(change.trace), change.now],
      );
      return changed === 1;
    },

    async recordEnrichment(change) {
      const changed = await changedRows(q, `UPDATE leads SET payload = $3, domain = $4, enrichment = $5 WHERE id = $1 AND version = $2 AND state = 'received'`, [
        change.id,
        change.version,
        jsonParam(change.lead),
        change.domain,
        jsonParam(change.trace),
      ]);
      return changed === 1;
    },

    async escalate(change) {
      const changed = await changedRows(
        q,
        `UPDATE leads SET state = 'escalated', version = version + 1, updated_at = $3, escalation_reason = $4, escalated_at = $3,
          escalation_pings = 1, escalation_next_ping_at = $5 WHERE id = $1 AND version = $2`,
        [change.id, change.version, change.now, change.reason, change.nextPingAt],
      );
      return changed === 1;
    },

    async markQueuedEscalated(id, now, nextPingAt) {
      await q.query(`UPDATE leads SET escalation_reason = 'queued', escalated_at = $2, escalation_pings = 1, escalation_next_ping_at = $3 WHERE id = $1`, [id, now, nextPingAt]);
    },

    async endEscalation(id) {
      await q.query('UPDATE leads SET escalation_next_ping_at = NULL WHERE id = $1', [id]);
    },

    async escalation(id) {
      return firstRow<EscalationInfo>(
        q,
        `SELECT escalation_reason AS reason, escalated_at AS "escalatedAt", escalation_pings AS pings, escalation_channel AS channel, escalation_ts AS ts
          FROM leads WHERE id = $1`,
        [id],
      );
    },

    async setEscalationMessage(id, channel, ts) {
      await q.query('UPDATE leads SET escalation_channel = $2, escalation_ts = $3 WHERE id = $1', [id, channel, ts]);
    },

    async escalationsDue(now, limit) {
      const rows = await rowsOf<{ id: number }>(
        q,
        `SELECT id FROM leads WHERE escalation_next_ping_at <= $1 AND state IN ('escalated', 'queued') ORDER BY escalation_next_ping_at, id LIMIT $2`,
        [now, limit],
      );
      return rows.map((row) => row.id);
    },

    async recordReping(id, nextPingAt) {
      await q.query('UPDATE leads SET escalation_pings = escalation_pings + 1, escalation_next_ping_at = $2 WHERE id = $1', [id, nextPingAt]);
    },

    async appendHistory(leadId, at, actor, event, detail) {
      await q.query('INSERT INTO lead_history (lead_id, at, actor, event, detail) VALUES ($1, $2, $3, $4, $5)', [leadId, at, actor, event, jsonParam(detail)]);
    },

    // In the order given: each lead's records keep their order (ids follow the ordinality).
    async appendHistoryMany(records) {
      if (records.length === 0) return;
      await q.query(
        `INSERT INTO lead_history (lead_id, at, actor, event, detail)
          SELECT lead_id, at, actor, event, detail FROM ROWS FROM (json_to_recordset($1::json) AS (lead_id bigint, at bigint, actor text, event text, detail json))
          WITH ORDINALITY AS r(lead_id, at, actor, event, detail, n) ORDER BY n`,
        [JSON.stringify(records.map((r) => ({ lead_id: r.leadId, at: r.at, actor: r.actor, event: r.event, detail: r.detail })))],
      );
    },

    async getMany(ids) {
      if (ids.length === 0) return [];
      const byId = new Map((await rowsOf<StoredLead>(q, `SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ANY($1::bigint[])`, [ids])).map((row) => [Number(row.id), row]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },

    async escalationReasonsOf(ids) {
      const reasons = new Map<number, 'max_offers' | 'queued'>();
      if (ids.length === 0) return reasons;
      for (const row of await rowsOf<{ id: number; reason: 'max_offers' | 'queued' }>(q, 'SELECT id, escalation_reason AS reason FROM leads WHERE id = ANY($1::bigint[]) AND escalation_reason IS NOT NULL', [ids])) {
        reasons.set(row.id, row.reason);
      }
      return reasons;
    },

    // json (not jsonb): each trace is stored as JSON.stringify wrote it, key order too.
    async applyRoutingMany(changes) {
      if (changes.length === 0) return new Set();
      const rows = await rowsOf<{ id: number }>(
        q,
        `UPDATE leads SET state = c.state, team_id = c.team_id, sequence_id = c.sequence_id, routed_by = c.routed_by, trace = coalesce(c.trace, leads.trace),
          version = leads.version + 1, updated_at = c.now,
          first_offered_at = CASE WHEN c.state = 'offered' THEN coalesce(leads.first_offered_at, c.now) ELSE leads.first_offered_at END
          FROM json_to_recordset($1::json) AS c(id bigint, version int, state text, team_id text, sequence_id text, routed_by text, trace json, now bigint)
          WHERE leads.id = c.id AND leads.version = c.version RETURNING leads.id`,
        [JSON.stringify(changes.map((c) => ({ id: c.id, version: c.version, state: c.state, team_id: c.teamId, sequence_id: c.sequenceId, routed_by: c.routedBy, trace: c.trace ?? null, now: c.now })))],
      );
      return new Set(rows.map((row) => Number(row.id)));
    },

    async history(leadId) {
      return rowsOf<HistoryEntry>(q, 'SELECT at, actor, event, detail FROM lead_history WHERE lead_id = $1 ORDER BY id', [leadId]);
    },

    async trace(leadId) {
      const row = await firstRow<{ trace: unknown }>(q, 'SELECT trace FROM leads WHERE id = $1', [leadId]);
      return row?.trace ?? null;
    },

    async findByExternalId(externalId) {
      return firstRow<LeadMatch>(q, `SELECT ${MATCH_COLUMNS} FROM leads WHERE external_id = $1`, [externalId]);
    },

    async findOpenByKeys(keys, since) {
      const byEmail = keys.emailKey ? await openByKey('email_key', keys.emailKey, since) : null;
      if (byEmail) return { ...byEmail, via: 'email' };
      const byLinkedIn = keys.linkedinKey ? await openByKey('linkedin_key', keys.linkedinKey, since) : null;
      return byLinkedIn ? { ...byLinkedIn, via: 'linkedin_url' } : null;
    },

    async findLatestByKey(key) {
      const [column, value] = 'emailKey' in key ? ['email_key', key.emailKey] : ['linkedin_key', key.linkedinKey];
      const row = await firstRow<{ id: number }>(q, `SELECT id FROM leads WHERE ${column} = $1 ORDER BY id DESC LIMIT 1`, [value]);
      return row?.id ?? null;
    },

    // Another instance accepting the same lead waits here until this transaction ends; it then reads
    // (READ COMMITTED: each statement sees what committed before it) the lead this one stored.
    async lockDedupeKeys(keys) {
      const names: string[] = [];
      if (keys.externalId !== null) names.push(`leadrelay.dedupe.external_id:${keys.externalId}`);
      if (keys.emailKey) names.push(`leadrelay.dedupe.email:${keys.emailKey}`);
      if (keys.linkedinKey) names.push(`leadrelay.dedupe.linkedin:${keys.linkedinKey}`);
      await lockForTransaction(q, names);
    },

    async idsInState(state, limit, afterId = 0) {
      const rows = await rowsOf<{ id: number }>(q, 'SELECT id FROM leads WHERE state = $1 AND id > $2 ORDER BY id LIMIT $3', [state, afterId, limit]);
      return rows.map((row) => row.id);
    },

    async countInState(state) {
      const row = await firstRow<{ n: number }>(q, 'SELECT count(*) AS n FROM leads WHERE state = $1', [state]);
      return row?.n ?? 0;
    },

    async countWaiting() {
      const counts: Record<WaitingState, number> = { received: 0, offered: 0, queued: 0, escalated: 0 };
      const rows = await rowsOf<{ state: WaitingState; n: number }>(q, `SELECT state, count(*) AS n FROM leads WHERE state IN ('received', 'offered', 'queued', 'escalated') GROUP BY state`);
      for (const row of rows) counts[row.state] = row.n;
      return counts;
    },
  };
}

/**
 * Idempotency-Key values of accepted requests (IdempotencyRepository). Two instances recording the
 * same key at once: the second insert fails with a unique violation, and the unit of work runs that
 * request again, which then finds the key (a replay).
 */
export function postgresIdempotencyStore(q: PgQueryable): IdempotencyRepository {
  return {
    async find(key, scope) {
      return firstRow<{ leadId: number; requestHash: string }>(q, 'SELECT lead_id AS "leadId", request_hash AS "requestHash" FROM idempotency_keys WHERE key = $1 AND scope = $2', [key, scope]);
    },
    async record(key, scope, requestHash, leadId, at) {
      await q.query('INSERT INTO idempotency_keys (key, scope, request_hash, lead_id, created_at) VALUES ($1, $2, $3, $4, $5)', [key, scope, requestHash, leadId, at]);
    },
  };
}
