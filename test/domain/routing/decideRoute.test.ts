import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.ts';
import { compileRouting, decideRoute, type RoutingDecision, type RoutingSnapshot } from '../../../src/domain/routing/index.ts';
import { buildConfig, buildLead, buildSnapshot, HOUR, MONDAY_AFTERNOON, rep, Simulation, team, type ConfigSpec, type LeadSpec, type SnapshotSpec } from './builders.ts';

const now = MONDAY_AFTERNOON;

/** Like the example config: senior and enterprise share Alice; sdr is the fallback desk. */
function exampleSpec(): ConfigSpec {
  return {
    reps: [
      rep('U0ALICE', { name: 'Alice Example', capacity: 10, weight: 2 }),
      rep('U0BOB', { name: 'Bob Example', capacity: 10 }),
      rep('U0CAROL', { name: 'Carol Example', capacity: 15 }),
      rep('U0DAN', { name: 'Dan Example', capacity: 25 }),
      rep('U0ERIN', { name: 'Erin Example', capacity: 25 }),
      rep('U0FRANK', { name: 'Frank Example' }),
    ],
    teams: [team('senior', ['U0ALICE', 'U0CAROL']), team('enterprise', ['U0ALICE', 'U0BOB'], 'least_loaded'), team('sdr', ['U0DAN', 'U0ERIN'])],
    accounts: [{ domain: 'acme.com', owner: 'U0CAROL' }, { domain: 'globex.com', owner: 'U0FRANK' }],
    sequences: ['nurture'],
    rules: [
      { name: 'Named account', route: 'account_owner' },
      { name: 'Hot lead', when: { score: { gte: 80 } }, route: { team: 'senior' } },
      { name: 'EMEA enterprise', when: { 'company.employees': { gte: 1000 }, 'company.country': { in: ['DE', 'FR', 'GB'] } }, route: { team: 'enterprise' } },
      { name: 'Cold lead', when: { score: { lt: 30 } }, route: { sequence: 'nurture' } },
    ],
    fallback: { team: 'sdr' },
  };
}

const example = buildConfig(exampleSpec());

function decide(leadSpec: LeadSpec, snapshotSpec: SnapshotSpec = {}, config: Config = example, domain?: string | null): RoutingDecision {
  return decideRoute({ lead: buildLead(leadSpec), config, snapshot: buildSnapshot(snapshotSpec), now, ...(domain === undefined ? {} : { domain }) });
}

function repOf(decision: RoutingDecision): string | null {
  return decision.kind === 'rep' ? decision.repId : null;
}

const away = { awayUntil: now + HOUR };

