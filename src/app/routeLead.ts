import type { Config } from '../config/schema.ts';
import type { SignalRule } from '../domain/settings.ts';
import type { Clock } from '../domain/clock.ts';
import { leadRef } from '../domain/lead.ts';
import { compileRouting, earliestEligibilityChange, whyYou, type CompiledRouting, type RoutingDecision } from '../domain/routing/index.ts';
import { createGroupCommit } from '../adapters/sqlite/groupCommit.ts';
import type { Db } from '../adapters/sqlite/openDatabase.ts';
import type { SqliteLeadStore, StoredLead } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../adapters/sqlite/sqliteOfferStore.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';
import type { SqliteRoutingStore } from '../adapters/sqlite/sqliteRoutingStore.ts';
import type { Enrichment } from '../domain/enrichment.ts';
import { enrichmentHistoryDetail, type LeadEnricher } from './enrichLead.ts';
import { leadEventLog, type Logger } from '../adapters/logger.ts';
import type { LeadEvent, LeadEventSink } from './leadEvents.ts';
import { createRoutingState, type RoutingState } from './routingState.ts';
import { startOffer } from './startOffer.ts';
import { enqueueWriteBack } from './writeBack.ts';
import { enqueueEscalationMessage } from './escalationMessage.ts';

export interface LeadRouterDeps {
  db: Db;
  leads: SqliteLeadStore;
  offers: SqliteOfferStore;
  routing: SqliteRoutingStore;
  outbox: SqliteOutboxStore;
  clock: Clock;
  config: () => Config;
  /** Each lead offered, sent to a sequence or queued is logged here after commit (one line each)… */
  logger: Logger;
  /** …and then told here (the metrics). */
  onLeadEvent?: LeadEventSink;
  /** Told after a commit that wrote outbox rows, so delivery starts at once. */
  onEffects?: () => void;
  /** Fills a new lead's missing company data before it is routed; absent = no enrichment. */
  enricher?: LeadEnricher;
}

/** An enrichment computed for a `received` lead at `version`, stored with its routing decision. */
export interface LeadEnrichment extends Enrichment {
  version: number;
}

/** What routing did; `event` is told to `onLeadEvent` once the transaction has committed. */
export type RouteOutcome =
  | { kind: 'rep'; repId: string; offerId: number; event: LeadEvent }
  | { kind: 'sequence'; sequenceId: string; event: LeadEvent }
  | { kind: 'queued'; teamId: string | null; event: LeadEvent }
  | { kind: 'skipped'; reason: 'unknown_lead' | 'not_routable' | 'still_queued' | 'changed' };

/** What a sequence's webhook receives (signed like requests to POST /leads). */
export function sequencePayload(stored: StoredLead, sequenceId: string, rule: string, now: number) {
  return {
    event: 'lead.sequenced',
    at: new Date(now).toISOString(),
    sequence: sequenceId,
    rule,
    lead: { ref: leadRef(stored.id), received_at: new Date(stored.received_at).toISOString(), ...stored.lead },
  };
}

/**
 * The routing use case: loads what the decision needs, decides (pure core), and stores the
 * decision, its trace, the history and the effects it causes in ONE transaction. New leads are
 * enriched first, outside any transaction (the enrichment webhook is network I/O, bounded by its
 * timeout), and the enriched lead is stored in the transaction of its first routing decision; a
 * lead is therefore `received` until both are done, and a restart enriches and routes it again.
 * New leads are routed once; queued leads again whenever someone may have become eligible.
 */
