import { describe, expect, it } from 'vitest';
import { decideRoute, formatTrace, storedTrace, traceFromStored, whyYou, type AttemptTrace, type RoutingDecision, type RoutingSnapshot } from '../../../src/domain/routing/index.ts';
import { buildConfig, buildLead, buildSnapshot, HOUR, MONDAY_AFTERNOON, rep, team, type SnapshotSpec } from './builders.ts';

const now = MONDAY_AFTERNOON;
const repIds = (n: number) => Array.from({ length: n }, (_, i) => `U0R${String(i).padStart(4, '0')}`);

/** One round-robin (or least-loaded) pool of `size` reps, every lead to it. */
function poolConfig(size: number, distribution: 'round_robin' | 'least_loaded' = 'round_robin') {
  const ids = repIds(size);
  return buildConfig({
    reps: ids.map((id, i) => rep(id, { name: `Rep ${i}`, capacity: 10 })),
    teams: [team('pool', ids, distribution)],
    rules: [{ name: 'Everyone', route: { team: 'pool' } }],
    fallback: { team: 'pool' },
  });
}

const teamAttempt = (decision: RoutingDecision): Extract<AttemptTrace, { kind: 'team' }> => {
  const attempt = decision.trace.rules[0]?.attempts?.[0];
  if (attempt?.kind !== 'team') throw new Error('expected a team attempt');
  return attempt;
};

function decide(size: number, snapshot: SnapshotSpec | RoutingSnapshot = {}, listAllCandidates = false, distribution: 'round_robin' | 'least_loaded' = 'round_robin') {
  const built = 'reps' in snapshot && snapshot.reps instanceof Map ? (snapshot as RoutingSnapshot) : buildSnapshot(snapshot as SnapshotSpec);
  return decideRoute({ lead: buildLead({ score: 50 }), config: poolConfig(size, distribution), snapshot: built, now, listAllCandidates });
}

describe('the stored trace of a team decision', () => {
  it('names the chosen rep and the runner-up and counts the other eligible members', () => {
    const attempt = teamAttempt(decide(400));
    expect(attempt.candidates.map((c) => c.repId)).toEqual(['U0R0000', 'U0R0001']);
    expect(attempt.chosen).toBe('U0R0000');
    expect(attempt.choice).toMatchObject({ eligible: 400, runnerUp: 'U0R0001' });
    expect(attempt.othersEligible).toBe(398);
  });

  it('lists every skipped member with the reason, whatever the size of the team', () => {
    const ids = repIds(400);
    const reps = Object.fromEntries(ids.slice(100, 130).map((id) => [id, { awayUntil: now + HOUR }]));
    const attempt = teamAttempt(decide(400, { reps }));
    const skipped = attempt.candidates.filter((c) => c.skip !== undefined);
    expect(skipped.map((c) => c.repId)).toEqual(ids.slice(100, 130));
    expect(skipped.every((c) => c.skip === 'away' && c.awayUntil === now + HOUR)).toBe(true);
    expect(attempt.othersEligible).toBe(400 - 30 - 2);
  });

  it('does not grow with the team: a 400-rep pool stores about what a 10-rep pool does', () => {
    const small = JSON.stringify(decide(10).trace).length;
    const large = JSON.stringify(decide(400).trace).length;
    expect(large - small).toBeLessThan(40);
  });

  it('names as runner-up the member who gets the next lead', () => {
    // Everyone has a pass; the chosen rep moves on by one stride, so the runner-up is next.
    const passes = Object.fromEntries(repIds(50).map((id, i) => [id, 3 + ((i * 7) % 50) / 10]));
    const first = decide(50, { roundRobin: { pool: { level: 3, passes } } });
    const update = first.kind === 'rep' ? first.roundRobin : undefined;
    if (!update) throw new Error('expected a round-robin offer');
    const next = decide(50, { roundRobin: { pool: { level: update.level, passes: { ...passes, [update.repId]: update.pass } } } });
    expect(next.kind === 'rep' ? next.repId : null).toBe(teamAttempt(first).choice?.runnerUp);
  });

  it('in a least-loaded team, names the next least loaded as runner-up', () => {
    const ids = repIds(20);
    const reps = Object.fromEntries(ids.map((id, i) => [id, { openLeads: (i * 3) % 10 }]));
    const attempt = teamAttempt(decide(20, { reps }, false, 'least_loaded'));
    const [chosen, runnerUp] = [attempt.chosen, attempt.choice?.runnerUp];
    const open = (id: string | null | undefined) => reps[id ?? '']?.openLeads ?? -1;
    const others = ids.filter((id) => id !== chosen && id !== runnerUp).map(open);
    expect(open(chosen)).toBeLessThanOrEqual(open(runnerUp));
    expect(others.every((n) => n >= open(runnerUp))).toBe(true);
    expect(attempt.candidates.find((c) => c.repId === runnerUp)).toMatchObject({ open: open(runnerUp), capacity: 10 });
  });

  it('has no runner-up and no count when one member is eligible', () => {
    const ids = repIds(3);
    const attempt = teamAttempt(decide(3, { reps: { [ids[0] as string]: { awayUntil: now + HOUR }, [ids[1] as string]: { awayUntil: now + HOUR } } }));
    expect(attempt.chosen).toBe(ids[2]);
    expect(attempt.choice?.runnerUp).toBeUndefined();
    expect(attempt.othersEligible).toBeUndefined();
  });

  it('lists every eligible member when asked (leadrelay route --all), with the same decision', () => {
    const compact = decide(400);
    const all = decide(400, {}, true);
    expect(teamAttempt(all).candidates).toHaveLength(400);
    expect(teamAttempt(all).othersEligible).toBeUndefined();
    expect(all.kind === 'rep' && compact.kind === 'rep' ? [all.repId, all.roundRobin] : null).toEqual(compact.kind === 'rep' ? [compact.repId, compact.roundRobin] : 'x');
  });

  it('reads as the chosen rep, the runner-up and a count of the rest, and the card says why', () => {
    const decision = decide(400);
    const text = formatTrace(decision.trace);
    expect(text).toContain('✓ U0R0000 (Rep 0): chosen, pass 0 → 1 (lowest pass, furthest below weighted share; tied, first in team order; 400 eligible)');
    expect(text).toContain('· U0R0001 (Rep 1): eligible, pass 0 (next in line)');
    expect(text).toContain('· 398 others eligible, behind in pass order');
    expect(text.split('\n').length).toBeLessThan(12);
    expect(whyYou(decision.trace)).toBe('Everyone → team pool: you were furthest below your weighted share (tied; first in the team list)');
  });
});