describe('decideRoute: rules', () => {
  it('sends a lead to the team of the first rule that matches', () => {
    const decision = decide({ score: 90 });
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'senior', rule: 'Hot lead' });
  });

  it('tries the rules top to bottom, recording those that did not match', () => {
    const decision = decide({ score: 50, company: { employees: 5000, country: 'FR' } });
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'enterprise', rule: 'EMEA enterprise' });
    expect(decision.trace.rules.map((rule) => [rule.name, rule.matched])).toEqual([
      ['Named account', true],
      ['Hot lead', false],
      ['EMEA enterprise', true],
    ]);
  });

  it('matches every lead with a rule that has no condition', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [{ name: 'Everyone', route: { team: 'senior' } }] });
    expect(decide({ score: 1 }, {}, config)).toMatchObject({ kind: 'rep', teamId: 'senior', rule: 'Everyone' });
  });

  it('sends a lead that matches no rule to the fallback team', () => {
    const decision = decide({ score: 50 });
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'sdr', rule: 'fallback' });
    expect(decision.trace.fired).toEqual({ by: 'fallback' });
  });

  it('falls through a matched rule whose team has nobody eligible to the next rule that matches', () => {
    const decision = decide({ score: 90, company: { employees: 5000, country: 'DE' } }, { reps: { U0ALICE: away, U0CAROL: away } });
    expect(decision).toMatchObject({ kind: 'rep', repId: 'U0BOB', teamId: 'enterprise', rule: 'EMEA enterprise' });
    expect(decision.trace.rules[1]).toMatchObject({ name: 'Hot lead', matched: true, served: false, notServed: 'nobody eligible in team senior' });
  });

  it('sends a lead to the fallback team when the matched team has nobody eligible', () => {
    const decision = decide({ score: 90 }, { reps: { U0ALICE: away, U0CAROL: away } });
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'sdr', rule: 'fallback' });
  });

  it('sends a lead to a sequence without looking at anyone\'s availability', () => {
    const everyoneAway = Object.fromEntries(example.reps.map((r) => [r.id, away]));
    const decision = decide({ score: 10 }, { reps: everyoneAway });
    expect(decision).toMatchObject({ kind: 'sequence', sequenceId: 'nurture', rule: 'Cold lead' });
  });

  it('sends a lead to a rule\'s rep when they are eligible', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [{ name: 'Partners', when: { 'fields.partner': true }, route: { rep: 'U0FRANK' } }] });
    expect(decide({ fields: { partner: true } }, {}, config)).toMatchObject({ kind: 'rep', repId: 'U0FRANK', teamId: null, rule: 'Partners' });
  });

  it('falls through a rule whose rep is not eligible', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [{ name: 'Partners', when: { 'fields.partner': true }, route: { rep: 'U0FRANK' } }] });
    const decision = decide({ fields: { partner: true } }, { reps: { U0FRANK: away } }, config);
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'sdr', rule: 'fallback' });
    expect(decision.trace.rules[0]?.notServed).toBe('U0FRANK is not eligible: away until 2026-11-23 15:00 UTC');
  });

  it('sends a lead to a fallback rep', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [], fallback: { rep: 'U0FRANK' } });
    expect(decide({}, {}, config)).toMatchObject({ kind: 'rep', repId: 'U0FRANK', teamId: null, rule: 'fallback' });
  });

  it('sends a lead to a fallback sequence', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [], fallback: { sequence: 'nurture' } });
    expect(decide({}, {}, config)).toMatchObject({ kind: 'sequence', sequenceId: 'nurture', rule: 'fallback' });
  });

  it('gives the same decision for a compiled config', () => {
    const lead = buildLead({ score: 90, company: { domain: 'acme.com' } });
    const snapshot = buildSnapshot({ reps: { U0CAROL: away } });
    expect(decideRoute({ lead, config: compileRouting(example), snapshot, now })).toEqual(decideRoute({ lead, config: example, snapshot, now }));
  });
});

describe('decideRoute: the holding queue', () => {
  const sdrAway = { U0DAN: away, U0ERIN: away };

  it('queues a lead when the fallback team has nobody eligible either, naming the team that had nobody last (the fallback)', () => {
    const decision = decide({ score: 90 }, { reps: { U0ALICE: away, U0CAROL: away, ...sdrAway } });
    expect(decision).toEqual({ kind: 'queued', teamId: 'sdr', trace: expect.anything() });
    expect(decision.trace.fired).toBeNull();
    expect(decision.trace.outcome).toEqual({ kind: 'queued', teamId: 'sdr', escalateTo: { kind: 'channel', channelId: 'C0ESCALATE' } });
  });

  it('records that the escalation goes to the team manager by DM when there is no escalation channel', () => {
    const config = buildConfig({ ...exampleSpec() });
    const withoutChannel = { ...config, escalation: undefined, teams: config.teams.map((t) => ({ ...t, manager: t.id === 'sdr' ? 'U0DAN' : 'U0ALICE' })) };
    const decision = decide({ score: 90 }, { reps: { U0ALICE: away, U0CAROL: away, ...sdrAway } }, withoutChannel);
    expect(decision.trace.outcome).toEqual({ kind: 'queued', teamId: 'sdr', escalateTo: { kind: 'manager', userId: 'U0DAN', teamId: 'sdr' } });
  });

  it('names the fallback team when no rule matched', () => {
    expect(decide({ score: 50 }, { reps: sdrAway })).toMatchObject({ kind: 'queued', teamId: 'sdr' });
  });

  it('names the fallback rep\'s team when the fallback is a rep', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [], fallback: { rep: 'U0DAN' } });
    expect(decide({}, { reps: { U0DAN: away } }, config)).toMatchObject({ kind: 'queued', teamId: 'sdr' });
  });

  it('names no team when no team was involved', () => {
    const config = buildConfig({ ...exampleSpec(), rules: [], fallback: { rep: 'U0FRANK' } });
    expect(decide({}, { reps: { U0FRANK: away } }, config)).toMatchObject({ kind: 'queued', teamId: null });
  });
});

