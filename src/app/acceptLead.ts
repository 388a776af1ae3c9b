import type { Db } from '../adapters/sqlite/openDatabase.ts';
import { createGroupCommit } from '../adapters/sqlite/groupCommit.ts';
import type { DeferredWrites } from '../adapters/sqlite/deferredWrites.ts';
import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { Clock } from '../domain/clock.ts';
import { leadDomain, leadKeys, leadRef, normalizeEmail, type Lead } from '../domain/lead.ts';
import type { LeadRouter, RouteOutcome } from './routeLead.ts';

/** What intake needs from the config. */
export interface IntakeConfig {
  dedupe: { window: number };
  reps: readonly { id: string; email?: string | undefined }[];
  teams: readonly { id: string }[];
}

export interface AcceptLeadRequest {
  lead: Lead;
  /** The Idempotency-Key header, if any. */
  idempotencyKey?: string | undefined;
  /** sha256 of the raw body, to tell a replay from a different request reusing a key. */
  requestHash: string;
  /** What lenient intake changed in the body (recorded with the lead's `received` history). */
  warnings?: readonly { path: string; message: string }[];
  /** Where it came in when not POST /leads: `hooks/<source id>`. */
  via?: string;
}

/**
 * A new lead's routing, done in the transaction that stores it: one commit (one fsync) for both, and
 * the 202 still only once that commit is durable. A routing failure rolls back the routing alone; the
 * lead stays stored as `received` and is routed at the next start.
 */
export type RoutingAttempt = { ok: true; outcome: RouteOutcome } | { ok: false; error: unknown };

export type AcceptLeadResult =
  | { status: 'accepted'; leadId: number; ref: string; routing?: RoutingAttempt }
  | { status: 'duplicate'; leadId: number; ref: string; reason: 'idempotency_key' | 'external_id' | 'email' | 'linkedin_url' }
  | { status: 'rejected'; issues: { path: string; message: string }[] }
  | { status: 'conflict'; error: 'idempotency_key_reused'; ref: string };

/**
 * The intake use case (SPEC 2): decides in one transaction whether a lead is new, a replay or a
 * duplicate of an open lead, and stores it with its first history record. The promise resolves
 * only after the outcome is committed.
 */
export function createAcceptLead(deps: {
  db: Db;
  leads: SqliteLeadStore;
  clock: Clock;
  config: () => IntakeConfig;
  /** Called inside the transaction when a lead arrives again: the current card gets a note (SPEC 6). */
  onSeenAgain?: (leadId: number, source: Lead['source'], now: number) => void;
  /** Routes each new lead in the same transaction (see RoutingAttempt); without it, the caller routes. */
  router?: Pick<LeadRouter, 'routeAcceptedWithinTransaction' | 'inBatch'>;
  /** Writes waiting to ride along with a commit (delivered outbox rows): they join the intake's commits. */
  deferred?: DeferredWrites;
}) {
  const { db, leads, clock } = deps;

  const accept = (request: AcceptLeadRequest): AcceptLeadResult => {
    const now = clock.now();
    const config = deps.config();
    const { lead, idempotencyKey, requestHash } = request;

    if (idempotencyKey !== undefined) {
      const seen = leads.findIdempotencyKey(idempotencyKey, 'leads');
      if (seen) {
        return seen.request_hash === requestHash
          ? { status: 'duplicate', leadId: seen.lead_id, ref: leadRef(seen.lead_id), reason: 'idempotency_key' }
          : { status: 'conflict', error: 'idempotency_key_reused', ref: leadRef(seen.lead_id) };
      }
    }
    const remember = (leadId: number) => {
      if (idempotencyKey !== undefined) leads.recordIdempotencyKey(idempotencyKey, 'leads', requestHash, leadId, now);
    };

    const resolved = resolvePreRouting(lead, config);
    if ('issues' in resolved) return { status: 'rejected', issues: resolved.issues };

    if (lead.external_id !== undefined) {
      const same = leads.findByExternalId(lead.external_id);
      if (same) {
        remember(same.id);
        return { status: 'duplicate', leadId: same.id, ref: leadRef(same.id), reason: 'external_id' };
      }
    }

    const keys = leadKeys(lead);
    const open = leads.findOpenByKeys(keys.emailKey, keys.linkedinKey, now - config.dedupe.window);
    if (open) {
      leads.appendHistory(open.id, now, 'api', 'seen_again', { source: lead.source, matched_by: open.via, ...(request.via ? { via: request.via } : {}) });
      deps.onSeenAgain?.(open.id, lead.source, now);
      remember(open.id);
      return { status: 'duplicate', leadId: open.id, ref: leadRef(open.id), reason: open.via };
    }

    const domain = leadDomain(lead);
    const stored: Lead = { ...resolved.lead, company: { ...lead.company, ...(domain ? { domain } : {}) } };
    const leadId = leads.insertLead({
      lead: stored,
      externalId: lead.external_id ?? null,
      emailKey: keys.emailKey,
      linkedinKey: keys.linkedinKey,
      domain,
      receivedAt: now,
    });
    leads.appendHistory(leadId, now, 'api', 'received', {
      source: lead.source,
      ...(request.via ? { via: request.via } : {}),
      ...(stored.owner ? { owner: stored.owner } : {}),
      ...(stored.team ? { team: stored.team } : {}),
      ...(request.warnings?.length ? { warnings: request.warnings } : {}),
    });
    remember(leadId);
    if (!deps.router) return { status: 'accepted', leadId, ref: leadRef(leadId) };
    let routing: RoutingAttempt;
    try {
      routing = { ok: true, outcome: deps.router.routeAcceptedWithinTransaction(leadId) };
    } catch (error) {
      routing = { ok: false, error };
    }
    return { status: 'accepted', leadId, ref: leadRef(leadId), routing };
  };

  // Group commit: IMMEDIATE takes the write lock before reading, so another process cannot insert
  // the same lead between our duplicate check and our insert. Leads routed in one batch share the
  // routing state read for the batch.
  const router = deps.router;
  return createGroupCommit(db, accept, router ? (batch) => router.inBatch(batch) : undefined, deps.deferred);
}

/**
 * A pre-routed lead names its owner by Slack id or e-mail and/or its team; both must be known to the
 * config, and the owner is stored by Slack id.
 */
export function resolvePreRouting(lead: Lead, config: IntakeConfig): { lead: Lead } | { issues: { path: string; message: string }[] } {
  const issues: { path: string; message: string }[] = [];
  let owner = lead.owner;
  if (owner !== undefined) {
    const wanted = owner.includes('@') ? normalizeEmail(owner) : owner;
    const rep = config.reps.find((r) => r.id === wanted || (r.email !== undefined && normalizeEmail(r.email) === wanted));
    if (rep) owner = rep.id;
    else issues.push({ path: 'owner', message: `unknown rep "${lead.owner}" (expected a Slack user id or e-mail of a rep in the config)` });
  }
  if (lead.team !== undefined && !config.teams.some((t) => t.id === lead.team)) {
    issues.push({ path: 'team', message: `unknown team "${lead.team}"` });
  }
  if (issues.length > 0) return { issues };
  return { lead: owner === undefined ? lead : { ...lead, owner } };
}
