/**
 * Routing inside a transaction: `route(context, tx, leadId, options)` loads what the decision needs,
 * decides (pure core: src/domain/routing), and writes the decision's plan (planRoute.ts) — the
 * lead's state and trace, the history, the offer and its card, a sequence's effects, a queued lead's
 * escalation — through the caller's transaction. The one entry point for every occasion (an
 * arrival, a pass or an expiry, a signal rule, the holding queue): see routeLead.ts.
 */
import type { Clock } from '../domain/clock.ts';
import type { Enrichment } from '../domain/enrichment.ts';
import { compileRouting, planRoute, storedTrace, type CompiledRouting, type RoundRobinUpdate, type RoutePlan, type RoutingDecision } from '../domain/routing/index.ts';
import type { Settings, SignalRule } from '../domain/settings.ts';
import { enqueueEscalationMessage } from './escalationMessage.ts';
import { enrichmentHistoryDetail } from './enrichLead.ts';
import type { LeadEvent } from './leadEvents.ts';
import type { HistoryRecordOf, NewOffer, StoredLead, Tx } from './ports.ts';
import { createRoutingState, type RoutingState } from './routingState.ts';
import { enqueueWriteBack } from './writeBack.ts';

/** An enrichment computed for a `received` lead at `version`, stored with its routing decision. */
export interface LeadEnrichment extends Enrichment {
  version: number;
}

/** What routing did; `event` is published once the transaction has committed. */
export type RouteOutcome =
  | { kind: 'rep'; repId: string; offerId: number; event: LeadEvent }
  | { kind: 'sequence'; sequenceId: string; event: LeadEvent }
  | { kind: 'queued'; teamId: string | null; event: LeadEvent }
  | { kind: 'skipped'; reason: 'unknown_lead' | 'not_routable' | 'still_queued' | 'changed' };

export interface RouteOptions {
  /** Stored with the decision when the lead is still `received` at the enrichment's version. */
  enrichment?: LeadEnrichment | undefined;
  /** A signal rule routes the lead to its own target (the trace names it); the fallback still applies. */
  signalRule?: SignalRule | undefined;
  /** The routing state shared by a batch of decisions; default: the transaction's (see routingStateOf). */
  state?: RoutingState;
}

/** What routing runs on: the time, the compiled settings, and what to do once an outcome is committed. */
export interface RoutingContext {
  clock: Clock;
  compiled(): { settings: Settings; routing: CompiledRouting };
  committed(outcome: Exclude<RouteOutcome, { kind: 'skipped' }>): void;
}

const ROUTING_STATE = Symbol('routing state');

/** The routing state the decisions of one transaction share (a batch of arrivals, of expiries): loaded once, kept current as offers are made. */
function routingStateOf(tx: Tx, settings: Settings): RoutingState {
  const holder = tx.scratch(ROUTING_STATE, (): { state?: RoutingState } => ({}));
  return (holder.state ??= createRoutingState(tx.routing, settings));
}

/**
 * Something a decision reads changed other than by an offer (a claim or a lead done changes open
 * leads, going away changes availability): the transaction's routing state forgets what it loaded.
 */
export function routingInputsChanged(tx: Tx): void {
  tx.scratch(ROUTING_STATE, (): { state?: RoutingState } => ({})).state?.forget();
}

interface StartOfferInput {
  leadId: number;
  repId: string;
  /** A one-line reason for the rep ("Why you"). */
  why: string;
  roundRobin?: RoundRobinUpdate | undefined;
  /** From the SLA (src/domain/offers/deadlines.ts). */
  deadlineAt: number;
  remindAt: number | null;
  now: number;
}

/**
 * The seam between routing and the offer lifecycle: records that `repId` is offered the lead, with
 * its deadline and reminder time, advances the round-robin state and queues the claim card. Runs
 * inside the caller's transaction, after the lead's state moved to `offered`.
 */
async function startOffer(tx: Tx, input: StartOfferInput): Promise<{ offerId: number; attempt: number }> {
  const offer = await tx.offers.create({ leadId: input.leadId, repId: input.repId, offeredAt: input.now, deadlineAt: input.deadlineAt, remindAt: input.remindAt, why: input.why });
  if (input.roundRobin) await tx.routing.saveRoundRobin(input.roundRobin);
  await tx.routing.recordOfferMade(input.repId, input.now);
  await tx.leads.appendHistory(input.leadId, input.now, 'system', 'offered', { rep: input.repId, attempt: offer.attempt, why: input.why });
  // The card is rendered from the stored offer when it is delivered, so it is never out of date.
  await tx.outbox.enqueue(input.leadId, { type: 'post_offer_card', offerId: offer.id }, input.now);
  return { offerId: offer.id, attempt: offer.attempt };
}

/** A queued lead that had an escalation message gets it updated ("now offered to Bob") and stops being re-pinged. */
async function closeQueuedEscalation(tx: Tx, leadId: number, now: number): Promise<void> {
  await tx.leads.endEscalation(leadId);
  if ((await tx.leads.escalation(leadId))?.reason) await tx.outbox.enqueue(leadId, { type: 'update_escalation', leadId }, now);
}

