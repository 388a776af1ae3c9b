import { describe, expect, it } from 'vitest';
import { decideRoute, formatTrace, type RoutingDecision } from '../../../src/domain/routing/index.ts';
import { buildConfig, buildLead, buildSnapshot, HOUR, MONDAY_AFTERNOON, rep, team, type LeadSpec, type SnapshotSpec } from './builders.ts';

const now = MONDAY_AFTERNOON;
const config = buildConfig({
  reps: [
    rep('U0ALICE', { name: 'Alice Example', capacity: 10, weight: 2, hours: 'Mon-Fri 09:00-17:30', timezone: 'America/Los_Angeles' }),
    rep('U0BOB', { name: 'Bob Example', capacity: 10 }),
    rep('U0CAROL', { name: 'Carol Example', capacity: 15 }),
    rep('U0DAN', { capacity: 10, daily_cap: 20 }),
    rep('U0ERIN'),
  ],
  teams: [team('senior', ['U0ALICE', 'U0CAROL', 'U0BOB']), team('sdr', ['U0DAN', 'U0ERIN'], 'least_loaded')],
  accounts: [{ domain: 'acme.com', owner: 'U0CAROL' }],
  sequences: ['nurture'],
  rules: [
    { name: 'Named account', route: 'account_owner' },
    { name: 'Hot lead', when: { score: { gte: 80 } }, route: { team: 'senior' } },
    { name: 'Cold lead', when: { score: { lt: 30 } }, route: { sequence: 'nurture' } },
  ],
  fallback: { team: 'sdr' },
});

function decide(lead: LeadSpec, snapshot: SnapshotSpec = {}): RoutingDecision {
  return decideRoute({ lead: buildLead(lead), config, snapshot: buildSnapshot(snapshot), now });
}

