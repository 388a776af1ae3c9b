import type { Db } from './openDatabase.ts';
import type { EnrichmentTrace } from '../../domain/enrichment.ts';
import type { Lead, LeadState } from '../../domain/lead.ts';

export interface NewLeadRow {
  lead: Lead;
  externalId: string | null;
  emailKey: string | null;
  linkedinKey: string | null;
  domain: string | null;
  receivedAt: number;
}

export interface LeadMatch {
  id: number;
  state: LeadState;
  owner_id: string | null;
}

export interface StoredLead {
  id: number;
  state: LeadState;
  owner_id: string | null;
  team_id: string | null;
  sequence_id: string | null;
  routed_by: string | null;
  domain: string | null;
  /** Fencing token: bumped by every state change; a change is made only against the version it read. */
  version: number;
  /** The lead as routed: as received, plus what enrichment filled in. */
  lead: Lead;
  /** What enrichment filled and from where; null when the lead was not enriched. */
  enrichment: EnrichmentTrace | null;
  received_at: number;
  updated_at: number;
  first_offered_at: number | null;
  /** When the current owner got the lead (reset by a reassignment). */
  claimed_at: number | null;
  /** When the lead first got an owner: kept through reassignments. */
  first_owned_at: number | null;
  done_at: number | null;
}

/** The states of a lead that has no owner yet and is not handed to a sequence. */
export type WaitingState = 'received' | 'offered' | 'queued' | 'escalated';

export interface RoutingTransition {
  id: number;
  /** The version the change was decided on. */
  version: number;
  state: 'offered' | 'queued' | 'in_sequence';
  teamId: string | null;
  sequenceId: string | null;
  routedBy: string | null;
  trace: unknown;
  now: number;
}

export interface HistoryEntry {
  at: number;
  actor: string;
  event: string;
  detail: Record<string, unknown> | null;
}

export interface EscalationInfo {
  escalation_reason: 'max_offers' | 'queued' | null;
  escalated_at: number | null;
  escalation_pings: number;
  escalation_channel: string | null;
  escalation_ts: string | null;
}

export interface IdempotencyRecord {
  lead_id: number;
  request_hash: string;
}