export function createLeadRouter(deps: LeadRouterDeps) {
  const { db, leads, routing, outbox, clock, logger } = deps;
  const tell = leadEventLog(logger, deps.onLeadEvent);
  let compiled: { config: Config; routing: CompiledRouting } | undefined;
  const compiledConfig = () => {
    const config = deps.config();
    if (compiled?.config !== config) compiled = { config, routing: compileRouting(config) };
    return compiled;
  };

  /** A queued lead that had an escalation message gets it updated ("now offered to Bob") and stops being re-pinged. */
  const closeQueuedEscalation = (stored: StoredLead, now: number) => {
    if (stored.state !== 'queued') return;
    leads.endEscalation(stored.id);
    if (leads.escalation(stored.id)?.escalation_reason) {
      outbox.enqueue({ leadId: stored.id, kind: 'card', method: 'update_escalation', payload: { leadId: stored.id } }, now);
    }
  };

  const apply = (stored: StoredLead, decision: RoutingDecision, config: Config, now: number): RouteOutcome => {
    const base = { id: stored.id, version: stored.version, trace: decision.trace, now };
    const event = { leadId: stored.id, at: now, receivedAt: stored.received_at, by: 'system' };
    switch (decision.kind) {
      case 'rep': {
        if (!leads.applyRouting({ ...base, state: 'offered', teamId: decision.teamId, sequenceId: null, routedBy: decision.rule })) return { kind: 'skipped', reason: 'changed' };
        closeQueuedEscalation(stored, now);
        leads.appendHistory(stored.id, now, 'system', 'routed', { rule: decision.rule, to: decision.repId, ...(decision.teamId ? { team: decision.teamId } : {}) });
        const offer = startOffer(
          { leads, offers: deps.offers, routing, outbox, config },
          { leadId: stored.id, repId: decision.repId, why: whyYou(decision.trace), roundRobin: decision.roundRobin, now },
        );
        return {
          kind: 'rep',
          repId: decision.repId,
          offerId: offer.offerId,
          event: { ...event, event: 'lead.offered', rep: decision.repId, rule: decision.rule, ...(decision.teamId ? { team: decision.teamId } : {}), attempt: offer.attempt },
        };
      }
      case 'sequence': {
        if (!leads.applyRouting({ ...base, state: 'in_sequence', teamId: null, sequenceId: decision.sequenceId, routedBy: decision.rule })) return { kind: 'skipped', reason: 'changed' };
        closeQueuedEscalation(stored, now);
        leads.appendHistory(stored.id, now, 'system', 'sent_to_sequence', { rule: decision.rule, sequence: decision.sequenceId });
        const sequence = config.sequences.find((s) => s.id === decision.sequenceId);
        if (sequence?.webhook) {
          outbox.enqueue({ leadId: stored.id, kind: 'webhook', method: 'sequence', payload: { url: sequence.webhook, body: sequencePayload(stored, sequence.id, decision.rule, now) } }, now);
        }
        if (sequence?.channel) {
          // Rendered at delivery from the stored lead, like the cards (the lead's name is lead text: the renderer escapes it).
          outbox.enqueue({ leadId: stored.id, kind: 'card', method: 'post_message', payload: { channel: sequence.channel, sequenceNote: { sequenceId: sequence.id, rule: decision.rule } } }, now);
        }
        return { kind: 'sequence', sequenceId: decision.sequenceId, event: { ...event, event: 'lead.sequenced', rule: decision.rule, sequence: decision.sequenceId } };
      }
      case 'queued': {
        if (stored.state === 'queued') return { kind: 'skipped', reason: 'still_queued' };
        if (!leads.applyRouting({ ...base, state: 'queued', teamId: decision.teamId, sequenceId: null, routedBy: null })) return { kind: 'skipped', reason: 'changed' };
        leads.appendHistory(stored.id, now, 'system', 'queued', { ...(decision.teamId ? { team: decision.teamId } : {}), reason: 'nobody eligible' });
        // A queued lead is escalated at once, and re-pinged every claim_within until it has an owner.
        leads.markQueuedEscalated(stored.id, now, now + config.sla.claimWithin);
        enqueueEscalationMessage({ leads, outbox }, stored.id, now);
        enqueueWriteBack({ leads, outbox, config }, stored.id, 'lead.escalated', now, { reason: 'queued' });
        return { kind: 'queued', teamId: decision.teamId, event: { ...event, event: 'lead.queued', ...(decision.teamId ? { team: decision.teamId } : {}), reason: 'nobody_eligible' } };
      }
    }
  };

  /**
   * Inside a batch (many leads routed in one transaction) the reps' state and round-robin state are
   * read once and kept up to date in memory as offers are made, instead of read again per lead.
   */
  let batch: { state?: RoutingState } | null = null;
  const inBatch = <T>(work: () => T): T => {
    if (batch) return work();
    batch = {};
    try {
      return work();
    } finally {
      batch = null;
    }
  };

  /** Stores the enrichment of a lead still `received` at the version it was computed from; the lead as it now is. */
  const withEnrichment = (stored: StoredLead, enrichment: LeadEnrichment | undefined, now: number): StoredLead => {
    if (!enrichment || stored.state !== 'received' || stored.version !== enrichment.version) return stored;
    if (!leads.recordEnrichment({ id: stored.id, version: stored.version, lead: enrichment.lead, domain: enrichment.domain, trace: enrichment.trace })) return stored;
    leads.appendHistory(stored.id, now, 'system', 'enriched', enrichmentHistoryDetail(enrichment.trace));
    return { ...stored, lead: enrichment.lead, domain: enrichment.domain, enrichment: enrichment.trace };
  };

  const decideAndApply = (leadId: number, signalRule?: SignalRule, enrichment?: LeadEnrichment): RouteOutcome => {
    const read = leads.getLead(leadId);
    if (!read) return { kind: 'skipped', reason: 'unknown_lead' };
    let stored = read;
    // Routable: new, waiting in the queue, or offered with no pending offer (the last one was passed
    // or expired); a signal rule also takes a lead out of its sequence.
    const routable =
      stored.state === 'received' ||
      stored.state === 'queued' ||
      (stored.state === 'offered' && deps.offers.pendingOfLead(stored.id) === null) ||
      (signalRule !== undefined && stored.state === 'in_sequence');
    if (!routable) return { kind: 'skipped', reason: 'not_routable' };
    const now = clock.now();
    stored = withEnrichment(stored, enrichment, now);
    const compiledNow = compiledConfig();
    const config = compiledNow.config;
    // A signal rule routes the lead to its own target, the trace naming the rule; the fallback still applies.
    const compiledRouting = signalRule
      ? compileRouting({ ...config, rules: [{ name: `signal: ${signalRule.name}`, route: signalRule.route }] })
      : compiledNow.routing;
    const state = batch ? (batch.state ??= createRoutingState(routing, config)) : createRoutingState(routing, config);
    const leadState = routing.loadLeadState({ id: stored.id, domain: stored.domain });
    const decision = state.decide({ lead: stored.lead, domain: stored.domain, enrichment: stored.enrichment, routing: compiledRouting, leadState, now });
    const outcome = apply(stored, decision, config, now);
    // Keep the batch's shared state what the database now says, without reading it again.
    if (batch && outcome.kind === 'rep' && decision.kind === 'rep') state.offerMade(decision, now);
    return outcome;
  };
  const routeInTransaction = db.transaction((leadId: number, enrichment?: LeadEnrichment) => decideAndApply(leadId, undefined, enrichment));
  const routeGrouped = createGroupCommit(db, (input: { leadId: number; enrichment?: LeadEnrichment }) => decideAndApply(input.leadId, undefined, input.enrichment), inBatch);

  /**
   * The enrichment of a lead that is still `received`; undefined when there is nothing to enrich, or
   * when enrichment broke (a bug: the lead is then routed as it is rather than left unrouted).
   */
  const enrich = async (leadId: number): Promise<LeadEnrichment | undefined> => {
    const enricher = deps.enricher;
    if (!enricher?.configured) return undefined;
    try {
      const stored = leads.getLead(leadId);
      if (!stored || stored.state !== 'received') return undefined;
      const enrichment = await enricher.enrich({ ref: leadRef(stored.id), lead: stored.lead, domain: stored.domain });
      return enrichment === null ? undefined : { ...enrichment, version: stored.version };
    } catch (error) {
      logger.error({ err: error, lead: leadRef(leadId) }, 'enrichment failed; routing the lead as it is');
      return undefined;
    }
  };

  let nextQueueCheckAt: number | null = null;

  /** When time alone may next make someone eligible for the holding queue; null when the queue is empty. */
  const refreshQueueCheck = () => {
    const now = clock.now();
    const { config, routing: compiledRouting } = compiledConfig();
    nextQueueCheckAt =
      leads.countInState('queued') === 0
        ? null
        : earliestEligibilityChange({ config: compiledRouting, snapshot: routing.loadSnapshot(config, { id: null, domain: null }, now), now });
  };

  const afterCommit = (leadId: number, outcome: RouteOutcome) => {
    if (outcome.kind !== 'skipped') {
      tell(outcome.event);
      deps.onEffects?.();
    }
    // The next check depends on the reps, not on which leads wait: compute it when the queue starts.
    if (outcome.kind === 'queued' && nextQueueCheckAt === null) refreshQueueCheck();
    return outcome;
  };

  /**
   * Routes one lead that is `received` or `queued` in its own transaction, storing `enrichment` with
   * it when given; anything else is left alone (routing is idempotent). New leads go through
   * `routeSoon`, which enriches them first.
   */
  const routeLead = (leadId: number, enrichment?: LeadEnrichment): RouteOutcome => afterCommit(leadId, routeInTransaction.immediate(leadId, enrichment));

  /** Enriches a just-accepted lead, then routes it, group-committed with others arriving at the same time. */
  const routeSoon = async (leadId: number): Promise<RouteOutcome> => {
    const enrichment = await enrich(leadId);
    return afterCommit(leadId, await routeGrouped(enrichment ? { leadId, enrichment } : { leadId }));
  };

  return {
    routeLead,

    /** Routes a lead inside the caller's transaction (after a pass or an expiry); the caller commits and calls `committed`. */
    routeWithinTransaction: (leadId: number) => decideAndApply(leadId),

    /**
     * Routes a just-accepted lead inside the transaction that stores it, in its own savepoint: if
     * routing throws, only the routing is rolled back. The caller commits and calls `committed`.
     */
    routeAcceptedWithinTransaction: (leadId: number) => routeInTransaction(leadId),

    /** Routes a lead by a signal rule inside the caller's transaction (out of a sequence or the queue). */
    routeForSignalWithinTransaction: (leadId: number, rule: SignalRule) => decideAndApply(leadId, rule),

    /** Runs `work` (routing many leads in one transaction) with the shared routing state read once. */
    inBatch,

    /** After the caller's transaction committed a routing outcome. */
    committed: afterCommit,

    routeSoon,

    /**
     * Enriches and routes every lead still `received` (after a restart: committed, answered 202, not
     * yet routed), 500 at a time; resolves with how many were routed.
     */
    async routeReceived(): Promise<number> {
      let routed = 0;
      let after = 0;
      for (;;) {
        const ids = leads.idsInState('received', 500, after);
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
     * Offers queued leads, oldest first, to whoever is eligible now. Call when eligibility may have
     * changed: a rep returns, a lead is done, hours start (see `queueCheckDue`).
     */
    rerouteQueued(): number {
      const ids = leads.idsInState('queued', 10_000);
      const outcomes = ids.length === 0 ? [] : db.transaction(() => inBatch(() => ids.map((id) => routeInTransaction(id)))).immediate();
      let offered = 0;
      outcomes.forEach((outcome, i) => {
        if (outcome.kind === 'skipped') return;
        offered += 1;
        afterCommit(ids[i] as number, outcome);
      });
      refreshQueueCheck();
      return offered;
    },

    /** True when time alone may have made someone eligible for the queue (away ended, hours started, caps reset). */
    queueCheckDue(): boolean {
      return nextQueueCheckAt !== null && clock.now() >= nextQueueCheckAt;
    },

    /** When the queue will next be checked (epoch ms); null when nothing waits. */
    nextQueueCheckAt: () => nextQueueCheckAt,
  };
}

export type LeadRouter = ReturnType<typeof createLeadRouter>;
