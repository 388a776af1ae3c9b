/**
 * Routing's share of the time during a burst (src/app/routeArrivals.ts): after each batch of
 * arrivals, while more keep coming or a backlog still waits, routing pauses so that it takes at
 * most its share (intake and the delivery of the cards already routed go first); with nothing left
 * it does not pause; with a share of 1 (PostgreSQL, whose batches wait on the database, not on the
 * thread) it never pauses. The batch's time and the pause are injected: no wall clock.
 */
import { describe, expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { createEventBus } from '../../src/app/events.ts';
import { ARRIVAL_BATCH, ROUTING_SHARE_UNDER_BURST } from '../../src/app/routeArrivals.ts';
import { createLeadRouter } from '../../src/app/routeLead.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../src/adapters/sqlite/sqliteStore.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { configFrom } from '../support/botHarness.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { ROUTING_YAML } from '../support/routingConfig.ts';

/** Each batch "takes" 10 ms on the injected clock; the pauses asked for are recorded (and not waited). */
async function burst(leads: number, routingShare?: number) {
  const db = openDatabase(':memory:');
  const { uow } = sqliteStore(db);
  const config = configFrom(ROUTING_YAML);
  const clock = new FakeClock('2026-11-24T14:00:00Z');
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const events = createEventBus(() => undefined);
  let ms = 0;
  const pauses: number[] = [];
  const shareTiming = {
    now: () => (ms += 5),
    pause: async (wait: number) => void pauses.push(wait),
  };
  const router = createLeadRouter({ uow, clock, settings: () => config, events, logger: silent, arrivals: { shareTiming, ...(routingShare === undefined ? {} : { routingShare }) } });
  const accept = createAcceptLead({ uow, clock, config: () => config, router, events });
  const lead = (i: number) => ({ source: 'form', email: `lead${i}@northwind${i}.example`, company: {}, fields: {}, score: 60 }) as Lead;
  const results = await Promise.all(Array.from({ length: leads }, (_, i) => accept({ lead: lead(i), requestHash: String(i) })));
  await router.idle();
  const routed = (db.prepare(`SELECT count(*) AS n FROM leads WHERE state != 'received'`).get() as { n: number }).n;
  db.close();
  return { accepted: results.filter((result) => result.status === 'accepted').length, routed, pauses };
}

describe("routing's share of the time during a burst", () => {
  it('pauses after each batch while a backlog waits, for the rest of the time its share leaves, and not after the last', async () => {
    const leads = ARRIVAL_BATCH * 2 + 22;
    const { accepted, routed, pauses } = await burst(leads);
    expect(accepted).toBe(leads);
    expect(routed).toBe(leads);
    // Three batches (64, 64, 22) of 5 ms each: a pause after the first two, none after the last.
    const expected = (5 * (1 - ROUTING_SHARE_UNDER_BURST)) / ROUTING_SHARE_UNDER_BURST;
    expect(pauses).toHaveLength(2);
    for (const pause of pauses) expect(pause).toBeCloseTo(expected, 6);
  });

  it('never pauses with a share of 1 (PostgreSQL: a batch waits on the database, the thread serves requests meanwhile)', async () => {
    const leads = ARRIVAL_BATCH * 2 + 22;
    const { routed, pauses } = await burst(leads, 1);
    expect(routed).toBe(leads);
    expect(pauses).toEqual([]);
  });

  it('does not pause after a lone arrival (a steady flow: a lead is routed at once)', async () => {
    const { routed, pauses } = await burst(1);
    expect(routed).toBe(1);
    expect(pauses).toEqual([]);
  });
});