/** Repository of leads, their history and the keys they are matched by. Callers own the transaction. */
export function sqliteLeadStore(db: Db) {
  const statements = {
    insertLead: db.prepare(`INSERT INTO leads
      (external_id, source, email_key, linkedin_key, domain, payload, state, received_at, updated_at)
      VALUES (@externalId, @source, @emailKey, @linkedinKey, @domain, @payload, 'received', @receivedAt, @receivedAt)`),
    byExternalId: db.prepare('SELECT id, state, owner_id FROM leads WHERE external_id = ?'),
    openByEmail: db.prepare(`SELECT id, state, owner_id FROM leads
      WHERE email_key = ? AND received_at >= ? AND state != 'done' ORDER BY id DESC LIMIT 1`),
    openByLinkedIn: db.prepare(`SELECT id, state, owner_id FROM leads
      WHERE linkedin_key = ? AND received_at >= ? AND state != 'done' ORDER BY id DESC LIMIT 1`),
    latestByEmail: db.prepare('SELECT id FROM leads WHERE email_key = ? ORDER BY id DESC LIMIT 1'),
    latestByLinkedIn: db.prepare('SELECT id FROM leads WHERE linkedin_key = ? ORDER BY id DESC LIMIT 1'),
    idempotencyKey: db.prepare('SELECT lead_id, request_hash FROM idempotency_keys WHERE key = ? AND scope = ?'),
    insertIdempotencyKey: db.prepare(`INSERT INTO idempotency_keys (key, scope, request_hash, lead_id, created_at)
      VALUES (?, ?, ?, ?, ?)`),
    appendHistory: db.prepare('INSERT INTO lead_history (lead_id, at, actor, event, detail) VALUES (?, ?, ?, ?, ?)'),
    leadById: db.prepare(`SELECT id, state, owner_id, team_id, sequence_id, routed_by, domain, version, payload, enrichment,
      received_at, updated_at, first_offered_at, claimed_at, first_owned_at, done_at FROM leads WHERE id = ?`),
    trace: db.prepare('SELECT trace FROM leads WHERE id = ?'),
    recordEnrichment: db.prepare(`UPDATE leads SET payload = @payload, domain = @domain, enrichment = @enrichment
      WHERE id = @id AND version = @version AND state = 'received'`),
    stateById: db.prepare('SELECT id, state, version, owner_id, received_at FROM leads WHERE id = ?'),
    setState: db.prepare(`UPDATE leads SET state = @state, owner_id = @ownerId, version = version + 1, updated_at = @now,
      claimed_at = CASE WHEN @state = 'claimed' THEN @now ELSE claimed_at END,
      first_owned_at = CASE WHEN @state = 'claimed' THEN coalesce(first_owned_at, @now) ELSE first_owned_at END,
      done_at = CASE WHEN @state = 'done' THEN @now ELSE done_at END
      WHERE id = @id AND version = @version`),
    escalate: db.prepare(`UPDATE leads SET state = 'escalated', version = version + 1, updated_at = @now,
      escalation_reason = @reason, escalated_at = @now, escalation_pings = 1, escalation_next_ping_at = @nextPingAt
      WHERE id = @id AND version = @version`),
    markQueuedEscalated: db.prepare(`UPDATE leads SET escalation_reason = 'queued', escalated_at = @now, escalation_pings = 1,
      escalation_next_ping_at = @nextPingAt WHERE id = @id`),
    endEscalation: db.prepare('UPDATE leads SET escalation_next_ping_at = NULL WHERE id = ?'),
    escalationsDue: db.prepare(`SELECT id FROM leads WHERE escalation_next_ping_at <= ? AND state IN ('escalated', 'queued') ORDER BY escalation_next_ping_at LIMIT ?`),
    reping: db.prepare('UPDATE leads SET escalation_pings = escalation_pings + 1, escalation_next_ping_at = ? WHERE id = ?'),
    escalationInfo: db.prepare('SELECT escalation_reason, escalated_at, escalation_pings, escalation_channel, escalation_ts FROM leads WHERE id = ?'),
    setEscalationMessage: db.prepare('UPDATE leads SET escalation_channel = ?, escalation_ts = ? WHERE id = ?'),
    idsInState: db.prepare('SELECT id FROM leads WHERE state = ? AND id > ? ORDER BY id LIMIT ?'),
    countInState: db.prepare('SELECT count(*) AS n FROM leads WHERE state = ?'),
    countWaiting: db.prepare(`SELECT state, count(*) AS n FROM leads WHERE state IN ('received', 'offered', 'queued', 'escalated') GROUP BY state`),
    transition: db.prepare(`UPDATE leads SET state = @state, team_id = @teamId, sequence_id = @sequenceId,
      routed_by = @routedBy, trace = coalesce(@trace, trace), version = version + 1, updated_at = @now,
      first_offered_at = CASE WHEN @state = 'offered' THEN coalesce(first_offered_at, @now) ELSE first_offered_at END
      WHERE id = @id AND version = @version`),
    history: db.prepare('SELECT at, actor, event, detail FROM lead_history WHERE lead_id = ? ORDER BY id'),
  };

  return {
    insertLead(row: NewLeadRow): number {
      const result = statements.insertLead.run({
        externalId: row.externalId,
        source: row.lead.source,
        emailKey: row.emailKey,
        linkedinKey: row.linkedinKey,
        domain: row.domain,
        payload: JSON.stringify(row.lead),
        receivedAt: row.receivedAt,
      });
      return Number(result.lastInsertRowid);
    },

    findByExternalId(externalId: string): LeadMatch | undefined {
      return statements.byExternalId.get(externalId) as LeadMatch | undefined;
    },

    /** The newest lead that is not done, received since `since`, with the same e-mail or LinkedIn key. */
    findOpenByKeys(emailKey: string | null, linkedinKey: string | null, since: number): (LeadMatch & { via: 'email' | 'linkedin_url' }) | undefined {
      const byEmail = emailKey ? (statements.openByEmail.get(emailKey, since) as LeadMatch | undefined) : undefined;
      if (byEmail) return { ...byEmail, via: 'email' };
      const byLinkedIn = linkedinKey ? (statements.openByLinkedIn.get(linkedinKey, since) as LeadMatch | undefined) : undefined;
      return byLinkedIn ? { ...byLinkedIn, via: 'linkedin_url' } : undefined;
    },

    /** The newest lead (open or not) with this normalized e-mail or LinkedIn key: what a signal is about. */
    findLatestByKey(key: { emailKey: string } | { linkedinKey: string }): number | null {
      const row = 'emailKey' in key ? statements.latestByEmail.get(key.emailKey) : statements.latestByLinkedIn.get(key.linkedinKey);
      return (row as { id: number } | undefined)?.id ?? null;
    },

    findIdempotencyKey(key: string, scope: 'leads' | 'signals'): IdempotencyRecord | undefined {
      return statements.idempotencyKey.get(key, scope) as IdempotencyRecord | undefined;
    },

    recordIdempotencyKey(key: string, scope: 'leads' | 'signals', requestHash: string, leadId: number, at: number): void {
      statements.insertIdempotencyKey.run(key, scope, requestHash, leadId, at);
    },

    getLead(id: number): StoredLead | undefined {
      const row = statements.leadById.get(id) as (Omit<StoredLead, 'lead' | 'enrichment'> & { payload: string; enrichment: string | null }) | undefined;
      if (!row) return undefined;
      const { payload, enrichment, ...rest } = row;
      return { ...rest, lead: JSON.parse(payload) as Lead, enrichment: enrichment === null ? null : (JSON.parse(enrichment) as EnrichmentTrace) };
    },

    /**
     * Stores a `received` lead as enrichment left it (its company fields filled in, its domain) and
     * what enrichment did, compare-and-set on the version it was read at; false when it changed.
     * Not a state change: the version stays.
     */
    recordEnrichment(change: { id: number; version: number; lead: Lead; domain: string | null; trace: EnrichmentTrace }): boolean {
      return (
        statements.recordEnrichment.run({
          id: change.id,
          version: change.version,
          payload: JSON.stringify(change.lead),
          domain: change.domain,
          enrichment: JSON.stringify(change.trace),
        }).changes === 1
      );
    },

    /** Where a lead is (state, version, owner) and when it arrived, without reading its payload: what a command on it decides on. */
    getState(id: number): Pick<StoredLead, 'id' | 'state' | 'version' | 'owner_id' | 'received_at'> | undefined {
      return statements.stateById.get(id) as Pick<StoredLead, 'id' | 'state' | 'version' | 'owner_id' | 'received_at'> | undefined;
    },

    /** Compare-and-set on the version: moves the lead to `state` with `ownerId`; false when it changed meanwhile. */
    setState(change: { id: number; version: number; state: LeadState; ownerId: string | null; now: number }): boolean {
      return statements.setState.run(change).changes === 1;
    },

    /** Compare-and-set: the lead now waits for a manager; pinged again at `nextPingAt` until assigned. */
    escalate(change: { id: number; version: number; reason: 'max_offers'; now: number; nextPingAt: number }): boolean {
      return statements.escalate.run(change).changes === 1;
    },

    /** A queued lead is escalated too while it stays in state queued. */
    markQueuedEscalated(id: number, now: number, nextPingAt: number): void {
      statements.markQueuedEscalated.run({ id, now, nextPingAt });
    },

    /** Stops re-pinging: the lead has an owner or an offer again. */
    endEscalation(id: number): void {
      statements.endEscalation.run(id);
    },

    escalationsDue(now: number, limit: number): number[] {
      return (statements.escalationsDue.all(now, limit) as { id: number }[]).map((row) => row.id);
    },

    recordReping(id: number, nextPingAt: number): void {
      statements.reping.run(nextPingAt, id);
    },

    escalation(id: number): EscalationInfo | undefined {
      return statements.escalationInfo.get(id) as EscalationInfo | undefined;
    },

    setEscalationMessage(id: number, channel: string, ts: string): void {
      statements.setEscalationMessage.run(channel, ts, id);
    },

    /** The stored routing trace, as written by the last routing decision. */
    trace(id: number): unknown {
      const row = statements.trace.get(id) as { trace: string | null } | undefined;
      return row?.trace ? (JSON.parse(row.trace) as unknown) : null;
    },

    /** Ids of leads in a state, oldest first; with `afterId`, only those after that lead (to page through them). */
    idsInState(state: LeadState, limit = 1000, afterId = 0): number[] {
      return (statements.idsInState.all(state, afterId, limit) as { id: number }[]).map((row) => row.id);
    },

    countInState(state: LeadState): number {
      return (statements.countInState.get(state) as { n: number }).n;
    },

    /** Leads without an owner yet, by state (received, offered, queued, escalated): counted on the state index. */
    countWaiting(): Record<WaitingState, number> {
      const counts: Record<WaitingState, number> = { received: 0, offered: 0, queued: 0, escalated: 0 };
      for (const row of statements.countWaiting.all() as { state: WaitingState; n: number }[]) counts[row.state] = row.n;
      return counts;
    },

    /**
     * Moves a lead to the state a routing decision chose, compare-and-set on its version: false when
     * the lead changed since it was read (the decision is then void).
     */
    applyRouting(change: RoutingTransition): boolean {
      return (
        statements.transition.run({ ...change, trace: change.trace === undefined ? null : JSON.stringify(change.trace) }).changes === 1
      );
    },

    history(leadId: number): HistoryEntry[] {
      return (statements.history.all(leadId) as (Omit<HistoryEntry, 'detail'> & { detail: string | null })[]).map((row) => ({
        ...row,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
      }));
    },

    /** Appends to the lead's history; `detail` must not hold PII beyond what the history needs. */
    appendHistory(leadId: number, at: number, actor: string, event: string, detail?: Record<string, unknown>): void {
      statements.appendHistory.run(leadId, at, actor, event, detail === undefined ? null : JSON.stringify(detail));
    },
  };
}

export type SqliteLeadStore = ReturnType<typeof sqliteLeadStore>;
