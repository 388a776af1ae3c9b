import { leadRef } from '../domain/lead.ts';
import type { LeadEnricher } from './enrichLead.ts';
import type { Logger } from './logger.ts';
import type { Tx, UnitOfWork } from './ports.ts';
import { route, type LeadEnrichment, type RouteOutcome, type RoutingContext } from './route.ts';

/** Arrivals routed per transaction: one decision pass (the routing state loaded once), one commit for their offers and outbox rows. */
export const ARRIVAL_BATCH = 64;

/**
 * While leads keep arriving faster than a batch a turn, and while a backlog of them waits to be
 * routed, routing takes at most this share of the time: intake (the 202, which waits only for the
 * lead's own commit) and the delivery of the cards already routed go first, and routing still keeps
 * well ahead of Slack's pace (~1 card/s per DM), which is what delivery waits on anyway.
 */
export const ROUTING_SHARE_UNDER_BURST = 0.2;

/** The longest arrivals wait for a full batch while more keep coming. */
export const GATHER_MS = 50;

export interface ArrivalsOptions {
  uow: UnitOfWork;
  context: RoutingContext;
  logger: Logger;
  enricher?: LeadEnricher | undefined;
  /** Default ARRIVAL_BATCH. */
  batchSize?: number;
  /** Default ROUTING_SHARE_UNDER_BURST; 1: never pause. */
  routingShare?: number;
  /** The longest a burst's arrivals wait for a full batch; default GATHER_MS. */
  gatherMs?: number;
  /** How the share is kept: the clock a batch's time is read on, and the pause after it (tests inject both). Default: performance.now, a timer. */
  shareTiming?: { now(): number; pause(ms: number): Promise<void> };
  /**
   * Whether a lead that arrives while routing is idle is routed in the transaction that stores it
   * (routeOnArrival): one commit for the lead and its offer instead of two. Default true; off where
   * a transaction's statements are round trips to a server (PostgreSQL), so that intake's
   * transaction stays short and does not wait for the decision lock.
   */
  inline?: boolean;
}

/** Waits `ms` (0: the next turn of the event loop, so that what the same commit told joins the batch). */
const pause = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/**
 * New leads are routed after their answer, in batches: the 202 waits only for the commit that
 * stores the lead; the arrivals then wait in memory (they are `received` in the store, so a crash
 * loses none: `routeReceived` routes them at the next start) and are routed in arrival order, a
 * batch at a time in ONE transaction, each lead in a savepoint of its own (one that throws is rolled
 * back alone, stays `received` and is routed at the next start). Leads to enrich are enriched first,
 * outside any transaction (the enrichment webhook is network I/O, bounded by its timeout), the
 * batch's leads at the same time.
 */
