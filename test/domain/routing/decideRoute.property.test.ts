import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.ts';
import {
  checkEligibility,
  compileRouting,
  decideRoute,
  DEFAULT_REP_RUNTIME,
  formatTrace,
  whyYou,
  type CompiledRouting,
  type RoutingDecision,
} from '../../../src/domain/routing/index.ts';
import { buildConfig, buildLead, DAY, MINUTE, MONDAY_AFTERNOON, Simulation, type ConfigSpec, type LeadSpec, type RuleSpec, type SnapshotSpec, buildSnapshot } from './builders.ts';

const lead = buildLead();
const idOf = (index: number) => `U0REP${index}`;

/** A round-robin team of always-eligible members with these weights, as the only route. */
function teamConfig(weights: readonly number[]): CompiledRouting {
  const ids = weights.map((_, index) => idOf(index));
  return compileRouting(
    buildConfig({ reps: ids.map((id, index) => ({ id, weight: weights[index] })), teams: [{ id: 'desk', members: ids }], fallback: { team: 'desk' } }),
  );
}

/** Routes `count` leads one minute apart, applying each decision; returns how many each rep got. */
function flow(config: CompiledRouting, simulation: Simulation, clock: { now: number }, count: number, spacing = MINUTE): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const decision = decideRoute({ lead, config, snapshot: simulation.snapshot(), now: clock.now });
    simulation.apply(decision, clock.now);
    if (decision.kind === 'rep') counts.set(decision.repId, (counts.get(decision.repId) ?? 0) + 1);
    clock.now += spacing;
  }
  return counts;
}

const weightsArbitrary = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 8 });
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