describe('the trace as stored with the lead', () => {
  /** 40 rules on a lead field, as a config with a rule per team has: a lead for team 30 tries 30 that do not match. */
  function manyRules() {
    const ids = repIds(10);
    return buildConfig({
      reps: ids.map((id, i) => rep(id, { name: `Rep ${i}`, capacity: 10 })),
      teams: [team('pool', ids)],
      rules: Array.from({ length: 40 }, (_, i) => ({ name: `Team ${i}`, when: { 'fields.team_no': i }, route: { team: 'pool' } })),
      fallback: { team: 'pool' },
    });
  }
  const decision = decideRoute({ lead: buildLead({ score: 50, fields: { team_no: 30 } }), config: manyRules(), snapshot: buildSnapshot({}), now });

  it('reads back as the trace the decision made, key order too, and says the same in /leads and on the card', () => {
    const stored = JSON.parse(JSON.stringify(storedTrace(decision.trace))) as unknown;
    const read = traceFromStored(stored);
    expect(JSON.stringify(read)).toBe(JSON.stringify(decision.trace));
    expect(formatTrace(read!)).toBe(formatTrace(decision.trace));
    expect(formatTrace(read!)).toContain('  1. Team 0 → team pool: not matched (');
    expect(whyYou(read!)).toBe(whyYou(decision.trace));
  });

  it('keeps every rule tried with why it did not match, in about half the bytes', () => {
    const stored = storedTrace(decision.trace);
    expect(stored.notMatched?.map(([index]) => index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(stored.rules.map((rule) => rule.name)).toEqual(['Team 30']);
    expect(JSON.stringify(stored).length).toBeLessThan(0.7 * JSON.stringify(decision.trace).length);
  });

  it('reads a trace stored whole (before this form) as it is, and nothing as null', () => {
    expect(traceFromStored(JSON.parse(JSON.stringify(decision.trace)))).toEqual(decision.trace);
    expect(traceFromStored(null)).toBeNull();
  });
});