export function createArrivals(deps: ArrivalsOptions) {
  const { uow, context, logger } = deps;
  const batchSize = deps.batchSize ?? ARRIVAL_BATCH;
  const share = deps.routingShare ?? ROUTING_SHARE_UNDER_BURST;
  const gatherMs = deps.gatherMs ?? GATHER_MS;
  const timing = deps.shareTiming ?? { now: () => performance.now(), pause };

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

  const failed = (leadId: number, error: unknown) =>
    logger.error({ err: error, lead: leadRef(leadId) }, 'routing failed; the lead stays received and is retried (by the sweep of received leads, or at the next start)');

  /**
   * Enriches and routes `ids` in one transaction, in order, sharing the transaction's routing state
   * (round-robin turns advance from one lead to the next as if routed one by one); the outcome of
   * each, or null for one whose routing threw (rolled back alone, logged).
   */
  const routeBatch = async (ids: readonly number[]): Promise<(RouteOutcome | null)[]> => {
    const enrichments = await Promise.all(ids.map(enrich));
    return uow.run(async (tx) => {
      const outcomes: (RouteOutcome | null)[] = [];
      for (const [i, id] of ids.entries()) {
        try {
          outcomes.push(await tx.savepoint((inner) => route(context, inner, id, { enrichment: enrichments[i] })));
        } catch (error) {
          tx.afterCommit(() => failed(id, error));
          outcomes.push(null);
        }
      }
      return outcomes;
    });
  };

  /** Accepted leads waiting for their batch, oldest first (from `head` on). */
  let waiting: number[] = [];
  let head = 0;
  /**
   * The arrivals this instance has yet to route (waiting, or in the batch being routed): the sweep
   * of leads left `received` leaves them alone. In a long burst they can wait more than the sweep's
   * 10 s behind intake, and are still this instance's to route, at routing's share of the time.
   */
  const ours = new Set<number>();
  const backlog = () => waiting.length - head;
  /** Set while this turn of the event loop already routed an arrival in its intake transaction. */
  let inlineThisTurn = false;
  /** Leads handed over so far (to tell whether more came in during a turn or a batch). */
  let arrived = 0;
  let draining: Promise<void> | undefined;

  /**
   * While more leads come in every turn (a burst), waits for a full batch (at most `gatherMs`):
   * one transaction then routes many, instead of a small one each turn competing with intake.
   * Under a steady flow a lead waits one turn.
   */
  const gather = async (): Promise<void> => {
    const since = performance.now();
    let seen = -1;
    while (backlog() > 0 && backlog() < batchSize && arrived !== seen && performance.now() - since < gatherMs) {
      seen = arrived;
      await pause(0);
    }
  };

  const drain = async (): Promise<void> => {
    for (;;) {
      await gather();
      if (backlog() === 0) return;
      const ids = waiting.slice(head, head + batchSize);
      head += ids.length;
      if (head === waiting.length) [waiting, head] = [[], 0];
      const before = arrived;
      const started = timing.now();
      try {
        await routeBatch(ids);
      } catch (error) {
        for (const id of ids) failed(id, error);
      } finally {
        for (const id of ids) ours.delete(id);
      }
      const took = timing.now() - started;
      // Leads still coming in, or a backlog still to route (the end of a burst): intake and the
      // outbox get the rest of the time, routing its share of it. Routing at full speed after a
      // burst starved the delivery of the cards it had routed (130 cards/s where Slack takes 400).
      if ((arrived > before || backlog() > 0) && share < 1) await timing.pause((took * (1 - share)) / share);
    }
  };

  const start = (): void => {
    if (draining) return;
    draining = drain().finally(() => {
      draining = undefined;
      if (backlog() > 0) start();
    });
  };

  return {
    /**
     * Inside the transaction that stores a new lead: routes it there and then when routing is idle
     * — nothing waiting or being routed, no enrichment to wait for, no other arrival routed so in
     * this turn of the event loop (a burst's group commit stores many leads in one transaction;
     * they go to the batches, at routing's share of the time) — in a savepoint of its own, so that
     * a routing that throws leaves the lead stored `received`. True when it was routed; false: call
     * routeInBackground after the commit. A steady flow of leads so costs one commit per lead, and
     * the lead's card is due as soon as its 202 is sent.
     */
    async routeOnArrival(tx: Tx, leadId: number): Promise<boolean> {
      if (deps.inline === false || deps.enricher?.configured || inlineThisTurn || backlog() > 0 || draining) return false;
      inlineThisTurn = true;
      setImmediate(() => (inlineThisTurn = false));
      try {
        await tx.savepoint((inner) => route(context, inner, leadId));
        return true;
      } catch (error) {
        logger.warn({ err: error, lead: leadRef(leadId) }, 'routing with the intake failed; the lead is routed after its answer');
        return false;
      }
    },

    /** Enriches and routes one stored lead in a transaction of its own; its outcome. */
    async routeSoon(leadId: number): Promise<RouteOutcome> {
      const enrichment = await enrich(leadId);
      return uow.run((tx) => route(context, tx, leadId, { enrichment }));
    },

    /** A lead was accepted (after its commit): it is routed with the next batch of arrivals. */
    routeInBackground(leadId: number): void {
      waiting.push(leadId);
      ours.add(leadId);
      arrived += 1;
      start();
    },

    /**
     * Enriches and routes every lead still `received`, in batches, oldest first; resolves with how
     * many were routed. With `receivedBefore`, only the leads received before then: leads another
     * instance accepted and never routed (it died with them waiting in its memory), or whose routing
     * failed, and not the arrivals an instance is about to route (nor those this instance has
     * waiting for their batch, however long they have waited).
     */
    async routeReceived(options: { receivedBefore?: number } = {}): Promise<number> {
      const { receivedBefore } = options;
      let routed = 0;
      let after = 0;
      for (;;) {
        const page = await uow.read((tx) => tx.leads.idsInState('received', 500, after));
        if (page.length === 0) return routed;
        after = page[page.length - 1] ?? after;
        const ids =
          receivedBefore === undefined
            ? page
            : await uow.read(async (tx) => {
                const old: number[] = [];
                for (const id of page) if (!ours.has(id) && ((await tx.leads.getState(id))?.receivedAt ?? receivedBefore) < receivedBefore) old.push(id);
                return old;
              });
        for (let i = 0; i < ids.length; i += batchSize) {
          const chunk = ids.slice(i, i + batchSize);
          try {
            routed += (await routeBatch(chunk)).filter((outcome) => outcome !== null && outcome.kind !== 'skipped').length;
          } catch (error) {
            for (const id of chunk) failed(id, error);
          }
        }
        // Ids ascend with arrival: a page whose last lead is recent ends the old ones.
        if (receivedBefore !== undefined && ids.length < page.length) return routed;
      }
    },

    /** Resolves once every arrival handed to routeInBackground so far is routed (or failed). */
    async idle(): Promise<void> {
      while (draining) await draining;
    },
  };
}