describe('decideRoute: account_owner', () => {
  it('sends a lead to the owner of its account in the config', () => {
    expect(decide({ company: { domain: 'acme.com' } })).toMatchObject({ kind: 'rep', repId: 'U0CAROL', teamId: null, rule: 'Named account' });
  });

  it('finds the account by the e-mail domain when no domain is given', () => {
    expect(decide({ email: 'jane@acme.com' })).toMatchObject({ kind: 'rep', repId: 'U0CAROL' });
  });

  it('uses the domain passed in', () => {
    expect(decide({}, {}, example, 'ACME.com')).toMatchObject({ kind: 'rep', repId: 'U0CAROL' });
    expect(decide({ company: { domain: 'acme.com' } }, {}, example, null)).toMatchObject({ rule: 'fallback' });
  });

  it('lets an owner set at runtime win over the config', () => {
    expect(decide({ company: { domain: 'acme.com' } }, { accountOwners: { 'acme.com': 'U0BOB' } })).toMatchObject({ repId: 'U0BOB', rule: 'Named account' });
  });

  it('routes by the runtime owner for a domain the config does not list', () => {
    expect(decide({ company: { domain: 'initech.com' } }, { accountOwners: { 'initech.com': 'U0ERIN' } })).toMatchObject({ repId: 'U0ERIN', rule: 'Named account' });
  });

  it('moves on to the next rule when the owner was cleared at runtime', () => {
    const decision = decide({ score: 90, company: { domain: 'acme.com' } }, { accountOwners: { 'acme.com': null } });
    expect(decision).toMatchObject({ teamId: 'senior', rule: 'Hot lead' });
    expect(decision.trace.rules[0]).toMatchObject({ account: { domain: 'acme.com', owner: null, source: 'cleared' }, served: false });
  });

  it('moves on to the next rule when the domain has no owner', () => {
    const decision = decide({ score: 90, company: { domain: 'initech.com' } });
    expect(decision).toMatchObject({ rule: 'Hot lead' });
    expect(decision.trace.rules[0]?.notServed).toBe('initech.com has no account owner');
  });

  it('moves on to the next rule when the lead has no company domain', () => {
    const decision = decide({ score: 90, email: 'jane@gmail.com' });
    expect(decision).toMatchObject({ rule: 'Hot lead' });
    expect(decision.trace.rules[0]?.notServed).toBe('the lead has no company domain');
  });

  it('gives the lead to the owner\'s team when the owner is not eligible', () => {
    const decision = decide({ company: { domain: 'acme.com' } }, { reps: { U0CAROL: away } });
    expect(decision).toMatchObject({ kind: 'rep', repId: 'U0ALICE', teamId: 'senior', rule: 'Named account' });
    expect(decision.trace.outcome).toEqual({ kind: 'rep', repId: 'U0ALICE', teamId: 'senior', via: 'team' });
  });

  it('moves on to the next rule when nobody in the owner\'s team is eligible', () => {
    const decision = decide({ company: { domain: 'acme.com' } }, { reps: { U0CAROL: away, U0ALICE: away } });
    expect(decision).toMatchObject({ rule: 'fallback', teamId: 'sdr' });
  });

  it('moves on to the next rule when the ineligible owner is in no team', () => {
    const decision = decide({ company: { domain: 'globex.com' } }, { reps: { U0FRANK: away } });
    expect(decision).toMatchObject({ rule: 'fallback' });
    expect(decision.trace.rules[0]?.notServed).toContain('they are in no team');
  });
});