describe('decideRoute: round_robin properties', () => {
  it('keeps each member\'s share of 10,000 leads within 2 points of their weighted share', () => {
    fc.assert(
      fc.property(weightsArbitrary, (weights) => {
        const counts = flow(teamConfig(weights), new Simulation(), { now: MONDAY_AFTERNOON }, 10_000);
        weights.forEach((weight, index) => {
          const share = (counts.get(idOf(index)) ?? 0) / 10_000;
          expect(Math.abs(share - weight / sum(weights))).toBeLessThanOrEqual(0.02);
        });
      }),
      { numRuns: 12 },
    );
  });

  it('gives a rep back from a week away no more than their share of the next 20 leads, plus 2', () => {
    fc.assert(
      fc.property(
        weightsArbitrary.chain((weights) =>
          fc.record({
            weights: fc.constant(weights),
            away: fc.nat({ max: weights.length - 1 }),
            before: fc.nat({ max: 200 }),
            during: fc.integer({ min: 1, max: 300 }),
          }),
        ),
        ({ weights, away, before, during }) => {
          const config = teamConfig(weights);
          const simulation = new Simulation();
          const clock = { now: MONDAY_AFTERNOON };
          flow(config, simulation, clock, before);
          const back = clock.now + 7 * DAY;
          simulation.runtimeOf(idOf(away)).awayUntil = back;
          const duringWeek = flow(config, simulation, clock, during, Math.floor((7 * DAY) / during));
          expect(duringWeek.get(idOf(away))).toBeUndefined();
          clock.now = Math.max(clock.now, back);
          const next = flow(config, simulation, clock, 20);
          expect(next.get(idOf(away)) ?? 0).toBeLessThanOrEqual(Math.round((weights[away] ?? 0) / sum(weights) * 20) + 2);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('starts a newly added member at the team level: no more than their share of the next 20 leads, plus 2', () => {
    fc.assert(
      fc.property(weightsArbitrary, fc.integer({ min: 1, max: 5 }), fc.nat({ max: 300 }), (weights, newWeight, before) => {
        const simulation = new Simulation();
        const clock = { now: MONDAY_AFTERNOON };
        flow(teamConfig(weights), simulation, clock, before);
        const grown = [...weights, newWeight];
        const next = flow(teamConfig(grown), simulation, clock, 20);
        expect(next.get(idOf(weights.length)) ?? 0).toBeLessThanOrEqual(Math.round((newWeight / sum(grown)) * 20) + 2);
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random configs and snapshots

const REP_COUNT = 8;
const repIds = Array.from({ length: REP_COUNT }, (_, index) => idOf(index));
const HOURS = [undefined, 'Mon-Fri 09:00-17:30', 'daily 00:00-24:00', 'Sun-Thu 22:00-06:00', 'Sat 10:00-14:00'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Tokyo'];
const CONDITIONS: (Record<string, unknown> | undefined)[] = [
  undefined,
  { score: { gte: 80 } },
  { score: { lt: 30 }, any: [{ source: 'form' }, { 'fields.plan': 'free' }] },
  { 'company.country': { in: ['DE', 'FR'] } },
  { 'company.employees': { gte: 1000 }, title: { matches: 'vp|chief' } },
  { 'fields.plan': { exists: true }, source: { ne: 'email' } },
];

const repArbitrary = fc.record({
  capacity: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  daily_cap: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  weight: fc.integer({ min: 1, max: 4 }),
  timezone: fc.constantFrom(...ZONES),
  hours: fc.constantFrom(...HOURS),
});

const targetArbitrary = (teams: number) =>
  fc.oneof(
    fc.nat({ max: teams - 1 }).map((index) => ({ team: `team${index}` })),
    fc.constantFrom(...repIds).map((rep) => ({ rep })),
    fc.constant({ sequence: 'nurture' }),
  );

const configArbitrary = fc.integer({ min: 1, max: 3 }).chain((teamCount) =>
  fc.record({
    reps: fc.array(repArbitrary, { minLength: REP_COUNT, maxLength: REP_COUNT }),
    teams: fc.array(
      fc.record({ members: fc.subarray(repIds, { minLength: 1 }), distribution: fc.constantFrom('round_robin' as const, 'least_loaded' as const) }),
      { minLength: teamCount, maxLength: teamCount },
    ),
    rules: fc.array(
      fc.record({ when: fc.constantFrom(...CONDITIONS), route: fc.oneof(fc.constant('account_owner' as const), targetArbitrary(teamCount)) }),
      { maxLength: 6 },
    ),
    accounts: fc.subarray(repIds, { maxLength: 2 }),
    fallback: targetArbitrary(teamCount),
  }),
);

type GeneratedConfig = typeof configArbitrary extends fc.Arbitrary<infer T> ? T : never;

function configFrom(generated: GeneratedConfig): Config {
  const spec: ConfigSpec = {
    reps: generated.reps.map((settings, index) => ({ id: idOf(index), ...settings })),
    teams: generated.teams.map((team, index) => ({ id: `team${index}`, ...team })),
    rules: generated.rules.map((rule, index): RuleSpec => ({ name: `rule ${index}`, route: rule.route, ...(rule.when ? { when: rule.when } : {}) })),
    accounts: generated.accounts.map((owner, index) => ({ domain: `account${index}.com`, owner })),
    sequences: ['nurture'],
    fallback: generated.fallback,
  };
  return buildConfig(spec);
}

const ownerIds = [...repIds, 'U0STRANGER'];

const snapshotArbitrary: fc.Arbitrary<SnapshotSpec> = fc.record({
  reps: fc.dictionary(
    fc.constantFrom(...repIds),
    fc.record({
      awayUntil: fc.option(fc.oneof(fc.integer({ min: -2, max: 2 }).map((hours) => MONDAY_AFTERNOON + hours * 3_600_000), fc.constant(Number.POSITIVE_INFINITY)), { nil: null }),
      capacityOverride: fc.option(fc.nat({ max: 5 }), { nil: null }),
      openLeads: fc.nat({ max: 6 }),
      offersToday: fc.nat({ max: 6 }),
      lastOfferAt: fc.option(fc.integer({ min: MONDAY_AFTERNOON - DAY, max: MONDAY_AFTERNOON }), { nil: null }),
    }),
  ),
  roundRobin: fc.dictionary(
    fc.constantFrom('team0', 'team1', 'team2'),
    fc.record({ level: fc.double({ min: 0, max: 50, noNaN: true }), passes: fc.dictionary(fc.constantFrom(...repIds), fc.double({ min: 0, max: 60, noNaN: true })) }),
  ),
  accountOwners: fc.dictionary(fc.constantFrom('account0.com', 'account1.com', 'other.com'), fc.option(fc.constantFrom(...ownerIds), { nil: null })),
  excluded: fc.subarray(repIds),
});

const leadArbitrary: fc.Arbitrary<LeadSpec> = fc.record(
  {
    source: fc.constantFrom('form' as const, 'linkedin' as const, 'email' as const),
    score: fc.integer({ min: 0, max: 100 }),
    title: fc.constantFrom('VP Sales', 'Engineer', ''),
    company: fc.record({ domain: fc.constantFrom('account0.com', 'account1.com', 'other.com'), country: fc.constantFrom('DE', 'US'), employees: fc.nat({ max: 5000 }) }, { requiredKeys: [] }),
    fields: fc.dictionary(fc.constantFrom('plan'), fc.constantFrom('free', 'enterprise')),
    owner: fc.constantFrom(...ownerIds, 'alice@example.com'),
    team: fc.constantFrom('team0', 'team1', 'nope'),
  },
  { requiredKeys: ['source', 'company', 'fields'] },
);

describe('decideRoute: properties over random configs and snapshots', () => {
  it('never picks an ineligible rep and always returns a decision', () => {
    fc.assert(
      fc.property(configArbitrary, snapshotArbitrary, leadArbitrary, fc.integer({ min: -3 * DAY, max: 3 * DAY }), (generated, snapshotSpec, leadSpec, offset) => {
        const config = configFrom(generated);
        const snapshot = buildSnapshot(snapshotSpec);
        const now = MONDAY_AFTERNOON + offset;
        const decision: RoutingDecision = decideRoute({ lead: buildLead(leadSpec), config, snapshot, now });
        expect(['rep', 'sequence', 'queued']).toContain(decision.kind);
        if (decision.kind === 'rep') {
          const chosen = config.reps.find((r) => r.id === decision.repId);
          expect(chosen).toBeDefined();
          if (chosen) expect(checkEligibility(chosen, snapshot.reps.get(chosen.id) ?? DEFAULT_REP_RUNTIME, snapshot.excludedReps, now)).toEqual({ eligible: true });
          if (decision.roundRobin) expect(decision.roundRobin).toMatchObject({ repId: decision.repId, teamId: decision.teamId });
        }
        expect(JSON.parse(JSON.stringify(decision.trace))).toEqual(decision.trace);
        expect(typeof formatTrace(decision.trace)).toBe('string');
        expect(typeof whyYou(decision.trace)).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
