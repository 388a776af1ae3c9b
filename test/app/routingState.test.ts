import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRoutingState } from '../../src/app/routingState.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { AWAY_INDEFINITELY, sqliteRoutingStore } from '../../src/adapters/sqlite/sqliteRoutingStore.ts';
import type { RoutingRepository } from '../../src/app/ports.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { compileRouting, decideRoute } from '../../src/domain/routing/index.ts';
import { ROUTING_YAML, routingConfig } from '../support/routingConfig.ts';

const NOW = Date.parse('2026-11-24T14:00:00Z'); // a Tuesday, 14:00 UTC

/** The shared routing config with a daily cap and a capacity more, and the sdr team least_loaded or round_robin. */
const capsConfig = (distribution: 'round_robin' | 'least_loaded') =>
  routingConfig(
    ROUTING_YAML.replace('{ id: U0BOB, name: Bob, weight: 2 }', '{ id: U0BOB, name: Bob, weight: 2, capacity: 2 }')
      .replace('{ id: U0CAROL, name: Carol }', '{ id: U0CAROL, name: Carol, daily_cap: 2 }')
      .replace('members: [U0BOB, U0CAROL] }', `members: [U0BOB, U0CAROL], distribution: ${distribution} }`),
  );
const REPS = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN'];

/** A database holding runtime state for the reps: away, capacity overrides, claimed leads, offers today, round-robin passes. */
function databaseWith(state: {
  away: (number | null)[];
  capacity: (number | null)[];
  claimed: number[];
  offersToday: number[];
  passes: number[];
  levels: { sdr: number; senior: number };
  excluded: number[];
  owner: string | null | undefined;
}) {
  const db = openDatabase(':memory:');
  const insertLead = db.prepare(`INSERT INTO leads (source, payload, state, owner_id, received_at, updated_at) VALUES ('form', '{}', ?, ?, 0, 0)`);
  const insertOffer = db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, state, offered_at, deadline_at) VALUES (?, ?, 1, ?, ?, ?)`);
  REPS.forEach((rep, i) => {
    const away = state.away[i];
    db.prepare('INSERT INTO rep_state (rep_id, away_until, capacity_override, last_offer_at, updated_at) VALUES (?, ?, ?, ?, 0)').run(
      rep,
      away === undefined ? null : away,
      state.capacity[i] ?? null,
      NOW - (i + 1) * 60_000,
    );
    for (let k = 0; k < (state.claimed[i] ?? 0); k += 1) insertLead.run('claimed', rep);
    const lead = Number(insertLead.run('offered', null).lastInsertRowid);
    for (let k = 0; k < (state.offersToday[i] ?? 0); k += 1) insertOffer.run(lead, rep, 'expired', NOW - 3_600_000, NOW);
    insertOffer.run(lead, rep, 'expired', NOW - 2 * 86_400_000, NOW); // yesterday: does not count
  });
  const passes = db.prepare('INSERT INTO round_robin_passes (team_id, rep_id, pass) VALUES (?, ?, ?)');
  passes.run('sdr', 'U0BOB', state.passes[1] ?? 0);
  passes.run('sdr', 'U0CAROL', state.passes[2] ?? 0);
  passes.run('senior', 'U0ALICE', state.passes[0] ?? 0);
  db.prepare(`INSERT INTO round_robin_levels (team_id, level) VALUES ('sdr', ?), ('senior', ?)`).run(state.levels.sdr, state.levels.senior);
  if (state.owner !== undefined) db.prepare(`INSERT INTO account_owners (domain, owner_id, set_by, set_at) VALUES ('acme.com', ?, 'U0MGR', 0)`).run(state.owner);
  const leadId = Number(insertLead.run('received', null).lastInsertRowid);
  for (const i of state.excluded) insertOffer.run(leadId, REPS[i], 'passed', NOW - 60_000, NOW);
  return { db, leadId };
}

const stateArbitrary = fc.record({
  away: fc.array(fc.constantFrom(null, NOW - 1, NOW + 3_600_000, AWAY_INDEFINITELY), { minLength: 4, maxLength: 4 }),
  capacity: fc.array(fc.constantFrom(null, 0, 1, 5), { minLength: 4, maxLength: 4 }),
  claimed: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  offersToday: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  passes: fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }),
  levels: fc.record({ sdr: fc.double({ min: 0, max: 5, noNaN: true }), senior: fc.double({ min: 0, max: 5, noNaN: true }) }),
  excluded: fc.subarray([0, 1, 2, 3]),
  owner: fc.constantFrom(undefined, null, 'U0ALICE', 'U0DAN'),
});

const leadArbitrary = fc.record({
  source: fc.constant('form' as const),
  email: fc.constantFrom('jane@acme.com', 'joe@beta.io', 'amy@gmail.com'),
  score: fc.integer({ min: 0, max: 100 }),
  company: fc.constant({}),
  fields: fc.constantFrom({}, { shift: 'night' }),
  owner: fc.constantFrom(undefined, 'U0BOB', 'alice@example.com', 'U0NOBODY'),
  team: fc.constantFrom(undefined, 'sdr', 'night'),
});

const domainOf = (lead: { email: string }) => {
  const domain = lead.email.split('@')[1] ?? null;
  return domain === 'gmail.com' ? null : domain;
};

async function decideBothWays(config: Config, store: RoutingRepository, lead: Lead, leadId: number) {
  const domain = domainOf(lead as { email: string });
  const routing = compileRouting(config);
  const leadState = await store.loadLeadState({ id: leadId, domain });
  const snapshot = { ...(await store.loadTeamState(config, NOW)), ...leadState };
  const full = decideRoute({ lead, domain, config: routing, snapshot, now: NOW });
  const loaded = await createRoutingState(store, config).decide({ lead, domain, routing, leadState, now: NOW });
  return { full, loaded };
}

/** The shared routing config's database with every pass at 0: the sdr team (Bob weight 2, Carol 1) serves a 50-point lead. */
const sdrDatabase = () => databaseWith({ away: [], capacity: [], claimed: [], offersToday: [], passes: [0, 0, 0, 0], levels: { sdr: 0, senior: 0 }, excluded: [], owner: undefined });

/**
 * Offers a 50-point lead `offers` times through a batch's routing `state`, writing each offer to
 * the store as routing does; after each, the batch's next decision must be what a routing state
 * loaded afresh from the store decides. The reps chosen, in order.
 */
async function offerInTurn(input: { db: ReturnType<typeof openDatabase>; leadId: number; store: RoutingRepository; state: ReturnType<typeof createRoutingState>; offers: number }): Promise<string[]> {
  const { db, leadId, store, state } = input;
  const config = routingConfig();
  const routing = compileRouting(config);
  const lead = { source: 'form', email: 'joe@beta.io', score: 50, company: {}, fields: {} } as Lead;
  const leadState = await store.loadLeadState({ id: leadId, domain: 'beta.io' });
  const chosen: string[] = [];
  for (let i = 0; i < input.offers; i += 1) {
    const decision = await state.decide({ lead, domain: 'beta.io', routing, leadState, now: NOW + i });
    if (decision.kind !== 'rep') throw new Error('expected a rep');
    chosen.push(decision.repId);
    state.offerMade(decision, NOW + i);
    if (decision.roundRobin) await store.saveRoundRobin(decision.roundRobin);
    await store.recordOfferMade(decision.repId, NOW + i);
    db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, state) VALUES (?, ?, 1, ?, ?, 'expired')`).run(leadId, decision.repId, NOW + i, NOW);
    const fresh = await createRoutingState(store, config).decide({ lead, domain: 'beta.io', routing, leadState, now: NOW + i + 1 });
    expect(await state.decide({ lead, domain: 'beta.io', routing, leadState, now: NOW + i + 1 })).toEqual(fresh);
  }
  return chosen;
}