describe('decideRoute: pre-routed leads', () => {
  it('sends a lead to the owner it names, skipping the rules', () => {
    const decision = decide({ owner: 'U0BOB', score: 90, company: { domain: 'acme.com' } });
    expect(decision).toMatchObject({ kind: 'rep', repId: 'U0BOB', teamId: null, rule: 'pre-routed' });
    expect(decision.trace.rules).toEqual([]);
    expect(decision.trace.fired).toEqual({ by: 'pre-routed' });
  });

  it('accepts an owner named by e-mail', () => {
    const config = buildConfig({ ...exampleSpec(), reps: [rep('U0ALICE', { email: 'alice@example.com' }), 'U0BOB', 'U0CAROL', 'U0DAN', 'U0ERIN', 'U0FRANK'] });
    expect(decide({ owner: 'Alice@Example.com' }, {}, config)).toMatchObject({ repId: 'U0ALICE', rule: 'pre-routed' });
  });

  it('gives the lead to the owner\'s first team when the owner is not eligible', () => {
    const decision = decide({ owner: 'U0ALICE' }, { reps: { U0ALICE: away } });
    expect(decision).toMatchObject({ kind: 'rep', repId: 'U0CAROL', teamId: 'senior', rule: 'pre-routed' });
  });

  it('prefers the lead\'s team over the owner\'s when the owner is not eligible', () => {
    const decision = decide({ owner: 'U0ALICE', team: 'sdr' }, { reps: { U0ALICE: away } });
    expect(decision).toMatchObject({ teamId: 'sdr', rule: 'pre-routed' });
  });

  it('sends a lead naming a team to that team\'s distribution', () => {
    const decision = decide({ team: 'enterprise', score: 90 });
    expect(decision).toMatchObject({ kind: 'rep', teamId: 'enterprise', rule: 'pre-routed' });
    expect(decision.trace.preRouted).toMatchObject({ team: 'enterprise', served: true });
  });

  it('sends a lead to the fallback when its team has nobody eligible', () => {
    const decision = decide({ team: 'senior' }, { reps: { U0ALICE: away, U0CAROL: away } });
    expect(decision).toMatchObject({ teamId: 'sdr', rule: 'fallback' });
  });

  it('queues a pre-routed lead when the fallback has nobody either, naming the last team tried', () => {
    const decision = decide({ team: 'senior' }, { reps: { U0ALICE: away, U0CAROL: away, U0DAN: away, U0ERIN: away } });
    expect(decision).toMatchObject({ kind: 'queued', teamId: 'sdr' });
  });

  it('sends a lead naming an unknown team to the fallback', () => {
    const decision = decide({ team: 'nobody' });
    expect(decision).toMatchObject({ teamId: 'sdr', rule: 'fallback' });
    expect(decision.trace.preRouted?.notServed).toBe('there is no team nobody');
  });
});