/** Writes the decision's plan through the ports. */
async function writePlan(tx: Tx, stored: StoredLead, decision: RoutingDecision, settings: Settings, now: number): Promise<RouteOutcome> {
  const plan = planRoute(stored, decision, settings, now);
  if (!plan) return { kind: 'skipped', reason: 'still_queued' };
  if (!(await tx.leads.applyRouting({ id: stored.id, version: stored.version, ...plan.transition, trace: storedTrace(decision.trace), now }))) return { kind: 'skipped', reason: 'changed' };
  if (plan.leavesQueue) await closeQueuedEscalation(tx, stored.id, now);
  await tx.leads.appendHistory(stored.id, now, 'system', plan.history.event, plan.history.detail);
  const base = { leadId: stored.id, at: now, receivedAt: stored.receivedAt, by: 'system' };
  const team = plan.kind !== 'sequence' && plan.teamId ? { team: plan.teamId } : {};
  switch (plan.kind) {
    case 'rep': {
      const offer = await startOffer(tx, { leadId: stored.id, now, ...plan.offer });
      return { kind: 'rep', repId: plan.offer.repId, offerId: offer.offerId, event: { ...base, event: 'lead.offered', rep: plan.offer.repId, rule: plan.rule, ...team, attempt: offer.attempt } };
    }
    case 'sequence':
      for (const effect of plan.effects) await tx.outbox.enqueue(stored.id, effect, now);
      return { kind: 'sequence', sequenceId: plan.sequenceId, event: { ...base, event: 'lead.sequenced', rule: plan.rule, sequence: plan.sequenceId } };
    case 'queued':
      await tx.leads.markQueuedEscalated(stored.id, now, plan.escalation.nextPingAt);
      await enqueueEscalationMessage(tx, stored.id, now);
      await enqueueWriteBack(tx, settings, stored.id, 'lead.escalated', now, { reason: 'queued' });
      return { kind: 'queued', teamId: plan.teamId, event: { ...base, event: 'lead.queued', ...team, reason: 'nobody_eligible' } };
  }
}

/** Stores the enrichment of a lead still `received` at the version it was computed from; the lead as it now is. */
async function withEnrichment(tx: Tx, stored: StoredLead, enrichment: LeadEnrichment | undefined, now: number): Promise<StoredLead> {
  if (!enrichment || stored.state !== 'received' || stored.version !== enrichment.version) return stored;
  if (!(await tx.leads.recordEnrichment({ id: stored.id, version: stored.version, lead: enrichment.lead, domain: enrichment.domain, trace: enrichment.trace }))) return stored;
  await tx.leads.appendHistory(stored.id, now, 'system', 'enriched', enrichmentHistoryDetail(enrichment.trace));
  return { ...stored, lead: enrichment.lead, domain: enrichment.domain, enrichment: enrichment.trace };
}

/** Routable: new, waiting in the queue, or offered with no pending offer (the last one was passed or expired); a signal rule also takes a lead out of its sequence. */
const isRoutable = async (tx: Tx, stored: StoredLead, signalRule: SignalRule | undefined): Promise<boolean> =>
  stored.state === 'received' ||
  stored.state === 'queued' ||
  (stored.state === 'offered' && (await tx.offers.pendingOfLead(stored.id)) === null) ||
  (signalRule !== undefined && stored.state === 'in_sequence');

/** Routes one lead inside the caller's transaction; anything not routable is left alone (routing is idempotent). */
export async function route(context: RoutingContext, tx: Tx, leadId: number, options: RouteOptions = {}): Promise<RouteOutcome> {
  const read = await tx.leads.get(leadId);
  if (!read) return { kind: 'skipped', reason: 'unknown_lead' };
  if (!(await isRoutable(tx, read, options.signalRule))) return { kind: 'skipped', reason: 'not_routable' };
  const now = context.clock.now();
  await tx.routing.lockForDecision();
  const stored = await withEnrichment(tx, read, options.enrichment, now);
  const { settings, routing } = context.compiled();
  const compiledRouting = options.signalRule ? compileRouting({ ...settings, rules: [{ name: `signal: ${options.signalRule.name}`, route: options.signalRule.route }] }) : routing;
  const state = options.state ?? routingStateOf(tx, settings);
  // A lead never routed before has no offers, so nobody passed on it or let it expire; the domain's
  // runtime owner is read only when a rule routes to the account owner.
  const leadState = await tx.routing.loadLeadState({ id: stored.state === 'received' ? null : stored.id, domain: compiledRouting.readsAccountOwners ? stored.domain : null });
  const decision = await state.decide({ lead: stored.lead, domain: stored.domain, enrichment: stored.enrichment, routing: compiledRouting, leadState, now });
  const outcome = await writePlan(tx, stored, decision, settings, now);
  // Keep the shared state what the store now says, without reading it again.
  if (outcome.kind === 'rep' && decision.kind === 'rep') state.offerMade(decision, now);
  if (outcome.kind !== 'skipped') tx.afterCommit(() => context.committed(outcome));
  return outcome;
}

