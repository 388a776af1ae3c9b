import { describe, expect, it } from 'vitest';
import { decideRoute, whyYou, type RoutingDecision } from '../../../src/domain/routing/index.ts';
import { buildConfig, buildLead, buildSnapshot, HOUR, MONDAY_AFTERNOON, rep, team, type LeadSpec, type SnapshotSpec } from './builders.ts';

const now = MONDAY_AFTERNOON;
const config = buildConfig({
  reps: [rep('U0ALICE', { name: 'Alice Example', capacity: 10 }), rep('U0BOB', { name: 'Bob Example' }), rep('U0CAROL', { name: 'Carol Example' }), rep('U0DAN', { capacity: 10 }), rep('U0ERIN', { capacity: 10 })],
  teams: [team('senior', ['U0ALICE', 'U0CAROL']), team('sdr', ['U0DAN', 'U0ERIN'], 'least_loaded')],
  accounts: [{ domain: 'acme.com', owner: 'U0CAROL' }],
  sequences: ['nurture'],
  rules: [
    { name: 'Named account', route: 'account_owner' },
    { name: 'Hot lead', when: { score: { gte: 80 } }, route: { team: 'senior' } },
    { name: 'Partner', when: { 'fields.partner': true }, route: { rep: 'U0BOB' } },
    { name: 'Cold lead', when: { score: { lt: 30 } }, route: { sequence: 'nurture' } },
  ],
  fallback: { team: 'sdr' },
});

function decide(lead: LeadSpec, snapshot: SnapshotSpec = {}): RoutingDecision {
  return decideRoute({ lead: buildLead(lead), config, snapshot: buildSnapshot(snapshot), now });
}

describe('whyYou', () => {
  it('names the rule, its condition and the round-robin reason', () => {
    const decision = decide({ score: 90 }, { roundRobin: { senior: { level: 1, passes: { U0ALICE: 1, U0CAROL: 2 } } } });
    expect(whyYou(decision.trace)).toBe('Hot lead (score ≥ 80) → team senior: you were furthest below your weighted share');
  });

  it('says when a round-robin tie went to the rep longest without a lead', () => {
    const decision = decide({ score: 90 }, { reps: { U0ALICE: { lastOfferAt: now - HOUR }, U0CAROL: { lastOfferAt: now - 2 * HOUR } } });
    expect(whyYou(decision.trace)).toBe('Hot lead (score ≥ 80) → team senior: you were furthest below your weighted share (tied; longest since your last lead)');
  });

  it('says when the rep was the only one available', () => {
    const decision = decide({ score: 90 }, { reps: { U0ALICE: { awayUntil: now + HOUR } } });
    expect(whyYou(decision.trace)).toBe('Hot lead (score ≥ 80) → team senior: you were the only one available');
  });

  it('tells the account owner they own the account', () => {
    expect(whyYou(decide({ company: { domain: 'acme.com' } }).trace)).toBe('You own the account acme.com');
  });

  it('says why the owner\'s team got an account lead', () => {
    const decision = decide({ company: { domain: 'acme.com' } }, { reps: { U0CAROL: { awayUntil: now + HOUR } } });
    expect(whyYou(decision.trace)).toBe(
      'Named account: owner Carol Example is unavailable (away until 2026-11-23 15:00 UTC) → team senior: you were the only one available',
    );
  });

  it('tells a pre-routed owner the source sent it', () => {
    expect(whyYou(decide({ owner: 'U0BOB' }).trace)).toBe('Pre-routed to you by the source');
  });

  it('explains a lead pre-routed to a team', () => {
    expect(whyYou(decide({ team: 'sdr' }, { reps: { U0DAN: { openLeads: 2 }, U0ERIN: { openLeads: 4 } } }).trace)).toBe(
      'Pre-routed → team sdr: fewest open leads for your capacity (2 of 10)',
    );
  });

  it('gives the fallback and the load figures for least_loaded', () => {
    expect(whyYou(decide({ score: 50 }, { reps: { U0DAN: { openLeads: 2 }, U0ERIN: { openLeads: 4 } } }).trace)).toBe(
      'Fallback → team sdr: fewest open leads for your capacity (2 of 10)',
    );
  });

  it('says when a least_loaded tie was broken by the rotation', () => {
    expect(whyYou(decide({ score: 50 }).trace)).toBe('Fallback → team sdr: fewest open leads for your capacity (0 of 10; tied, so next in the rotation)');
  });

  it('names the rule that sent the lead to a rep directly', () => {
    expect(whyYou(decide({ score: 50, fields: { partner: true } }).trace)).toBe('Partner (fields.partner = true) → you directly');
  });

  it('describes a sequence route', () => {
    expect(whyYou(decide({ score: 10 }).trace)).toBe('Cold lead (score < 30) → sequence nurture');
  });

  it('describes a queued lead', () => {
    const everyoneAway = Object.fromEntries(config.reps.map((r) => [r.id, { awayUntil: now + HOUR }]));
    expect(whyYou(decide({ score: 50 }, { reps: everyoneAway }).trace)).toBe('Queued: nobody eligible in team sdr; escalated to the escalation channel C0ESCALATE');
  });

  it('works on a trace read back from JSON', () => {
    const decision = decide({ score: 90 });
    expect(whyYou(JSON.parse(JSON.stringify(decision.trace)))).toBe(whyYou(decision.trace));
  });
});