describe('formatTrace', () => {
  it('shows each rule tried, the candidates with their reasons, what fired and the round-robin figures', () => {
    const decision = decide(
      { score: 90, company: { domain: 'acme.com' } },
      { reps: { U0CAROL: { awayUntil: now + 2 * HOUR } }, roundRobin: { senior: { level: 3, passes: { U0BOB: 3.5 } } }, accountOwners: {} },
    );
    expect(formatTrace(decision.trace)).toBe(
      [
        'Routing at 2026-11-23 14:00 UTC, company domain acme.com',
        'Rules:',
        '  1. Named account → account owner: matched (always)',
        '     account acme.com: owner U0CAROL (from the config)',
        '     ✗ U0CAROL (Carol Example): away until 2026-11-23 16:00 UTC',
        '     team senior (round_robin, level 3):',
        '       ✗ U0ALICE (Alice Example): outside working hours (Mon-Fri 09:00-17:30, America/Los_Angeles)',
        '       ✗ U0CAROL (Carol Example): away until 2026-11-23 16:00 UTC',
        '       ✓ U0BOB (Bob Example): chosen, pass 3.5 → 4.5 (only one eligible)',
        '     → served',
        'Fired: rule 1 "Named account"',
        'Result: offer to U0BOB (Bob Example), via team senior; round-robin pass 3.5 → 4.5, team level 3 → 3.5',
      ].join('\n'),
    );
  });

  it('shows what enrichment filled in and from where, right after the heading, and keeps it in the stored trace', () => {
    const enrichment = {
      filled: [
        { path: 'company.employees', value: 1200, from: 'companies' as const },
        { path: 'fields.plan', value: 'enterprise', from: 'webhook' as const },
      ],
      companies: { result: 'hit' as const, domain: 'acme.com' },
      webhook: { result: 'answered' as const },
    };
    const decision = decideRoute({ lead: buildLead({ score: 50, company: { domain: 'acme.com' } }), enrichment, config, snapshot: buildSnapshot({}), now });
    expect(decision.trace.enrichment).toEqual(enrichment);
    expect(formatTrace(JSON.parse(JSON.stringify(decision.trace)) as typeof decision.trace).split('\n').slice(0, 4)).toEqual([
      'Routing at 2026-11-23 14:00 UTC, company domain acme.com',
      'Enrichment:',
      '  company table: acme.com found: filled company.employees 1200',
      '  webhook: answered: filled fields.plan "enterprise"',
    ]);
  });

  it('shows a rule that matched but could not be served, and why rules did not match', () => {
    const text = formatTrace(decide({ score: 50, company: { domain: 'initech.com' } }).trace);
    expect(text).toContain('  1. Named account → account owner: matched (always)\n     account initech.com: no owner\n     → not served: initech.com has no account owner; next rule');
    expect(text).toContain('  2. Hot lead → team senior: not matched (score 50 is not ≥ 80)');
    expect(text).toContain('  3. Cold lead → sequence nurture: not matched (score 50 is not < 30)');
    expect(text).toContain('Fallback → team sdr:');
    expect(text).toContain('Fired: fallback');
  });

  it('shows every skip reason with its figures', () => {
    const text = formatTrace(
      decide(
        { score: 90, company: { domain: 'initech.com' } },
        { reps: { U0CAROL: { openLeads: 15 }, U0BOB: {}, U0DAN: { offersToday: 20 }, U0ERIN: { awayUntil: Number.POSITIVE_INFINITY } }, excluded: ['U0BOB'] },
      ).trace,
    );
    expect(text).toContain('✗ U0ALICE (Alice Example): outside working hours (Mon-Fri 09:00-17:30, America/Los_Angeles)');
    expect(text).toContain('✗ U0CAROL (Carol Example): at capacity 15/15');
    expect(text).toContain('✗ U0BOB (Bob Example): already passed/expired this lead');
    expect(text).toContain('✗ U0DAN: daily cap 20/20');
    expect(text).toContain('✗ U0ERIN: away with no return time set');
    expect(text).toContain('  → not served: nobody eligible in team sdr');
    expect(text).toContain('Result: queued, nobody eligible (last tried: team sdr); escalated to the escalation channel C0ESCALATE');
  });

  it('shows the load of every eligible member of a least_loaded team', () => {
    const text = formatTrace(decide({ score: 50 }, { reps: { U0DAN: { openLeads: 4 }, U0ERIN: { openLeads: 3 } } }).trace);
    expect(text).toContain('  team sdr (least_loaded, level 0):');
    expect(text).toContain('    · U0DAN: eligible, open 4/10, pass 0');
    expect(text).toContain('    ✓ U0ERIN: chosen, open 3/unlimited (counted as 10), pass 0 → 1 (lowest load; 2 eligible)');
  });

  it('shows a round-robin tie and how it was broken', () => {
    const text = formatTrace(decide({ score: 90 }, { reps: { U0ALICE: { awayUntil: now + HOUR } } }).trace);
    expect(text).toContain('✓ U0CAROL (Carol Example): chosen, pass 0 → 1 (lowest pass, furthest below weighted share; tied, first in team order; 2 eligible)');
    expect(text).toContain('· U0BOB (Bob Example): eligible, pass 0');
  });

  it('shows a pre-routed lead', () => {
    const text = formatTrace(decide({ owner: 'U0BOB', score: 90 }).trace);
    expect(text).toBe(
      [
        'Routing at 2026-11-23 14:00 UTC, company domain example.org',
        'Pre-routed by the source (owner U0BOB); rules skipped',
        '  ✓ U0BOB (Bob Example): chosen',
        'Fired: pre-routed',
        'Result: offer to U0BOB (Bob Example), the pre-routed owner',
      ].join('\n'),
    );
  });

  it('shows a sequence route', () => {
    const text = formatTrace(decide({ score: 10 }).trace);
    expect(text).toContain('  3. Cold lead → sequence nurture: matched (score < 30)\n     sequence nurture\n     → served');
    expect(text.endsWith('Fired: rule 3 "Cold lead"\nResult: sequence nurture')).toBe(true);
  });

  it('renders a trace read back from JSON the same way', () => {
    const decision = decide({ score: 90, company: { domain: 'acme.com' } }, { reps: { U0CAROL: { awayUntil: now + HOUR } } });
    expect(formatTrace(JSON.parse(JSON.stringify(decision.trace)))).toBe(formatTrace(decision.trace));
  });
});