type RepDecision = Extract<RoutingDecision, { kind: 'rep' }>;
type RepPlan = Extract<RoutePlan, { kind: 'rep' }>;

/**
 * Routes many leads inside the caller's transaction (a batch of expiries: offered leads whose offer
 * just ended), as `route` routes each one, with set-based writes: the decisions are made first, in
 * memory, one after the other on the transaction's shared routing state (each offer made is added
 * to it before the next decision), then written together — the leads' changes in one
 * compare-and-set statement, the offers in one, the history in one (each lead's records in
 * order), the round-robin and reps' state in one each, the cards' outbox rows in one. A lead whose
 * decision is not an offer to a rep (a sequence, the holding queue) or that leaves the queue is
 * routed afterwards by `route`, alone. The outcomes, by lead id; `event`s are told after commit,
 * in the order of `leads`.
 */
export async function routeMany(context: RoutingContext, tx: Tx, leads: readonly StoredLead[]): Promise<Map<number, RouteOutcome>> {
  const outcomes = new Map<number, RouteOutcome>();
  if (leads.length === 0) return outcomes;
  const now = context.clock.now();
  await tx.routing.lockForDecision();
  const { settings, routing } = context.compiled();
  const state = routingStateOf(tx, settings);
  const leadStates = await tx.routing.loadLeadStates(leads.map((stored) => ({ id: stored.id, domain: routing.readsAccountOwners ? stored.domain : null })));
  const offers: { stored: StoredLead; decision: RepDecision; plan: RepPlan }[] = [];
  const alone: number[] = [];
  for (const stored of leads) {
    if (stored.state !== 'offered' && stored.state !== 'queued' && stored.state !== 'received') {
      alone.push(stored.id);
      continue;
    }
    const leadState = leadStates.get(stored.id) ?? { accountOwners: new Map(), excludedReps: new Set<string>() };
    const decision = await state.decide({ lead: stored.lead, domain: stored.domain, enrichment: stored.enrichment, routing, leadState, now });
    const plan = decision.kind === 'rep' ? planRoute(stored, decision, settings, now) : null;
    if (decision.kind !== 'rep' || plan?.kind !== 'rep' || plan.leavesQueue) {
      alone.push(stored.id);
      continue;
    }
    state.offerMade(decision, now);
    offers.push({ stored, decision, plan });
  }
  if (offers.length > 0) {
    const changed = await tx.leads.applyRoutingMany(offers.map(({ stored, decision, plan }) => ({ id: stored.id, version: stored.version, ...plan.transition, trace: storedTrace(decision.trace), now })));
    if (changed.size < offers.length) {
      // A lead changed meanwhile: it is not offered, and the routing state forgets the offer it counted.
      state.forget();
      for (const { stored } of offers) if (!changed.has(stored.id)) outcomes.set(stored.id, { kind: 'skipped', reason: 'changed' });
    }
    const made = offers.filter(({ stored }) => changed.has(stored.id));
    const created = await tx.offers.createMany(
      made.map(({ stored, plan }): NewOffer => ({ leadId: stored.id, repId: plan.offer.repId, offeredAt: now, deadlineAt: plan.offer.deadlineAt, remindAt: plan.offer.remindAt, why: plan.offer.why })),
    );
    const history: HistoryRecordOf[] = [];
    made.forEach(({ stored, plan }, k) => {
      const { attempt } = created[k] as { attempt: number };
      history.push({ leadId: stored.id, at: now, actor: 'system', event: plan.history.event, detail: plan.history.detail });
      history.push({ leadId: stored.id, at: now, actor: 'system', event: 'offered', detail: { rep: plan.offer.repId, attempt, why: plan.offer.why } });
    });
    await tx.leads.appendHistoryMany(history);
    await tx.routing.recordOffersMade(made.map(({ plan }) => ({ repId: plan.offer.repId, now, roundRobin: plan.offer.roundRobin })));
    // The cards are rendered from the stored offers when they are delivered.
    await tx.outbox.enqueueMany(made.map(({ stored }, k) => ({ leadId: stored.id, effect: { type: 'post_offer_card', offerId: (created[k] as { id: number }).id } })), now);
    made.forEach(({ stored, plan }, k) => {
      const offer = created[k] as { id: number; attempt: number };
      const team = plan.teamId ? { team: plan.teamId } : {};
      const event: LeadEvent = { leadId: stored.id, at: now, receivedAt: stored.receivedAt, by: 'system', event: 'lead.offered', rep: plan.offer.repId, rule: plan.rule, ...team, attempt: offer.attempt };
      const outcome: RouteOutcome = { kind: 'rep', repId: plan.offer.repId, offerId: offer.id, event };
      outcomes.set(stored.id, outcome);
      tx.afterCommit(() => context.committed(outcome));
    });
  }
  for (const id of alone) outcomes.set(id, await route(context, tx, id, { state }));
  return outcomes;
}
