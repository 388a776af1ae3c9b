import { leadRef } from '../domain/lead.ts';
import type { LeadEnricher } from './enrichLead.ts';
import type { Logger } from './logger.ts';
import type { UnitOfWork } from './ports.ts';
import { route, type LeadEnrichment, type RouteOutcome, type RoutingContext } from './route.ts';

/**
 * New leads that are routed after their answer: enriched first, outside any transaction (the
 * enrichment webhook is network I/O, bounded by its timeout), then routed in a transaction of their
 * own (which the unit of work may commit together with others arriving at the same time). Also the
 * leads received before a restart (committed, answered 202, not yet routed).
 */
export function createArrivals(deps: { uow: UnitOfWork; context: RoutingContext; logger: Logger; enricher?: LeadEnricher | undefined }) {
  const { uow, context, logger } = deps;

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

  const routeSoon = async (leadId: number): Promise<RouteOutcome> => {
    const enrichment = await enrich(leadId);
    return uow.run((tx) => route(context, tx, leadId, { enrichment }));
  };

  /** Routing under way in the background (`idle` waits for it). */
  const background = new Set<Promise<unknown>>();

  return {
    /** Enriches and routes a just-accepted lead. */
    routeSoon,

    /** routeSoon in the background (after the lead's answer); a failure is logged, the lead stays received and is routed at the next start. */
    routeInBackground(leadId: number): void {
      const pending = routeSoon(leadId)
        .catch((error: unknown) => logger.error({ err: error, lead: leadRef(leadId) }, 'routing failed; the lead stays received and is retried at the next start'))
        .finally(() => background.delete(pending));
      background.add(pending);
    },

    /** Enriches and routes every lead still `received`, 500 at a time; resolves with how many were routed. */
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

    /** Resolves once the routing under way in the background is done (at shutdown). */
    async idle(): Promise<void> {
      while (background.size > 0) await Promise.all(background);
    },
  };
}