describe('decideRoute: round_robin', () => {
  const config = buildConfig({
    reps: [rep('U0ANN', { weight: 2 }), 'U0BEN', 'U0CAT'],
    teams: [team('desk', ['U0ANN', 'U0BEN', 'U0CAT'])],
    fallback: { team: 'desk' },
  });
  const route = (snapshot: SnapshotSpec) => decide({}, snapshot, config);

  it('gives the lead to the member with the lowest pass', () => {
    expect(repOf(route({ roundRobin: { desk: { level: 1, passes: { U0ANN: 2, U0BEN: 1.5, U0CAT: 3 } } } }))).toBe('U0BEN');
  });

  it('returns the new pass (one stride of 1/weight on) and the new team level', () => {
    const decision = route({ roundRobin: { desk: { level: 1, passes: { U0ANN: 1.25, U0BEN: 2, U0CAT: 3 } } } });
    expect(decision).toMatchObject({ repId: 'U0ANN', roundRobin: { teamId: 'desk', repId: 'U0ANN', pass: 1.75, level: 1.25 } });
  });

  it('starts a member without a pass at the team level', () => {
    const decision = route({ roundRobin: { desk: { level: 4, passes: { U0ANN: 5, U0BEN: 4.5 } } } });
    expect(decision).toMatchObject({ repId: 'U0CAT', roundRobin: { pass: 5, level: 4 } });
  });

  it('lifts a member whose pass fell behind the team level up to it, so time away is not made up', () => {
    const decision = route({ roundRobin: { desk: { level: 10, passes: { U0ANN: 10.5, U0BEN: 2, U0CAT: 10.5 } } } });
    expect(decision).toMatchObject({ repId: 'U0BEN', roundRobin: { pass: 11, level: 10 } });
    expect(decision.trace.rules).toEqual([]);
  });

  it('breaks a tie by the longest time since the last offer, never offered first', () => {
    const passes = { roundRobin: { desk: { level: 1, passes: { U0ANN: 1, U0BEN: 1, U0CAT: 1 } } } };
    expect(repOf(route({ ...passes, reps: { U0ANN: { lastOfferAt: now - 60_000 }, U0BEN: { lastOfferAt: now - 120_000 }, U0CAT: { lastOfferAt: now - 30_000 } } }))).toBe('U0BEN');
    expect(repOf(route({ ...passes, reps: { U0ANN: { lastOfferAt: now - 60_000 }, U0BEN: { lastOfferAt: now - 120_000 } } }))).toBe('U0CAT');
  });

  it('breaks a full tie by config order', () => {
    expect(repOf(route({}))).toBe('U0ANN');
  });

  it('skips members who are not eligible', () => {
    expect(repOf(route({ reps: { U0ANN: away }, excluded: ['U0BEN'] }))).toBe('U0CAT');
  });

  it('shares leads by weight', () => {
    const simulation = new Simulation();
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i += 1) {
      const decision = decideRoute({ lead: buildLead(), config, snapshot: simulation.snapshot(), now: now + i * 60_000 });
      simulation.apply(decision, now + i * 60_000);
      const id = repOf(decision) ?? 'none';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ U0ANN: 20, U0BEN: 10, U0CAT: 10 });
  });

  it('hands out leads in a steady rotation, not in bursts', () => {
    const simulation = new Simulation();
    const order: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const decision = decideRoute({ lead: buildLead(), config, snapshot: simulation.snapshot(), now: now + i * 60_000 });
      simulation.apply(decision, now + i * 60_000);
      order.push(repOf(decision) ?? 'none');
    }
    expect(order).toEqual(['U0ANN', 'U0BEN', 'U0CAT', 'U0ANN', 'U0BEN', 'U0CAT', 'U0ANN', 'U0ANN']);
  });
});

