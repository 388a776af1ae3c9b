import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliCaptured, useTempDir } from '../support/cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const CONFIG = fixture('routing.yml');
const CONFIG_B = fixture('routing-b.yml');
const LEADS_JSONL = fixture('leads.jsonl');
const LEADS_CSV = fixture('leads.csv');
const SIGNALS_CONFIG = fixture('routing-signals.yml');
const SIGNALS_JSONL = fixture('signals.jsonl');
const SIGNALS_CSV = fixture('signals.csv');

const run = runCliCaptured;

const temp = useTempDir('leadrelay-simulate-');
const file = (name: string, text: string) => temp.file(name, text);

function jsonl(leads: readonly Record<string, unknown>[]): string {
  return `${leads.map((lead) => JSON.stringify(lead)).join('\n')}\n`;
}

interface Report {
  input: { file: string; leads: number; signals: number };
  a: {
    config: string;
    totals: Record<string, number>;
    reps: { repId: string; leads: number; share: number; target: number; diffPp: number }[];
    sequences: unknown[];
    rules: unknown[];
    signals: { read: number; unmatched: number; fired: { rule: string; signals: number }[]; movedLeads: number };
  };
  b?: Report['a'];
  comparison?: { moved: number; movedLeads: { line: number; lead: string; from: unknown; to: unknown; ruleA: string | null; ruleB: string | null }[]; destinations: { id: string; a: number; b: number; diff: number }[] };
  leads: { line: number; lead: string; at: string; a: { to: unknown; rule: string | null; signal?: unknown }; b?: { to: unknown; rule: string | null; signal?: unknown } }[];
}

