import type { Clock } from '../domain/clock.ts';
import { leadDomain, leadKeys, leadRef, normalizeEmail, type Lead } from '../domain/lead.ts';
import type { EventBus } from './events.ts';
import type { LeadEvent } from './leadEvents.ts';
import type { Tx, UnitOfWork } from './ports.ts';
import type { LeadRouter } from './routeLead.ts';

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
  /** sha256 of the raw body, to tell a replay from a different request reusing a key (with no key: unused, '' will do). */
  requestHash: string;
  /** What lenient intake changed in the body (recorded with the lead's `received` history). */
  warnings?: readonly { path: string; message: string }[];
  /** Where it came in when not POST /leads: `hooks/<source id>`. */
  via?: string;
}

export type AcceptLeadResult =
  | { status: 'accepted'; leadId: number; ref: string }
  | { status: 'duplicate'; leadId: number; ref: string; reason: 'idempotency_key' | 'external_id' | 'email' | 'linkedin_url' }
  | { status: 'rejected'; issues: { path: string; message: string }[] }
  | { status: 'conflict'; error: 'idempotency_key_reused'; ref: string };

export interface AcceptLeadDeps {
  uow: UnitOfWork;
  clock: Clock;
  config: () => IntakeConfig;
  /** Inside the transaction, when a lead arrives again: its current card gets a note in its thread ("seen again via LinkedIn"). */
  onSeenAgain?: (tx: Tx, leadId: number, source: Lead['source'], now: number) => Promise<void>;
  /** Routes new leads: with the intake when routing is idle, else after their commit (in batches of arrivals); absent: they stay `received` for the caller to route. */
  router?: Pick<LeadRouter, 'routeOnArrival' | 'routeInBackground'>;
  /** Told after commit: `lead.received` / `lead.duplicate` (before the routing's own events). */
  events?: EventBus;
}

type DuplicateReason = Extract<AcceptLeadResult, { status: 'duplicate' }>['reason'];

/** A lead event told once the transaction committed. */
function tell(deps: AcceptLeadDeps, tx: Tx, event: LeadEvent): void {
  const events = deps.events;
  if (events) tx.afterCommit(() => events.publish({ type: 'leadChanged', event }));
}

/** A duplicate, answered and told; a request with an Idempotency-Key remembers the lead it named. */
async function duplicate(deps: AcceptLeadDeps, tx: Tx, request: AcceptLeadRequest, now: number, leadId: number, reason: DuplicateReason): Promise<AcceptLeadResult> {
  if (request.idempotencyKey !== undefined && reason !== 'idempotency_key') await tx.idempotency.record(request.idempotencyKey, 'leads', request.requestHash, leadId, now);
  tell(deps, tx, { event: 'lead.duplicate', leadId, at: now, by: 'api', source: request.lead.source, reason });
  return { status: 'duplicate', leadId, ref: leadRef(leadId), reason };
}

/** A replay of a request with the same Idempotency-Key (a duplicate), or of the key with another body (a conflict); null otherwise. */
async function findReplay(deps: AcceptLeadDeps, tx: Tx, request: AcceptLeadRequest, now: number): Promise<AcceptLeadResult | null> {
  const seen = request.idempotencyKey === undefined ? null : await tx.idempotency.find(request.idempotencyKey, 'leads');
  if (!seen) return null;
  return seen.requestHash === request.requestHash ? duplicate(deps, tx, request, now, seen.leadId, 'idempotency_key') : { status: 'conflict', error: 'idempotency_key_reused', ref: leadRef(seen.leadId) };
}

/** The lead arrived before: its external id, or an open lead with the same e-mail or LinkedIn URL (noted on it); null when it is new. */
async function findKnown(deps: AcceptLeadDeps, tx: Tx, request: AcceptLeadRequest, now: number): Promise<AcceptLeadResult | null> {
  const { lead } = request;
  const keys = leadKeys(lead);
  await tx.leads.lockDedupeKeys({ ...keys, externalId: lead.external_id ?? null });
  const same = lead.external_id === undefined ? null : await tx.leads.findByExternalId(lead.external_id);
  if (same) return duplicate(deps, tx, request, now, same.id, 'external_id');
  const open = await tx.leads.findOpenByKeys(keys, now - deps.config().dedupe.window);
  if (!open) return null;
  await tx.leads.appendHistory(open.id, now, 'api', 'seen_again', { source: lead.source, matched_by: open.via, ...(request.via ? { via: request.via } : {}) });
  await deps.onSeenAgain?.(tx, open.id, lead.source, now);
  return duplicate(deps, tx, request, now, open.id, open.via);
}

/** Stores a new lead with its `received` history record; its id. */
async function storeNew(deps: AcceptLeadDeps, tx: Tx, request: AcceptLeadRequest, resolved: Lead, now: number): Promise<number> {
  const { lead } = request;
  const keys = leadKeys(lead);
  const domain = leadDomain(lead);
  const stored: Lead = { ...resolved, company: { ...lead.company, ...(domain ? { domain } : {}) } };
  const leadId = await tx.leads.insert({ lead: stored, externalId: lead.external_id ?? null, emailKey: keys.emailKey, linkedinKey: keys.linkedinKey, domain, receivedAt: now });
  await tx.leads.appendHistory(leadId, now, 'api', 'received', {
    source: lead.source,
    ...(request.via ? { via: request.via } : {}),
    ...(stored.owner ? { owner: stored.owner } : {}),
    ...(stored.team ? { team: stored.team } : {}),
    ...(request.warnings?.length ? { warnings: request.warnings } : {}),
  });
  if (request.idempotencyKey !== undefined) await tx.idempotency.record(request.idempotencyKey, 'leads', request.requestHash, leadId, now);
  tell(deps, tx, { event: 'lead.received', leadId, at: now, receivedAt: now, by: 'api', source: lead.source });
  return leadId;
}

/**
 * The intake use case: decides in one transaction whether a lead is new, a replay or a duplicate of
 * an open lead, and stores it with its first history record. The promise resolves once that is
 * committed (durable: the 202 means stored). A new lead that arrives while routing is idle is
 * routed in that same transaction (one commit for the lead, its offer and its card's outbox row);
 * otherwise it is routed after the answer, with the other arrivals of the moment in one batch
 * (src/app/routeArrivals.ts), so that a burst's answers wait only for the group commit of their
 * inserts. A crash before the routing loses nothing: the lead is stored `received`, and those are
 * routed at the next start.
 */
export function createAcceptLead(deps: AcceptLeadDeps) {
  const accept = async (tx: Tx, request: AcceptLeadRequest): Promise<AcceptLeadResult> => {
    const now = deps.clock.now();
    const replay = await findReplay(deps, tx, request, now);
    if (replay) return replay;
    const resolved = resolvePreRouting(request.lead, deps.config());
    if ('issues' in resolved) return { status: 'rejected', issues: resolved.issues };
    const known = await findKnown(deps, tx, request, now);
    if (known) return known;
    const leadId = await storeNew(deps, tx, request, resolved.lead, now);
    const router = deps.router;
    if (router && !(await router.routeOnArrival(tx, leadId))) tx.afterCommit(() => router.routeInBackground(leadId));
    return { status: 'accepted', leadId, ref: leadRef(leadId) };
  };
  return (request: AcceptLeadRequest): Promise<AcceptLeadResult> => deps.uow.run((tx) => accept(tx, request));
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