describe('decideRoute: least_loaded', () => {
  const config = buildConfig({
    reps: [rep('U0ANN', { capacity: 10 }), rep('U0BEN', { capacity: 5 }), rep('U0CAT')],
    teams: [team('desk', ['U0ANN', 'U0BEN', 'U0CAT'], 'least_loaded')],
    fallback: { team: 'desk' },
  });
  const route = (snapshot: SnapshotSpec) => decide({}, snapshot, config);

  it('gives the lead to the member with the fewest open leads relative to capacity', () => {
    // 3/10 < 2/5 < 5/10 (Cat, unlimited, counts with the team's largest capacity, 10).
    expect(repOf(route({ reps: { U0ANN: { openLeads: 3 }, U0BEN: { openLeads: 2 }, U0CAT: { openLeads: 5 } } }))).toBe('U0ANN');
  });

  it('counts a member with unlimited capacity with the team\'s largest capacity', () => {
    expect(repOf(route({ reps: { U0ANN: { openLeads: 3 }, U0BEN: { openLeads: 2 }, U0CAT: { openLeads: 2 } } }))).toBe('U0CAT');
  });

  it('measures against a runtime capacity override', () => {
    expect(repOf(route({ reps: { U0ANN: { openLeads: 3, capacityOverride: 4 }, U0BEN: { openLeads: 2 }, U0CAT: { openLeads: 5 } } }))).toBe('U0BEN');
  });

  it('breaks a load tie by the round-robin order and still returns the round-robin update', () => {
    // 2/10 and 1/5 are the same load; Ben has the lower pass.
    const decision = route({
      reps: { U0ANN: { openLeads: 2 }, U0BEN: { openLeads: 1 }, U0CAT: { openLeads: 9 } },
      roundRobin: { desk: { level: 1, passes: { U0ANN: 2, U0BEN: 1 } } },
    });
    expect(decision).toMatchObject({ repId: 'U0BEN', roundRobin: { teamId: 'desk', repId: 'U0BEN', pass: 2, level: 1 } });
    const attempt = decision.trace.fallback?.attempts[0];
    expect(attempt?.kind === 'team' ? attempt.choice : undefined).toMatchObject({ by: 'least_loaded', tie: 'round_robin', open: 1, capacity: 5 });
  });

  it('breaks a load and pass tie by the longest time since the last offer', () => {
    const decision = route({ reps: { U0ANN: { lastOfferAt: now - 1000 }, U0BEN: { lastOfferAt: now - 5000 }, U0CAT: { lastOfferAt: now } } });
    expect(repOf(decision)).toBe('U0BEN');
  });

  it('rotates among equally loaded members', () => {
    const simulation = new Simulation();
    const order: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const decision = decideRoute({ lead: buildLead(), config, snapshot: simulation.snapshot(), now: now + i });
      simulation.apply(decision, now + i);
      order.push(repOf(decision) ?? 'none');
    }
    expect(order).toEqual(['U0ANN', 'U0BEN', 'U0CAT']);
  });
});