async function simulateJson(argv: string[]): Promise<Report> {
  const result = await run(['simulate', ...argv, '--json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Report;
}

/** A config with one round-robin team of weights 3, 2, 1 that serves every lead. */
const WEIGHTED = `
reps:
  - { id: U0ANNA, name: Anna, weight: 3 }
  - { id: U0BEN, name: Ben, weight: 2 }
  - { id: U0CLEO, name: Cleo }
teams:
  - { id: sales, manager: U0ANNA, members: [U0ANNA, U0BEN, U0CLEO] }
fallback: { team: sales }
`;

describe('leadrelay simulate', () => {
  it('prints totals, per-rep shares against weights, sequences and rules, under a header stating the simulated clock', async () => {
    const result = await run(['simulate', LEADS_JSONL, '--config', CONFIG]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const text = result.stdout;
    expect(text).toMatch(new RegExp(`^Simulation of 7 leads from ${LEADS_JSONL.replace(/[.\\]/g, '\\$&')} through `));
    expect(text).toContain(
      [
        'Simulated clock: the 6 leads without an `at` arrive one a minute from Mon 2026-01-05 09:00 UTC',
        '(--start to change); all leads arrive between Mon 2026-01-05 09:00 UTC and Mon 2026-01-05 10:30 UTC.',
        'Working hours apply at those times.',
        '(--explain describes the simulation model)',
      ].join('\n'),
    );
    expect(text).not.toContain('Simulation model (simulated time, deterministic');
    expect(text).toContain('Totals: 7 leads: 6 to reps, 1 to sequences, 0 queued\n');
    // The two leads routed to a rep by name (an account owner, a pre-routed owner) count in Share
    // and in Target alike, so both columns add up to 100%.
    expect(text).toContain(
      [
        'Rep      Name           Teams   Leads  Direct   Share  Target     Diff',
        'U0ALICE  Alice Example  senior      2       1   33.3%   38.9%  -5.6 pp',
        'U0BOB    Bob Example    senior      1       0   16.7%   11.1%  +5.6 pp',
        'U0CAROL  Carol Example  sdr         2       1   33.3%   33.3%   0.0 pp',
        'U0DAN    Dan Example    sdr         1       0   16.7%   16.7%   0.0 pp',
        'Total                               6       2  100.0%  100.0%',
      ].join('\n'),
    );
    expect(text).toContain('Sequence  Leads\nnurture       1\n');
    expect(text).toContain('Rule           Leads\nNamed account      1\nHot lead           2\nCold lead          1\npre-routed         1\nfallback           2\n');
  });

  it('gives the same result for the same leads as JSON Lines and as CSV (quoted commas, quotes and line breaks)', async () => {
    const fromJsonl = await simulateJson([LEADS_JSONL, '--config', CONFIG, '--compare', CONFIG_B]);
    const fromCsv = await simulateJson([LEADS_CSV, '--config', CONFIG, '--compare', CONFIG_B]);
    const withoutLines = (report: Report) => ({
      a: report.a,
      b: report.b,
      leads: report.leads.map(({ line: _line, ...lead }) => lead),
      moved: report.comparison?.movedLeads.map(({ line: _line, ...lead }) => lead),
      destinations: report.comparison?.destinations,
    });
    expect(withoutLines(fromCsv)).toEqual(withoutLines(fromJsonl));
    expect(fromJsonl.leads.map((lead) => lead.line)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    // The CSV's fourth lead has a quoted line break, so the leads after it start a line later.
    expect(fromCsv.leads.map((lead) => lead.line)).toEqual([2, 3, 5, 7, 8, 9, 10]);
    expect(fromCsv.leads[0]).toMatchObject({ lead: 'jane@acme.com', a: { to: { kind: 'rep', repId: 'U0CAROL', teamId: null }, rule: 'Named account' } });
  });

  it('places leads without `at` one minute apart from Monday 2026-01-05 09:00 UTC, and routes in arrival order', async () => {
    const report = await simulateJson([LEADS_JSONL, '--config', CONFIG]);
    expect(report.leads.map((lead) => lead.at)).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-01-05T09:01:00.000Z',
      '2026-01-05T09:02:00.000Z',
      '2026-01-05T09:03:00.000Z',
      '2026-01-05T09:04:00.000Z',
      '2026-01-05T10:30:00.000Z',
      '2026-01-05T09:06:00.000Z',
    ]);
  });

  it('gives each member of a weighted round-robin team their weighted share over 300 leads', async () => {
    const config = file('weighted.yml', WEIGHTED);
    const leads = file('many.jsonl', jsonl(Array.from({ length: 300 }, (_, i) => ({ email: `lead${i}@company${i}.com`, score: (i * 37) % 101 }))));
    const report = await simulateJson([leads, '--config', config]);
    expect(report.a.totals).toEqual({ leads: 300, toReps: 300, toSequences: 0, queued: 0 });
    const counts = Object.fromEntries(report.a.reps.map((rep) => [rep.repId, rep.leads]));
    expect(counts).toEqual({ U0ANNA: 150, U0BEN: 100, U0CLEO: 50 });
    for (const rep of report.a.reps) {
      expect(Math.abs(rep.share - rep.target)).toBeLessThan(0.005);
      expect(Math.abs(rep.diffPp)).toBeLessThan(0.5);
    }
    expect(report.a.reps.map((rep) => rep.target)).toEqual([0.5, 0.3333, 0.1667]);
  });

  it('counts every offer toward daily_cap, per local day', async () => {
    const config = file(
      'capped.yml',
      `reps:
  - { id: U0ANNA, daily_cap: 2, timezone: Europe/Berlin }
  - { id: U0BEN }
teams:
  - { id: sales, manager: U0ANNA, members: [U0ANNA, U0BEN] }
fallback: { team: sales }
`,
    );
    // Six leads on Monday, then two just after midnight in Berlin (23:30 UTC), a new local day for Anna.
    const leads = [
      ...Array.from({ length: 6 }, (_, i) => ({ email: `mon${i}@x.com` })),
      { email: 'tue0@x.com', at: '2026-01-05T23:30:00Z' },
      { email: 'tue1@x.com', at: '2026-01-05T23:31:00Z' },
    ];
    const report = await simulateJson([file('capped.jsonl', jsonl(leads)), '--config', config]);
    const owners = report.leads.map((lead) => (lead.a.to as { repId: string }).repId);
    expect(owners).toEqual(['U0ANNA', 'U0BEN', 'U0ANNA', 'U0BEN', 'U0BEN', 'U0BEN', 'U0ANNA', 'U0BEN']);
  });

  it('is deterministic: two runs print byte-identical output', async () => {
    const config = file('weighted.yml', WEIGHTED);
    const leads = file('many.csv', `email,score\n${Array.from({ length: 120 }, (_, i) => `lead${i}@company${i}.com,${i % 100}`).join('\n')}\n`);
    const first = await run(['simulate', leads, '--config', config, '--compare', CONFIG]);
    const second = await run(['simulate', leads, '--config', config, '--compare', CONFIG]);
    expect(first.code).toBe(0);
    expect(second).toEqual(first);
    const firstJson = await run(['simulate', leads, '--config', config, '--json']);
    expect(await run(['simulate', leads, '--config', config, '--json'])).toEqual(firstJson);
  });

  it('lists the leads --compare would move and the per-rep differences', async () => {
    const result = await run(['simulate', LEADS_JSONL, '--config', CONFIG, '--compare', CONFIG_B]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Compared with ${CONFIG_B}: 2 of 7 leads would move\n`);
    expect(result.stdout).toContain(`Totals under ${CONFIG_B}: 7 leads: 7 to reps, 0 to sequences, 0 queued\n`);
    expect(result.stdout).toContain(
      [
        'Moved leads:',
        '  Line  Lead                               a → b                     Rule a → rule b',
        '     5  https://www.linkedin.com/in/warm/  U0DAN → U0ALICE           fallback → Warm lead',
        '     6  cold@coldco.com                    sequence nurture → U0DAN  Cold lead → fallback',
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      [
        'Destination              a  b  Diff',
        'U0ALICE (Alice Example)  2  3    +1',
        'U0BOB (Bob Example)      1  1     0',
        'U0CAROL (Carol Example)  2  2     0',
        'U0DAN (Dan Example)      1  1     0',
        'sequence nurture         1  0    -1',
      ].join('\n'),
    );

    const report = await simulateJson([LEADS_JSONL, '--config', CONFIG, '--compare', CONFIG_B]);
    expect(report.comparison?.moved).toBe(2);
    expect(report.comparison?.movedLeads[1]).toEqual({
      line: 6,
      lead: 'cold@coldco.com',
      from: { kind: 'sequence', sequenceId: 'nurture' },
      to: { kind: 'rep', repId: 'U0DAN', teamId: 'sdr' },
      ruleA: 'Cold lead',
      ruleB: 'fallback',
    });
    expect(report.comparison?.destinations.find((row) => row.id === 'U0ALICE')).toMatchObject({ a: 2, b: 3, diff: 1 });
  });

  it('lists at most 50 moved leads, then says how many more', async () => {
    const config = file('weighted.yml', WEIGHTED);
    const other = file('other.yml', 'reps: [{ id: U0ZOE, name: Zoe }]\nfallback: { rep: U0ZOE }\n');
    const leads = file('many.jsonl', jsonl(Array.from({ length: 80 }, (_, i) => ({ email: `lead${i}@company${i}.com` }))));
    const result = await run(['simulate', leads, '--config', config, '--compare', other]);
    expect(result.stdout).toContain(`Compared with ${other}: 80 of 80 leads would move\n`);
    expect(result.stdout).toContain('lead49@company49.com');
    expect(result.stdout).not.toContain('lead50@company50.com');
    expect(result.stdout).toContain('  … and 30 more\n');
    expect(result.stdout).toContain('U0ZOE (Zoe)     0  80   +80');
  });

  it('rejects a bad JSON Lines file, naming each bad line and field, and exits 1', async () => {
    const leads = file(
      'bad.jsonl',
      [
        JSON.stringify({ email: 'ok@x.com' }),
        '',
        JSON.stringify({ email: 'jane@x.com', score: 'high' }),
        '{ "email": "broken@x.com"',
        JSON.stringify({ email: 'late@x.com', at: 'tomorrow' }),
        '[1, 2]',
      ].join('\n'),
    );
    const result = await run(['simulate', leads, '--config', CONFIG]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${leads}:3 score: expected number, got string`);
    expect(lines[1]).toMatch(new RegExp(`^${leads.replace(/[.\\]/g, '\\$&')}:4: invalid JSON`));
    expect(lines[2]).toBe(`${leads}:5 at: expected an ISO time with a zone, e.g. 2026-01-05T09:00:00Z, got "tomorrow"`);
    expect(lines[3]).toBe(`${leads}:6: expected a JSON object (one lead per line), got array`);
    expect(lines).toHaveLength(4);
  });

  it('rejects a bad CSV row, naming the line it starts on, and exits 1', async () => {
    const leads = file('bad.csv', 'email,company.employees,fields.plan\nok@x.com,10,pro\n"jane\n@x.com",many,free\na@x.com,1,2,3\n');
    const result = await run(['simulate', leads, '--config', CONFIG]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`${leads}:3 email: expected an e-mail address\n`);
    expect(result.stderr).toContain(`${leads}:3 company.employees: expected number, got string\n`);
    expect(result.stderr).toContain(`${leads}:5: 4 cells, but the header has 3 columns`);
  });

  it('rejects unknown CSV columns in the header', async () => {
    const leads = file('bad.csv', 'email,colour\nok@x.com,blue\n');
    const result = await run(['simulate', leads, '--config', CONFIG]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${leads.replace(/[.\\]/g, '\\$&')}:1: unknown column "colour"`));
  });

  it('rejects a lead pre-routed to a team the --compare config lacks, naming that config', async () => {
    const config = file('weighted.yml', WEIGHTED);
    const leads = file('team.jsonl', jsonl([{ email: 'a@x.com', team: 'senior' }]));
    const result = await run(['simulate', leads, '--config', CONFIG, '--compare', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${leads}:1 team: unknown team "senior" (in ${config})\n`);
  });

  it('rejects a file that is neither .jsonl nor .csv, and exits 2', async () => {
    const result = await run(['simulate', file('leads.txt', ''), '--config', CONFIG]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected a .jsonl (JSON Lines) or .csv file');
  });

  it('prints config errors like check does, and exits 1', async () => {
    const result = await run(['simulate', LEADS_JSONL, '--config', CONFIG, '--compare', join(temp.dir, 'missing.yml')]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`config file not found: ${join(temp.dir, 'missing.yml')}`);
  });

  it('rejects unknown options with its usage, and exits 2', async () => {
    const result = await run(['simulate', LEADS_JSONL, '--db', 'x.db']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'unknown option "--db"\nUsage: leadrelay simulate <leads.jsonl|leads.csv> [--config file] [--compare file] [--start time] [--explain] [--json]\n',
    });
  });

  it('describes the simulation model with --explain', async () => {
    const result = await run(['simulate', LEADS_JSONL, '--config', CONFIG, '--explain']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Simulation model (simulated time, deterministic');
    expect(result.stdout).toContain('- Target: each team\'s leads split among its members by weight');
  });

  it('starts the leads without `at` at --start, and says so', async () => {
    const report = await simulateJson([LEADS_JSONL, '--config', CONFIG, '--start', '2026-03-03T16:30:00+01:00']);
    expect(report.leads.map((lead) => lead.at)).toEqual([
      '2026-03-03T15:30:00.000Z',
      '2026-03-03T15:31:00.000Z',
      '2026-03-03T15:32:00.000Z',
      '2026-03-03T15:33:00.000Z',
      '2026-03-03T15:34:00.000Z',
      '2026-01-05T10:30:00.000Z',
      '2026-03-03T15:36:00.000Z',
    ]);
    const text = await run(['simulate', LEADS_JSONL, '--config', CONFIG, '--start', '2026-03-03T15:30:00Z']);
    expect(text.stdout).toContain('arrive one a minute from Tue 2026-03-03 15:30 UTC;');
    expect(await run(['simulate', LEADS_JSONL, '--start', 'tuesday'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'invalid --start "tuesday": expected an ISO time with a zone, e.g. 2026-01-05T09:00:00Z\n',
    });
  });

  it('adds up targets to 100% when account owners and pre-routed owners take leads', async () => {
    const report = await simulateJson([LEADS_JSONL, '--config', CONFIG]);
    const total = (key: 'share' | 'target') => report.a.reps.reduce((sum, rep) => sum + rep[key], 0);
    expect(total('share')).toBeCloseTo(1, 3);
    expect(total('target')).toBeCloseTo(1, 3);
  });

  describe('signals', () => {
    it('moves a cold lead out of its sequence after 3 LinkedIn profile views, and a queued/sequenced lead on a positive reply', async () => {
      const report = await simulateJson([SIGNALS_JSONL, '--config', SIGNALS_CONFIG]);
      expect(report.input).toMatchObject({ leads: 3, signals: 6 });
      expect(report.a.totals).toEqual({ leads: 3, toReps: 3, toSequences: 0, queued: 0 });
      expect(report.a.signals).toEqual({
        read: 6,
        unmatched: 1,
        fired: [
          { rule: 'Positive reply', signals: 2 },
          { rule: 'Profile views', signals: 1 },
        ],
        movedLeads: 2,
      });
      const [cold, hot, later] = report.leads;
      expect(cold?.a).toEqual({
        to: { kind: 'rep', repId: 'U0CAROL', teamId: 'sdr' },
        rule: 'Cold lead',
        signal: { rule: 'Profile views', at: '2026-01-05T09:05:00.000Z', from: { kind: 'sequence', sequenceId: 'nurture' }, decidedBy: 'signal: Profile views' },
      });
      // Already with a rep: the positive reply fires its rule but moves nothing.
      expect(hot?.a).toEqual({ to: { kind: 'rep', repId: 'U0ALICE', teamId: 'senior' }, rule: 'Hot lead' });
      // `ref: L-3` is the third lead of the file; its reply (with an `at`) comes after it arrived.
      expect(later?.a).toMatchObject({ to: { kind: 'rep', repId: 'U0BOB', teamId: 'senior' }, signal: { rule: 'Positive reply', at: '2026-01-05T10:00:00.000Z' } });
      expect(report.a.reps.map((rep) => [rep.repId, rep.leads])).toEqual([['U0ALICE', 1], ['U0BOB', 1], ['U0CAROL', 1], ['U0DAN', 0]]);

      const text = await run(['simulate', SIGNALS_JSONL, '--config', SIGNALS_CONFIG]);
      expect(text.stdout).toContain('Signals: 6 read, 3 fired a rule, 1 unmatched, 2 leads moved out of a sequence or the queue\n');
      expect(text.stdout).toContain('Signal rule     Fired\nPositive reply      2\nProfile views       1\n');
    });

    it('leaves the lead in its sequence with fewer profile views, and counts signals before their lead unmatched', async () => {
      const leads = file(
        'early.jsonl',
        jsonl([
          { signal: { lead: { email: 'cold@coldco.com' }, channel: 'linkedin', kind: 'profile_view' } },
          { email: 'cold@coldco.com', score: 10 },
          { signal: { lead: { ref: 'L-1' }, channel: 'linkedin', kind: 'profile_view' } },
          { signal: { lead: { ref: 'L-1' }, channel: 'web', kind: 'profile_view' } },
        ]),
      );
      const report = await simulateJson([leads, '--config', SIGNALS_CONFIG]);
      expect(report.a.signals).toMatchObject({ read: 3, unmatched: 1, movedLeads: 0 });
      expect(report.leads[0]?.a).toEqual({ to: { kind: 'sequence', sequenceId: 'nurture' }, rule: 'Cold lead' });
    });

    it('gives the same result from CSV signal columns', async () => {
      const fromJsonl = await simulateJson([SIGNALS_JSONL, '--config', SIGNALS_CONFIG]);
      const fromCsv = await simulateJson([SIGNALS_CSV, '--config', SIGNALS_CONFIG]);
      expect(fromCsv.a).toEqual(fromJsonl.a);
      expect(fromCsv.leads.map(({ line: _line, ...lead }) => lead)).toEqual(fromJsonl.leads.map(({ line: _line, ...lead }) => lead));
    });

    it('replays the signals with each config\'s own rules under --compare', async () => {
      const report = await simulateJson([SIGNALS_JSONL, '--config', SIGNALS_CONFIG, '--compare', CONFIG]);
      expect(report.b?.signals).toEqual({ read: 6, unmatched: 1, fired: [], movedLeads: 0 });
      expect(report.comparison?.movedLeads.map((m) => m.lead)).toEqual(['cold@coldco.com', 'later@coldco.com']);
    });

    it('is deterministic with signals: two runs print byte-identical output', async () => {
      const first = await run(['simulate', SIGNALS_JSONL, '--config', SIGNALS_CONFIG, '--compare', CONFIG_B]);
      expect(first.code).toBe(0);
      expect(await run(['simulate', SIGNALS_JSONL, '--config', SIGNALS_CONFIG, '--compare', CONFIG_B])).toEqual(first);
      const firstJson = await run(['simulate', SIGNALS_CSV, '--config', SIGNALS_CONFIG, '--json']);
      expect(await run(['simulate', SIGNALS_CSV, '--config', SIGNALS_CONFIG, '--json'])).toEqual(firstJson);
    });

    it('rejects a bad signal, naming the line and path, and exits 1', async () => {
      const leads = file(
        'bad-signals.jsonl',
        [
          JSON.stringify({ email: 'ok@x.com' }),
          JSON.stringify({ signal: { lead: { ref: 'L-1' }, channel: 'linkedin', kind: 'poke' } }),
          JSON.stringify({ signal: { lead: { email: 'ok@x.com', phone: '1' }, channel: 'fax', kind: 'reply' } }),
          JSON.stringify({ signal: { lead: { ref: 'first' }, channel: 'email', kind: 'reply', at: 'soon' } }),
          JSON.stringify({ signal: { lead: { ref: 'L-1' }, channel: 'email', kind: 'reply' }, email: 'x@x.com' }),
        ].join('\n'),
      );
      const result = await run(['simulate', leads, '--config', SIGNALS_CONFIG]);
      expect(result).toMatchObject({ code: 1, stdout: '' });
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^${leads.replace(/[.\\]/g, '\\$&')}:2 signal\\.kind: `));
      expect(lines[0]).toContain('reply_positive');
      expect(result.stderr).toContain(`${leads}:3 signal.channel: `);
      expect(result.stderr).toMatch(/:3 signal\.lead.*phone/);
      expect(result.stderr).toContain(`${leads}:4 signal.at: `);
      expect(result.stderr).toContain(`${leads}:5: a signal line has only the key "signal"`);
    });

    it('rejects a CSV signal row with a bad channel, and signal_channel without signal_kind', async () => {
      const leads = file('bad-signals.csv', 'email,signal_kind,signal_channel\nok@x.com,,\nok@x.com,reply,fax\nok@x.com,,email\n');
      const result = await run(['simulate', leads, '--config', SIGNALS_CONFIG]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${leads}:3 signal.channel: `);
      expect(result.stderr).toContain(`${leads}:4 signal_kind: a row with signal_channel is a signal: set signal_kind too`);
    });
  });

  it('documents the simulation model in --help', async () => {
    const result = await run(['simulate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('Every offer to a rep is claimed and done at once');
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('(--start, default 2026-01-05T09:00:00Z, a Monday) + n minutes');
    expect(text).toContain('A signal rule that fires moves a lead in a sequence or queued to its target');
    expect(Math.max(...result.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
  });
});

describe('leadrelay simulate with enrichment', () => {
  const territory = (enrichment: string) => `
reps: [{ id: U0ANNA }, { id: U0BEN }]
teams:
  - { id: emea, manager: U0ANNA, members: [U0ANNA] }
  - { id: sdr, manager: U0BEN, members: [U0BEN] }
rules:
  - { name: EMEA territory, when: { company.country: { in: [DE, FR] } }, route: { team: emea } }
fallback: { team: sdr }
${enrichment}`;

  it('fills missing company fields from each config’s company table before routing, so --compare shows what the table changes', async () => {
    file('companies.csv', 'domain,country\nacme.de,DE\numbrella.fr,FR\n');
    const withTable = file('with.yml', territory('enrichment:\n  companies: ./companies.csv\n'));
    const without = file('without.yml', territory(''));
    const leads = file('leads.jsonl', jsonl([{ email: 'a@acme.de' }, { email: 'b@umbrella.fr', company: { country: 'US' } }, { email: 'c@gmail.com' }]));
    const report = await simulateJson([leads, '--config', withTable, '--compare', without]);
    expect(report.leads.map((lead) => [lead.a.rule, lead.b?.rule])).toEqual([
      ['EMEA territory', 'fallback'],
      ['fallback', 'fallback'],
      ['fallback', 'fallback'],
    ]);
    expect(report.comparison?.moved).toBe(1);
  });

  it('refuses a config whose company table has bad rows, and exits 1', async () => {
    file('companies.csv', 'domain,country\nnot a domain,DE\n');
    const config = file('with.yml', territory('enrichment:\n  companies: ./companies.csv\n'));
    const result = await run(['simulate', file('leads.jsonl', jsonl([{ email: 'a@acme.de' }])), '--config', config]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: './companies.csv row 2: domain: invalid domain "not a domain" (use the bare domain, e.g. acme.com)\n' });
  });
});