describe('createRoutingState', () => {
  it('decides exactly as the full snapshot does: same rep, same round-robin update, same trace', async () => {
    const configs = { round_robin: capsConfig('round_robin'), least_loaded: capsConfig('least_loaded') };
    await fc.assert(
      fc.asyncProperty(stateArbitrary, leadArbitrary, fc.constantFrom('round_robin' as const, 'least_loaded' as const), async (state, raw, distribution) => {
        const config = configs[distribution];
        const { db, leadId } = databaseWith(state);
        const lead = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined)) as unknown as Lead;
        const { full, loaded } = await decideBothWays(config, sqliteRoutingStore(db), lead, leadId);
        expect(loaded).toEqual(full);
        db.close();
      }),
      { numRuns: 150 },
    );
  });

  it('reads only the reps and teams the decision looks at', async () => {
    const config = routingConfig();
    const { db, leadId } = databaseWith({ away: [], capacity: [], claimed: [], offersToday: [], passes: [], levels: { sdr: 0, senior: 0 }, excluded: [], owner: undefined });
    const store = sqliteRoutingStore(db);
    const asked: { reps: string[]; teams: string[] } = { reps: [], teams: [] };
    const spy: RoutingRepository = {
      ...store,
      loadReps: (c, ids, now) => {
        asked.reps.push(...ids);
        return store.loadReps(c, ids, now);
      },
      loadRoundRobin: (ids) => {
        asked.teams.push(...ids);
        return store.loadRoundRobin(ids);
      },
    };
    // A hot lead from a domain without an owner: the account rule has nobody to try, the senior team serves it.
    const lead = { source: 'form', email: 'jane@beta.io', score: 90, company: {}, fields: {} } as Lead;
    const decision = await createRoutingState(spy, config).decide({ lead, domain: 'beta.io', routing: compileRouting(config), leadState: await store.loadLeadState({ id: leadId, domain: 'beta.io' }), now: NOW });
    expect(decision).toMatchObject({ kind: 'rep', repId: 'U0ALICE', teamId: 'senior' });
    expect(asked).toEqual({ reps: ['U0ALICE'], teams: ['senior'] });
  });

  it('keeps a batch\'s loaded state what the database would say after each offer it makes', async () => {
    const { db, leadId } = sdrDatabase();
    const store = sqliteRoutingStore(db);
    // Three leads for the sdr team (Bob weight 2, Carol 1): the batch's memory and the stored state give the same choices.
    const chosen = await offerInTurn({ db, leadId, store, state: createRoutingState(store, routingConfig()), offers: 3 });
    expect(chosen.sort()).toEqual(['U0BOB', 'U0BOB', 'U0CAROL']);
  });

  it('never changes a team state the store gave it: copies it at the batch\'s first offer to the team, then moves its own copy', async () => {
    const { db, leadId } = sdrDatabase();
    const store = sqliteRoutingStore(db);
    /** Passes that refuse to change: what a store's cache hands out is shared. */
    class FixedPasses extends Map<string, number> {
      sealed = false;
      override set(key: string, value: number): this {
        if (this.sealed) throw new Error(`the store's passes were changed (${key} = ${value})`);
        return super.set(key, value);
      }
    }
    const given: { level: number; passes: FixedPasses }[] = [];
    const spy: RoutingRepository = {
      ...store,
      loadRoundRobin: async (ids) => {
        const loaded = await store.loadRoundRobin(ids);
        return new Map(
          [...loaded].map(([id, team]) => {
            const passes = new FixedPasses(team.passes);
            passes.sealed = true;
            const state = Object.freeze({ level: team.level, passes });
            given.push(state);
            return [id, state];
          }),
        );
      },
    };
    const chosen = await offerInTurn({ db, leadId, store, state: createRoutingState(spy, routingConfig()), offers: 6 });
    // Bob (weight 2) twice as often as Carol, from passes the store gave once and the batch then kept.
    expect(chosen.filter((rep) => rep === 'U0BOB')).toHaveLength(4);
    expect(given.map((team) => [...team.passes.values()].every((pass) => pass === 0))).toEqual(given.map(() => true));
  });
});