describe('decideRoute: the trace', () => {
  function snapshotWithEveryReason(): SnapshotSpec {
    return {
      reps: {
        U0ANN: { awayUntil: now + 2 * HOUR },
        U0CAT: { openLeads: 10 },
        U0DEE: { openLeads: 1, capacityOverride: 1 },
        U0EVE: { offersToday: 20 },
      },
      excluded: ['U0FAY'],
    };
  }
  const config = buildConfig({
    reps: [
      rep('U0ANN', { name: 'Ann' }),
      rep('U0BEN', { hours: 'Mon-Fri 09:00-17:00', timezone: 'America/Los_Angeles' }),
      rep('U0CAT', { capacity: 10 }),
      rep('U0DEE', { capacity: 10 }),
      rep('U0EVE', { daily_cap: 20 }),
      'U0FAY',
      'U0GUS',
    ],
    teams: [team('desk', ['U0ANN', 'U0BEN', 'U0CAT', 'U0DEE', 'U0EVE', 'U0FAY', 'U0GUS'])],
    rules: [
      { name: 'Hot lead', when: { score: { gte: 80 } }, route: { team: 'desk' } },
      { name: 'Never', when: { source: 'whatsapp' }, route: { team: 'desk' } },
    ],
    fallback: { team: 'desk' },
  });

  it('records each candidate with the reason they were skipped and its figures', () => {
    const decision = decide({ score: 90 }, snapshotWithEveryReason(), config);
    const attempt = decision.trace.rules[0]?.attempts?.[0];
    expect(attempt).toEqual({
      kind: 'team',
      teamId: 'desk',
      distribution: 'round_robin',
      level: 0,
      candidates: [
        { repId: 'U0ANN', name: 'Ann', skip: 'away', awayUntil: now + 2 * HOUR },
        { repId: 'U0BEN', skip: 'outside_hours', hours: 'Mon-Fri 09:00-17:00', timezone: 'America/Los_Angeles' },
        { repId: 'U0CAT', skip: 'at_capacity', open: 10, capacity: 10 },
        { repId: 'U0DEE', skip: 'at_capacity', open: 1, capacity: 1 },
        { repId: 'U0EVE', skip: 'daily_cap', today: 20, dailyCap: 20 },
        { repId: 'U0FAY', skip: 'already_offered' },
        { repId: 'U0GUS', pass: 0 },
      ],
      chosen: 'U0GUS',
      choice: { by: 'round_robin', eligible: 1, tie: null, pass: 0, nextPass: 1 },
    });
  });

  it('records the rule that fired and stops there', () => {
    const decision = decide({ score: 90 }, {}, config);
    expect(decision.trace.rules.map((rule) => rule.name)).toEqual(['Hot lead']);
    expect(decision.trace.fired).toEqual({ by: 'rule', index: 0, name: 'Hot lead', summary: 'score ≥ 80' });
    expect(decision.trace.fallback).toBeUndefined();
  });

  it('records why each rule did not match', () => {
    const decision = decide({ score: 20, source: 'form' }, {}, config);
    expect(decision.trace.rules.map((rule) => [rule.matched, rule.detail])).toEqual([
      [false, 'score 20 is not ≥ 80'],
      [false, 'source is form, not whatsapp'],
    ]);
    expect(decision.trace.fallback).toMatchObject({ route: { team: 'desk' }, served: true });
  });

  it('records the time and the domain', () => {
    const decision = decide({ company: { domain: 'Acme.com' } }, {}, config);
    expect(decision.trace).toMatchObject({ at: now, domain: 'acme.com' });
  });

  it('records an away rep without a return time as away with no end', () => {
    const decision = decide({}, { reps: { U0ANN: { awayUntil: Number.POSITIVE_INFINITY } } }, config);
    const attempt = decision.trace.fallback?.attempts[0];
    expect(attempt?.kind === 'team' ? attempt.candidates[0] : undefined).toEqual({ repId: 'U0ANN', name: 'Ann', skip: 'away', awayUntil: null });
  });

  it('is plain data that survives a JSON round trip', () => {
    const decision = decide({ score: 90 }, snapshotWithEveryReason(), config);
    expect(JSON.parse(JSON.stringify(decision.trace))).toEqual(decision.trace);
  });

  it('does not change the snapshot it is given', () => {
    const snapshot: RoutingSnapshot = buildSnapshot({ roundRobin: { desk: { level: 1, passes: { U0GUS: 1 } } } });
    decideRoute({ lead: buildLead(), config, snapshot, now });
    expect(snapshot.roundRobin.get('desk')).toEqual({ level: 1, passes: new Map([['U0GUS', 1]]) });
  });
});

describe('decideRoute: unknown names', () => {
  it('sends a lead whose pre-routed owner is not a configured rep to the fallback', () => {
    const decision = decide({ owner: 'U0STRANGER' });
    expect(decision).toMatchObject({ rule: 'fallback', teamId: 'sdr' });
    expect(decision.trace.preRouted).toMatchObject({ served: false, notServed: 'U0STRANGER is not a rep in the config', attempts: [{ kind: 'unknown', what: 'rep', id: 'U0STRANGER' }] });
  });

  it('moves on when the runtime account owner is no longer a configured rep', () => {
    const decision = decide({ score: 90, company: { domain: 'acme.com' } }, { accountOwners: { 'acme.com': 'U0GONE' } });
    expect(decision).toMatchObject({ rule: 'Hot lead' });
    expect(decision.trace.rules[0]?.notServed).toBe('U0GONE is not a rep in the config');
  });
});
