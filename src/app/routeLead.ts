import type { Clock } from '../domain/clock.ts';
import type { Enrichment } from '../domain/enrichment.ts';
import { leadRef } from '../domain/lead.ts';
import { compileRouting, earliestEligibilityChange, planRoute, type CompiledRouting, type RoutingDecision } from '../domain/routing/index.ts';
import type { Settings, SignalRule } from '../domain/settings.ts';
import { enqueueEscalationMessage } from './escalationMessage.ts';
import type { EventBus } from './events.ts';
import { enrichmentHistoryDetail, type LeadEnricher } from './enrichLead.ts';
import type { LeadEvent } from './leadEvents.ts';
import type { Logger } from './logger.ts';
import type { StoredLead, Tx, UnitOfWork } from './ports.ts';
import { createRoutingState, type RoutingState } from './routingState.ts';
import { startOffer } from './startOffer.ts';
import { enqueueWriteBack } from './writeBack.ts';

export interface LeadRouterDeps {
  uow: UnitOfWork;
  clock: Clock;
  settings: () => Settings;
  /** Each lead offered, sent to a sequence or queued is told here after commit (`leadChanged`, `effectsQueued`). */
  events: EventBus;
  logger: Logger;
  /** Fills a new lead's missing company data before it is routed; absent = no enrichment. */
  enricher?: LeadEnricher;
}

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

/**
 * The routing use case. `route(tx, leadId, options)` is the one entry point: it loads what the
 * decision needs, decides (pure core), and writes the plan (src/domain/routing/planRoute.ts) — the
 * lead's state and trace, the history, the offer and its card, a sequence's effects, a queued
 * lead's escalation — in the caller's transaction. The other functions are the occasions for it:
 * an arrival (enriched first, outside any transaction: the enrichment webhook is network I/O), the
 * leads received before a restart, the holding queue. New leads are routed once; queued leads again
 * whenever someone may have become eligible.
 */
