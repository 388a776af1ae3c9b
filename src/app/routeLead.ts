import type { Clock } from '../domain/clock.ts';
import { compileRouting, type CompiledRouting } from '../domain/routing/index.ts';
import type { Settings } from '../domain/settings.ts';
import type { LeadEnricher } from './enrichLead.ts';
import type { EventBus } from './events.ts';
import { createHoldingQueue } from './holdingQueue.ts';
import type { Logger } from './logger.ts';
import type { StoredLead, Tx, UnitOfWork } from './ports.ts';
import { route, routeMany, type RouteOptions, type RouteOutcome, type RoutingContext } from './route.ts';
import { createArrivals, type ArrivalsOptions } from './routeArrivals.ts';

export interface LeadRouterDeps {
  uow: UnitOfWork;
  clock: Clock;
  settings: () => Settings;
  /** Each lead offered, sent to a sequence or queued is told here after commit (`leadChanged`, `effectsQueued`). */
  events: EventBus;
  logger: Logger;
  /** Fills a new lead's missing company data before it is routed; absent = no enrichment. */
  enricher?: LeadEnricher;
  /** How arrivals keep to their share of the time during a burst (createArrivals' `routingShare`, default ROUTING_SHARE_UNDER_BURST, and `shareTiming`). */
  arrivals?: Pick<ArrivalsOptions, 'routingShare' | 'shareTiming' | 'inline'>;
}

/**
 * The routing use case. `route(tx, leadId, options)` is the one entry point (src/app/route.ts):
 * it decides and writes the decision in the caller's transaction. The rest are the occasions for
 * it: arrivals routed after their answer (src/app/routeArrivals.ts) and the holding queue
 * (src/app/holdingQueue.ts). New leads are routed once; queued leads again whenever someone may
 * have become eligible.
 */
export function createLeadRouter(deps: LeadRouterDeps) {
  const { uow, clock, events } = deps;
  let compiled: { settings: Settings; routing: CompiledRouting } | undefined;
  const context: RoutingContext = {
    clock,
    compiled() {
      const settings = deps.settings();
      if (compiled?.settings !== settings) compiled = { settings, routing: compileRouting(settings) };
      return compiled;
    },
    committed(outcome: Exclude<RouteOutcome, { kind: 'skipped' }>) {
      events.publish({ type: 'leadChanged', event: outcome.event });
      events.publish({ type: 'effectsQueued' });
      if (outcome.kind === 'queued') queue.noteQueued();
    },
  };
  const queue = createHoldingQueue({ uow, clock, context });
  const arrivals = createArrivals({ uow, context, logger: deps.logger, enricher: deps.enricher, ...deps.arrivals });

  return {
    /** Routes one lead inside the caller's transaction (see src/app/route.ts). */
    route: (tx: Tx, leadId: number, options?: RouteOptions) => route(context, tx, leadId, options),
    /** Routes many leads inside the caller's transaction, decided first and written set-based (see src/app/route.ts). */
    routeMany: (tx: Tx, leads: readonly StoredLead[]) => routeMany(context, tx, leads),
    ...arrivals,
    /** Offers queued leads to whoever is eligible now. Call when eligibility may have changed: a rep returns, a lead is done. */
    rerouteQueued: queue.rerouteQueued,
    /** True when time alone may have made someone eligible for the queue (away ended, hours started, caps reset). */
    queueCheckDue: queue.checkDue,
    /** When the queue will next be checked (epoch ms); null when nothing waits. */
    nextQueueCheckAt: queue.nextCheckAt,
  };
}

export type LeadRouter = ReturnType<typeof createLeadRouter>;
