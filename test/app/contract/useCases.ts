/**
 * The use cases built on one store, the way the composition root builds them, with what a test
 * needs around them: a fake clock, the events they published after commit, a lead builder, and
 * reads through the ports.
 */
import { afterEach } from 'vitest';
import { createAcceptLead } from '../../../src/app/acceptLead.ts';
import { createAccountOwners } from '../../../src/app/accountOwners.ts';
import { createAvailability } from '../../../src/app/availability.ts';
import { createLeadEnricher, type LeadEnricher } from '../../../src/app/enrichLead.ts';
import { createEventBus, type AppEvent } from '../../../src/app/events.ts';
import { createOfferLifecycle } from '../../../src/app/offerLifecycle.ts';
import { PRIORITY, type OutboxRow, type ReadTx, type Tx } from '../../../src/app/ports.ts';
import { createLeadViews } from '../../../src/app/readModels.ts';
import { createRecordSignal } from '../../../src/app/recordSignal.ts';
import { createLeadRouter, type LeadRouterDeps } from '../../../src/app/routeLead.ts';
import type { Config } from '../../../src/config/schema.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { FakeClock } from '../../support/fakeClock.ts';
import { routingConfig } from '../../support/routingConfig.ts';
import type { StoreFactory, StoreUnderTest } from './stores.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

const open: StoreUnderTest[] = [];
/** Closes the stores the tests of a file opened (call once per suite). */
export function closeStoresAfterEach(): void {
  afterEach(async () => {
    for (const item of open.splice(0)) await item.close();
  });
}

export async function useCasesOn(
  factory: StoreFactory,
  options: { config?: Config; enricher?: LeadEnricher; decorate?: (repositories: ReadTx) => ReadTx; arrivals?: LeadRouterDeps['arrivals'] } = {},
) {
  const opened = await factory(options.decorate ? { decorate: options.decorate } : {});
  open.push(opened);
  const { store } = opened;
  const config = options.config ?? routingConfig();
  const settings = () => config;
  const clock = new FakeClock('2026-11-24T14:00:00Z'); // a Tuesday, 14:00 UTC
  const published: AppEvent[] = [];
  const failures: unknown[] = [];
  const events = createEventBus((error) => failures.push(error));
  for (const type of ['effectsQueued', 'leadChanged', 'homeTouched', 'deliveryFailed'] as const) events.subscribe(type, (event) => void published.push(event));
  const enricher = options.enricher ?? createLeadEnricher({ companies: null, webhook: null });
  const router = createLeadRouter({ uow: store.uow, clock, settings, events, logger: silent, enricher, ...(options.arrivals ? { arrivals: options.arrivals } : {}) });
  const lifecycle = createOfferLifecycle({ uow: store.uow, router, clock, settings, events, logger: silent });
  const availability = createAvailability({ uow: store.uow, lifecycle, router, clock, events, logger: silent });
  const accept = createAcceptLead({ uow: store.uow, clock, config: settings, router, events });
  const { uow } = store;

  return {
    store,
    uow,
    clock,
    config,
    events,
    published,
    failures,
    router,
    lifecycle,
    availability,
    accountOwners: createAccountOwners({ uow, clock, settings, logger: silent }),
    recordSignal: createRecordSignal({ uow, router, clock, settings, events }),
    accept,
    /** Stores a lead without routing it (an intake with no router). */
    acceptOnly: createAcceptLead({ uow, clock, config: settings }),
    views: createLeadViews(store),

    /** A new lead, accepted and routed (POST /leads routes it with its intake, or after the answer: this waits for that); its id. */
    async add(lead: Partial<Lead>, request: { idempotencyKey?: string; requestHash?: string } = {}): Promise<number> {
      const result = await accept({ lead: { source: 'form', company: {}, fields: {}, ...lead } as Lead, requestHash: request.requestHash ?? String(Math.random()), idempotencyKey: request.idempotencyKey });
      if (result.status !== 'accepted') throw new Error(`not accepted: ${result.status}`);
      await router.idle();
      return result.leadId;
    },
    /** A new lead stored `received`, not routed. */
    async received(lead: Partial<Lead>): Promise<number> {
      const result = await this.acceptOnly({ lead: { source: 'form', company: {}, fields: {}, ...lead } as Lead, requestHash: String(Math.random()) });
      if (result.status !== 'accepted') throw new Error(`not accepted: ${result.status}`);
      return result.leadId;
    },
    lead: (id: number) => uow.read((tx) => tx.leads.get(id)),
    historyOf: (id: number) => uow.read(async (tx) => (await tx.leads.history(id)).map((entry) => entry.event)),
    offers: (id: number) => uow.read((tx) => tx.offers.ofLead(id)),
    pending: (id: number) => uow.read((tx) => tx.offers.pendingOfLead(id)),
    /** A write through the ports, in its own transaction. */
    write: <T>(work: (tx: Tx) => Promise<T>) => uow.run(work),
    /**
     * Everything in the outbox, in the order the worker would deliver it: due rows are claimed and
     * marked done until none is left (so a lane's later rows come out after its earlier ones).
     */
    async deliverAll(): Promise<OutboxRow[]> {
      const delivered: OutboxRow[] = [];
      for (;;) {
        const rows = await store.outboxQueue.claimDue({ now: Number.MAX_SAFE_INTEGER, limit: 100, maxPriority: PRIORITY.background, instance: 'test', leaseMs: 60_000 });
        if (rows.length === 0) return delivered;
        await uow.run(async (tx) => {
          for (const row of rows) await tx.outbox.markDone(row, null, clock.now());
        });
        delivered.push(...rows);
      }
    },
    /** Lets every pending offer run out `rounds` times (the SLA's 5 minutes each): a hot lead escalates after 3. */
    async expireRounds(rounds: number): Promise<void> {
      for (let i = 0; i < rounds; i += 1) {
        clock.advance(config.sla.claimWithin);
        await lifecycle.expireBatch(100);
      }
    },
    /** The names of the lead events told after commit so far. */
    told: () => published.flatMap((event) => (event.type === 'leadChanged' ? [event.event.event] : [])),
  };
}

export type UseCasesUnderTest = Awaited<ReturnType<typeof useCasesOn>>;