export function createLeadRouter(deps: LeadRouterDeps) {
  const { uow, clock, events, logger } = deps;
  let compiled: { settings: Settings; routing: CompiledRouting } | undefined;
  const compiledSettings = () => {
    const settings = deps.settings();
    if (compiled?.settings !== settings) compiled = { settings, routing: compileRouting(settings) };
    return compiled;
  };

  /** A queued lead that had an escalation message gets it updated ("now offered to Bob") and stops being re-pinged. */
  const closeQueuedEscalation = async (tx: Tx, leadId: number, now: number) => {
    await tx.leads.endEscalation(leadId);
    if ((await tx.leads.escalation(leadId))?.reason) await tx.outbox.enqueue(leadId, { type: 'update_escalation', leadId }, now);
  };

  /** Writes the decision's plan through the ports. */
  const apply = async (tx: Tx, stored: StoredLead, decision: RoutingDecision, settings: Settings, now: number): Promise<RouteOutcome> => {
    const plan = planRoute(stored, decision, settings, now);
    if (!plan) return { kind: 'skipped', reason: 'still_queued' };
    if (!(await tx.leads.applyRouting({ id: stored.id, version: stored.version, ...plan.transition, trace: decision.trace, now }))) return { kind: 'skipped', reason: 'changed' };
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
  };

  /** Stores the enrichment of a lead still `received` at the version it was computed from; the lead as it now is. */
  const withEnrichment = async (tx: Tx, stored: StoredLead, enrichment: LeadEnrichment | undefined, now: number): Promise<StoredLead> => {
    if (!enrichment || stored.state !== 'received' || stored.version !== enrichment.version) return stored;
    if (!(await tx.leads.recordEnrichment({ id: stored.id, version: stored.version, lead: enrichment.lead, domain: enrichment.domain, trace: enrichment.trace }))) return stored;
    await tx.leads.appendHistory(stored.id, now, 'system', 'enriched', enrichmentHistoryDetail(enrichment.trace));
    return { ...stored, lead: enrichment.lead, domain: enrichment.domain, enrichment: enrichment.trace };
  };

  /** Routable: new, waiting in the queue, or offered with no pending offer (the last one was passed or expired); a signal rule also takes a lead out of its sequence. */
  const isRoutable = async (tx: Tx, stored: StoredLead, signalRule: SignalRule | undefined) =>
    stored.state === 'received' ||
    stored.state === 'queued' ||
    (stored.state === 'offered' && (await tx.offers.pendingOfLead(stored.id)) === null) ||
    (signalRule !== undefined && stored.state === 'in_sequence');

  /** Routes one lead inside the caller's transaction; anything not routable is left alone (routing is idempotent). */
  const route = async (tx: Tx, leadId: number, options: RouteOptions = {}): Promise<RouteOutcome> => {
    const read = await tx.leads.get(leadId);
    if (!read) return { kind: 'skipped', reason: 'unknown_lead' };
    if (!(await isRoutable(tx, read, options.signalRule))) return { kind: 'skipped', reason: 'not_routable' };
    const now = clock.now();
    await tx.routing.lockForDecision();
    const stored = await withEnrichment(tx, read, options.enrichment, now);
    const { settings, routing } = compiledSettings();
    const compiledRouting = options.signalRule ? compileRouting({ ...settings, rules: [{ name: `signal: ${options.signalRule.name}`, route: options.signalRule.route }] }) : routing;
    const state = options.state ?? routingStateOf(tx, settings);
    const leadState = await tx.routing.loadLeadState({ id: stored.id, domain: stored.domain });
    const decision = await state.decide({ lead: stored.lead, domain: stored.domain, enrichment: stored.enrichment, routing: compiledRouting, leadState, now });
    const outcome = await apply(tx, stored, decision, settings, now);
    // Keep the shared state what the store now says, without reading it again.
    if (outcome.kind === 'rep' && decision.kind === 'rep') state.offerMade(decision, now);
    if (outcome.kind !== 'skipped') tx.afterCommit(() => committed(outcome));
    return outcome;
  };

  /** When time alone may next make someone eligible for the holding queue; null when the queue is empty. Worked out when asked after it changed. */
  let queueCheck: { at: number | null; stale: boolean } = { at: null, stale: false };

  const committed = (outcome: Exclude<RouteOutcome, { kind: 'skipped' }>) => {
    events.publish({ type: 'leadChanged', event: outcome.event });
    events.publish({ type: 'effectsQueued' });
    // The next check depends on the reps, not on which leads wait: worked out when the queue starts.
    if (outcome.kind === 'queued' && queueCheck.at === null) queueCheck = { at: null, stale: true };
  };

  const refreshQueueCheck = async (): Promise<number | null> => {
    const now = clock.now();
    const { settings, routing } = compiledSettings();
    const at = await uow.read(async (tx) => {
      if ((await tx.leads.countInState('queued')) === 0) return null;
      const snapshot = { ...(await tx.routing.loadTeamState(settings, now)), ...(await tx.routing.loadLeadState({ id: null, domain: null })) };
      return earliestEligibilityChange({ config: routing, snapshot, now });
    });
    queueCheck = { at, stale: false };
    return at;
  };

  /** The enrichment of a lead that is still `received`; undefined when there is nothing to enrich, or when enrichment broke (the lead is then routed as it is). */
  const enrich = async (leadId: number): Promise<LeadEnrichment | undefined> => {
    const enricher = deps.enricher;
    if (!enricher?.configured) return undefined;
    try {
      const stored = await uow.read((tx) => tx.leads.get(leadId));
      if (!stored || stored.state !== 'received') return undefined;
      const enrichment = await enricher.enrich({ ref: leadRef(stored.id), lead: stored.lead, domain: stored.domain });
      return enrichment === null ? undefined : { ...enrichment, version: stored.version };
    } catch (error) {
      logger.error({ err: error, lead: leadRef(leadId) }, 'enrichment failed; routing the lead as it is');
      return undefined;
    }
  };

  /** Enriches a just-accepted lead, then routes it (the unit of work commits it together with others arriving at the same time). */
  const routeSoon = async (leadId: number): Promise<RouteOutcome> => {
    const enrichment = await enrich(leadId);
    return uow.run((tx) => route(tx, leadId, { enrichment }));
  };

  /** Enrichment and routing under way in the background (`idle` waits for them). */
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>, failure: string, fields: Record<string, unknown> = {}) => {
    const pending = work.catch((error: unknown) => logger.error({ err: error, ...fields }, failure)).finally(() => background.delete(pending));
    background.add(pending);
  };

  const rerouteQueued = async (): Promise<number> => {
    const ids = await uow.read((tx) => tx.leads.idsInState('queued', 10_000));
    const outcomes =
      ids.length === 0
        ? []
        : await uow.run(async (tx) => {
            const routed: RouteOutcome[] = [];
            for (const id of ids) routed.push(await route(tx, id));
            return routed;
          });
    await refreshQueueCheck();
    return outcomes.filter((outcome) => outcome.kind !== 'skipped').length;
  };

  return {
    route,

    /** Enriches and routes a just-accepted lead (its own transaction, committed together with others arriving at the same time). */
    routeSoon,

    /** Enriches and routes a just-accepted lead after its answer, in the background. */
    routeInBackground(leadId: number): void {
      track(routeSoon(leadId), 'routing failed; the lead stays received and is retried at the next start', { lead: leadRef(leadId) });
    },

    /**
     * Enriches and routes every lead still `received` (after a restart: committed, answered 202, not
     * yet routed), 500 at a time; resolves with how many were routed.
     */
    async routeReceived(): Promise<number> {
      let routed = 0;
      let after = 0;
      for (;;) {
        const ids = await uow.read((tx) => tx.leads.idsInState('received', 500, after));
        if (ids.length === 0) return routed;
        const outcomes = await Promise.allSettled(ids.map((id) => routeSoon(id)));
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'fulfilled') routed += outcome.value.kind === 'skipped' ? 0 : 1;
          else logger.error({ err: outcome.reason, lead: leadRef(ids[i] as number) }, 'routing failed; the lead stays received and is retried at the next start');
        });
        after = ids[ids.length - 1] ?? after;
      }
    },

    /**
     * Offers queued leads, oldest first, to whoever is eligible now, in one transaction. Call when
     * eligibility may have changed: a rep returns, a lead is done, hours start (see `queueCheckDue`).
     */
    rerouteQueued,

    /** True when time alone may have made someone eligible for the queue (away ended, hours started, caps reset). */
    async queueCheckDue(): Promise<boolean> {
      const at = queueCheck.stale ? await refreshQueueCheck() : queueCheck.at;
      return at !== null && clock.now() >= at;
    },

    /** When the queue will next be checked (epoch ms); null when nothing waits. */
    async nextQueueCheckAt(): Promise<number | null> {
      return queueCheck.stale ? refreshQueueCheck() : queueCheck.at;
    },

    /** Resolves once the routing under way in the background is done (at shutdown). */
    async idle(): Promise<void> {
      while (background.size > 0) await Promise.all(background);
    },
  };
}

export type LeadRouter = ReturnType<typeof createLeadRouter>;
