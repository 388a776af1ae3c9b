import type { Clock } from '../domain/clock.ts';
import { leadDomain, leadKeys, leadRef, normalizeEmail, type Lead } from '../domain/lead.ts';
import type { EventBus } from './events.ts';
import type { LeadEvent } from './leadEvents.ts';
import type { Logger } from './logger.ts';
import type { Tx, UnitOfWork } from './ports.ts';
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
 * The intake use case: decides in one transaction whether a lead is new, a replay or a duplicate of
 * an open lead, and stores it with its first history record; a new lead is routed in the same
 * transaction (one commit, one fsync, and the 202 still only once it is durable) unless enrichment
 * must come first (network I/O, never inside a transaction): then it is enriched and routed in the
 * background after the answer. The promise resolves only after the outcome is committed.
 */
export function createAcceptLead(deps: {
  uow: UnitOfWork;
  clock: Clock;
  config: () => IntakeConfig;
  /** Inside the transaction, when a lead arrives again: its current card gets a note in its thread ("seen again via LinkedIn"). */
  onSeenAgain?: (tx: Tx, leadId: number, source: Lead['source'], now: number) => Promise<void>;
  /** Routes new leads; absent: they stay `received` for the caller to route. */
  router?: Pick<LeadRouter, 'route' | 'routeInBackground'>;
  /** Route in the accepting transaction (true unless enrichment is configured). */
  routeInTransaction?: boolean;
  /** Told after commit: `lead.received` / `lead.duplicate` (before the routing's own events). */
  events?: EventBus;
  logger?: Logger;
}) {
  const { uow, clock, router } = deps;
  const routeNow = deps.routeInTransaction ?? true;
  const tell = (tx: Tx, event: LeadEvent) => {
    const events = deps.events;
    if (events) tx.afterCommit(() => events.publish({ type: 'leadChanged', event }));
  };
  const duplicate = (tx: Tx, request: AcceptLeadRequest, now: number, leadId: number, reason: Extract<AcceptLeadResult, { status: 'duplicate' }>['reason']): AcceptLeadResult => {
    tell(tx, { event: 'lead.duplicate', leadId, at: now, by: 'api', source: request.lead.source, reason });
    return { status: 'duplicate', leadId, ref: leadRef(leadId), reason };
  };

  const accept = async (tx: Tx, request: AcceptLeadRequest): Promise<AcceptLeadResult> => {
    const now = clock.now();
    const config = deps.config();
    const { lead, idempotencyKey, requestHash } = request;

    if (idempotencyKey !== undefined) {
      const seen = await tx.idempotency.find(idempotencyKey, 'leads');
      if (seen) {
        return seen.requestHash === requestHash
          ? duplicate(tx, request, now, seen.leadId, 'idempotency_key')
          : { status: 'conflict', error: 'idempotency_key_reused', ref: leadRef(seen.leadId) };
      }
    }
    const remember = async (leadId: number) => {
      if (idempotencyKey !== undefined) await tx.idempotency.record(idempotencyKey, 'leads', requestHash, leadId, now);
    };

    const resolved = resolvePreRouting(lead, config);
    if ('issues' in resolved) return { status: 'rejected', issues: resolved.issues };

    const keys = leadKeys(lead);
    await tx.leads.lockDedupeKeys({ ...keys, externalId: lead.external_id ?? null });
    if (lead.external_id !== undefined) {
      const same = await tx.leads.findByExternalId(lead.external_id);
      if (same) {
        await remember(same.id);
        return duplicate(tx, request, now, same.id, 'external_id');
      }
    }

    const open = await tx.leads.findOpenByKeys(keys, now - config.dedupe.window);
    if (open) {
      await tx.leads.appendHistory(open.id, now, 'api', 'seen_again', { source: lead.source, matched_by: open.via, ...(request.via ? { via: request.via } : {}) });
      await deps.onSeenAgain?.(tx, open.id, lead.source, now);
      await remember(open.id);
      return duplicate(tx, request, now, open.id, open.via);
    }

    const domain = leadDomain(lead);
    const stored: Lead = { ...resolved.lead, company: { ...lead.company, ...(domain ? { domain } : {}) } };
    const leadId = await tx.leads.insert({ lead: stored, externalId: lead.external_id ?? null, emailKey: keys.emailKey, linkedinKey: keys.linkedinKey, domain, receivedAt: now });
    await tx.leads.appendHistory(leadId, now, 'api', 'received', {
      source: lead.source,
      ...(request.via ? { via: request.via } : {}),
      ...(stored.owner ? { owner: stored.owner } : {}),
      ...(stored.team ? { team: stored.team } : {}),
      ...(request.warnings?.length ? { warnings: request.warnings } : {}),
    });
    await remember(leadId);
    tell(tx, { event: 'lead.received', leadId, at: now, receivedAt: now, by: 'api', source: lead.source });
    if (!router) return { status: 'accepted', leadId, ref: leadRef(leadId) };
    if (!routeNow) {
      tx.afterCommit(() => router.routeInBackground(leadId));
      return { status: 'accepted', leadId, ref: leadRef(leadId) };
    }
    // In its own savepoint: if routing throws, only the routing is rolled back, and the lead is routed again after the answer.
    let routing: RoutingAttempt;
    try {
      routing = { ok: true, outcome: await tx.savepoint((inner) => router.route(inner, leadId)) };
    } catch (error) {
      routing = { ok: false, error };
      tx.afterCommit(() => {
        deps.logger?.error({ err: error, lead: leadRef(leadId) }, 'routing in the accepting commit failed; routing the lead again');
        router.routeInBackground(leadId);
      });
    }
    return { status: 'accepted', leadId, ref: leadRef(leadId), routing };
  };

  return (request: AcceptLeadRequest): Promise<AcceptLeadResult> => uow.run((tx) => accept(tx, request));
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
