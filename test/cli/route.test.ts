import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { AWAY_INDEFINITELY } from '../../src/adapters/sqlite/sqliteRoutingStore.ts';
import { runCliCaptured, useTempDir } from '../support/cli.ts';
import { startFakeEnricher, type FakeEnricher } from '../support/fakeEnricher.ts';

const CONFIG = fileURLToPath(new URL('../fixtures/routing.yml', import.meta.url));
const LEAD = fileURLToPath(new URL('../fixtures/lead.json', import.meta.url));
/** Monday 2026-01-05 10:00 UTC: 11:00 in Berlin, inside Carol's Mon-Fri 09:00-17:00. */
const MONDAY_MORNING = '2026-01-05T10:00:00Z';

const run = runCliCaptured;

const temp = useTempDir('leadrelay-route-');
const file = (name: string, text: string) => temp.file(name, text);

function lead(data: Record<string, unknown>): string {
  return file('lead.json', JSON.stringify(data));
}

/** `route` against the fixture config, no database, at a fixed time. */
function route(leadPath: string, ...extra: string[]) {
  return run(['route', leadPath, '--config', CONFIG, '--db', join(temp.dir, 'none.db'), '--at', MONDAY_MORNING, ...extra]);
}

describe('leadrelay route', () => {
  it('prints the chosen rep, the rule, the why and the full trace, and exits 0', async () => {
    const result = await route(LEAD);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Decision: U0ALICE (Alice Example), team senior\n');
    expect(result.stdout).toContain('Rule:     Hot lead\n');
    expect(result.stdout).toContain('Why:      Hot lead (score ≥ 80) → team senior: you were furthest below your weighted share');
    expect(result.stdout).toContain('Routing at 2026-01-05 10:00 UTC, company domain hotco.com\n');
    expect(result.stdout).toContain('  1. Named account → account owner: matched (always)\n     account hotco.com: no owner\n');
    expect(result.stdout).toContain('✓ U0ALICE (Alice Example): chosen');
    expect(result.stdout).toContain('Fired: rule 2 "Hot lead"\n');
  });

  it('lists the members behind the runner-up only with --all, and decides the same either way', async () => {
    const config = file('desk.yml', `reps: [{ id: U0ANN }, { id: U0BEN }, { id: U0CAT }, { id: U0DEE }]
teams: [{ id: desk, members: [U0ANN, U0BEN, U0CAT, U0DEE] }]
escalation: { channel: C0ESC }
fallback: { team: desk }
`);
    const path = lead({ email: 'mid@midco.com', score: 50 });
    const desk = (...extra: string[]) => run(['route', path, '--config', config, '--db', join(temp.dir, 'none.db'), '--at', MONDAY_MORNING, ...extra]);
    const compact = await desk();
    expect(compact.stdout).toContain('    · U0BEN: eligible, pass 0 (next in line)\n    · 2 others eligible, behind in pass order\n');
    const all = await desk('--all');
    expect(all.code).toBe(0);
    expect(all.stdout).not.toContain('others eligible');
    expect(all.stdout.match(/^ {4}[✓·] /gm)).toHaveLength(4);
    const decisionOf = (text: string) => /^Decision: .*$/m.exec(text)?.[0];
    expect(decisionOf(all.stdout)).toBe(decisionOf(compact.stdout));
  });

  it('prints the decision, the why and the trace as JSON with --json', async () => {
    const result = await route(LEAD, '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { decision: unknown; why: string; trace: { at: number; domain: string; fired: unknown } };
    expect(Object.keys(json)).toEqual(['decision', 'why', 'lead', 'trace']);
    expect(json.decision).toEqual({ kind: 'rep', repId: 'U0ALICE', teamId: 'senior', rule: 'Hot lead' });
    expect(json.why).toMatch(/^Hot lead \(score ≥ 80\) → team senior/);
    expect(json.trace).toMatchObject({ at: Date.parse(MONDAY_MORNING), domain: 'hotco.com', fired: { by: 'rule', name: 'Hot lead' } });
  });

  it('reports a sequence decision with its rule', async () => {
    const result = await route(lead({ email: 'cold@coldco.com', score: 10 }), '--json');
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: { kind: 'sequence', sequenceId: 'nurture', rule: 'Cold lead' } });
  });

  it('rejects a lead with schema errors, naming each field path, and exits 1', async () => {
    const path = lead({ email: 'jane@hotco.com', score: 120, company: { employees: 'many' }, colour: 'blue' });
    const result = await route(path);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(`${path} score: must be between 0 and 100\n`);
    expect(result.stderr).toContain(`${path} company.employees: expected number, got string\n`);
    expect(result.stderr).toContain(`${path} colour: unknown key "colour"`);
  });

  it('rejects a lead that is not JSON, and exits 1', async () => {
    const path = file('lead.json', '{ "email": ');
    const result = await route(path);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${path.replace(/[.\\]/g, '\\$&')}: invalid JSON`));
  });

  it('rejects a lead pre-routed to an unknown owner or team, and exits 1', async () => {
    const path = lead({ email: 'jane@hotco.com', owner: 'nobody@example.com', team: 'mystery' });
    const result = await route(path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path} owner: unknown rep "nobody@example.com"`);
    expect(result.stderr).toContain(`${path} team: unknown team "mystery"`);
  });

  it('resolves a pre-routed owner given by e-mail to the rep', async () => {
    const result = await route(lead({ email: 'jane@hotco.com', owner: 'Alice@Example.com' }), '--json');
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: { kind: 'rep', repId: 'U0ALICE', teamId: null, rule: 'pre-routed' } });
  });

  it('prints config errors like check does, and exits 1', async () => {
    const config = file('bad.yml', 'reps:\n  - id: U0ALICE\n    weight: 0\nfallback: { rep: U0ALICE }\n');
    const result = await run(['route', LEAD, '--config', config]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${config}:3 reps[0].weight: must be greater than 0\n` });
  });

  it('uses LEADRELAY_CONFIG and LEADRELAY_DB when no options are given, and says when there is no database', async () => {
    const db = join(temp.dir, 'missing', 'leadrelay.db');
    const result = await run(['route', LEAD, '--at', MONDAY_MORNING], { LEADRELAY_CONFIG: CONFIG, LEADRELAY_DB: db });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`no database at ${db}: routing as on a fresh database: nobody is away, nobody has open leads or offers today, no round-robin history, account owners from the config only; working hours apply at --at (default: now)\n`);
    expect(result.stdout).toContain(`Dry run with ${CONFIG} and a fresh state (no database): nothing is stored or sent.\n`);
  });

  it('routes against the database read-only: an away rep is skipped, and the file is left byte-identical', async () => {
    const path = join(temp.dir, 'leadrelay.db');
    const db = openDatabase(path);
    db.prepare('INSERT INTO rep_state (rep_id, away_until, away_since, updated_at) VALUES (?, ?, ?, ?)').run('U0ALICE', AWAY_INDEFINITELY, 0, 0);
    db.close();
    const before = readFileSync(path);

    const result = await run(['route', LEAD, '--config', CONFIG, '--db', path, '--at', MONDAY_MORNING]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Decision: U0BOB (Bob Example), team senior\n');
    expect(result.stdout).toContain('✗ U0ALICE (Alice Example): away with no return time set\n');
    expect(result.stdout).toContain(`state from ${path} (read-only)`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('falls back to an empty state when the database schema is behind the code', async () => {
    const path = join(temp.dir, 'old.db');
    const db = new Database(path);
    db.exec('CREATE TABLE rep_state (rep_id TEXT PRIMARY KEY)');
    db.close();
    const before = readFileSync(path);
    const result = await run(['route', LEAD, '--config', CONFIG, '--db', path, '--at', MONDAY_MORNING]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `the database ${path} has no schema_migrations table (not a leadrelay database, or leadrelay never started on it): routing as on a fresh database: nobody is away, nobody has open leads or offers today, no round-robin history, account owners from the config only; working hours apply at --at (default: now)\n`,
    );
    expect(result.stdout).toContain('Decision: U0ALICE (Alice Example), team senior\n');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('says which schema version a database lacks', async () => {
    const path = join(temp.dir, 'behind.db');
    openDatabase(path).close();
    const copy = join(temp.dir, 'copy.db');
    copyFileSync(path, copy);
    const db = new Database(copy);
    db.exec('DELETE FROM schema_migrations');
    db.close();
    const result = await run(['route', LEAD, '--config', CONFIG, '--db', copy, '--at', MONDAY_MORNING]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^the database .*copy\.db is at schema version 0, this leadrelay expects \d+ \(leadrelay migrates it when it starts\): routing as on a fresh database/);
  });

  it('routes as of --at: a rep outside their working hours is skipped', async () => {
    // Monday 2026-01-05 18:30 UTC is 19:30 in Berlin, after Carol's Mon-Fri 09:00-17:00.
    const path = lead({ email: 'mid@midco.com', score: 50 });
    const evening = await run(['route', path, '--config', CONFIG, '--db', join(temp.dir, 'none.db'), '--at', '2026-01-05T18:30:00Z']);
    expect(evening.code).toBe(0);
    expect(evening.stdout).toContain('Rule:     fallback\n');
    expect(evening.stdout).toContain('✗ U0CAROL (Carol Example): outside working hours (Mon-Fri 09:00-17:00, Europe/Berlin)\n');
    expect(evening.stdout).toContain('Decision: U0DAN (Dan Example), team sdr\n');

    const morning = await route(path);
    expect(morning.stdout).toContain('Decision: U0CAROL (Carol Example), team sdr\n');
  });

  it('rejects an --at that is not an ISO time with a zone, and exits 2', async () => {
    const result = await run(['route', LEAD, '--config', CONFIG, '--at', '2026-01-05 10:00']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('invalid --at "2026-01-05 10:00": expected an ISO time with a zone');
  });

  it.each([
    [['route', LEAD, '--verbose'], 'unknown option "--verbose"'],
    [['route', LEAD, '--config'], '--config needs a value (file)'],
    [['route', LEAD, '--config', '--json'], '--config needs a value (file)'],
    [['route', LEAD, '--json=yes'], '--json takes no value'],
    [['route', LEAD, '--json', '--json'], '--json is given twice'],
    [['route'], 'missing <lead.json>'],
    [['route', LEAD, LEAD], 'too many arguments for route'],
  ])('rejects the command line %j with its usage, and exits 2', async (argv, problem) => {
    const result = await run(argv);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`${problem}\nUsage: leadrelay route <lead.json> [--config file] [--db file] [--at time] [--no-webhook] [--all] [--json]\n`);
  });

  it('accepts --option=value', async () => {
    const result = await run(['route', LEAD, `--config=${CONFIG}`, `--db=${join(temp.dir, 'none.db')}`, `--at=${MONDAY_MORNING}`, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: { repId: 'U0ALICE' } });
  });

  it('explains its options with --help', async () => {
    const result = await run(['route', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: leadrelay route <lead.json> \[--config file\] \[--db file\] \[--at time\] \[--no-webhook\] \[--all\]\n\[--json\]\n/);
    expect(result.stdout).toMatch(/^ {2}--all +list every eligible member of the teams tried/m);
    expect(result.stdout).toMatch(/^ {2}--db file +runtime state to route against, opened read-only/m);
  });
});

describe('leadrelay route with enrichment', () => {
  let enricher: FakeEnricher | undefined;
  afterEach(async () => {
    await enricher?.close();
    enricher = undefined;
  });

  /** A config next to its companies.csv (a relative path, read from the config's folder), with a territory rule. */
  function enrichedConfig(webhook?: string, companies = 'domain,name,employees,country\nacme.de,Acme GmbH,1200,DE\n'): string {
    file('companies.csv', companies);
    return file(
      'leadrelay.yml',
      `reps: [{ id: U0ALICE, name: Alice }, { id: U0BOB, name: Bob }]
teams:
  - { id: emea, members: [U0ALICE] }
  - { id: sdr, members: [U0BOB] }
escalation: { channel: C0SALESMGR }
rules:
  - { name: EMEA territory, when: { company.country: DE }, route: { team: emea } }
  - { name: Enterprise plan, when: { fields.plan: enterprise }, route: { team: emea } }
fallback: { team: sdr }
enrichment:
  companies: ./companies.csv
${webhook ? `  webhook: ${webhook}\n` : ''}`,
    );
  }

  const routeWith = (config: string, data: Record<string, unknown>, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    run(['route', lead(data), '--config', config, '--db', join(temp.dir, 'none.db'), '--at', MONDAY_MORNING, ...extra], env);

  it('shows the lead as the company table completed it, where each value came from, and routes it by the completed lead', async () => {
    const result = await routeWith(enrichedConfig(), { email: 'jane@acme.de', company: { name: 'ACME' } });
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining('no database') });
    expect(result.stdout).toContain('Company:  domain acme.de, name ACME, employees 1200 (company table), country DE (company table)\n');
    expect(result.stdout).toContain('Decision: U0ALICE (Alice), team emea\n');
    expect(result.stdout).toContain('Enrichment:\n  company table: acme.de found: filled company.employees 1200, company.country "DE"\n');

    const json = JSON.parse((await routeWith(enrichedConfig(), { email: 'jane@acme.de' }, ['--json'])).stdout) as { lead: { company: unknown }; trace: { enrichment: unknown } };
    expect(json.lead.company).toEqual({ domain: 'acme.de', name: 'Acme GmbH', employees: 1200, country: 'DE' });
    expect(json.trace.enrichment).toMatchObject({ companies: { result: 'hit', domain: 'acme.de' } });
  });

  it('says when the table has no row for the lead, or the lead has a free-mail address', async () => {
    const miss = await routeWith(enrichedConfig(), { email: 'bo@initech.io' });
    expect(miss.stdout).toContain('Company:  domain initech.io\n');
    expect(miss.stdout).toContain('  company table: no row for initech.io\n');
    const freeMail = await routeWith(enrichedConfig(), { email: 'bo@gmail.com' });
    expect(freeMail.stdout).toContain('Company:  (nothing known)\n');
    expect(freeMail.stdout).toContain('  company table: not looked up: the lead has no company domain\n');
  });

  it('asks the enrichment webhook, signed with LEADRELAY_WEBHOOK_SECRET, unless --no-webhook', async () => {
    enricher = await startFakeEnricher({ secret: 'cli-secret', now: () => Date.now(), reply: () => ({ json: { fields: { plan: 'enterprise' } } }) });
    const config = enrichedConfig(enricher.url);
    const asked = await routeWith(config, { email: 'bo@initech.io' }, [], { LEADRELAY_WEBHOOK_SECRET: 'cli-secret' });
    expect(asked.stdout).toContain('  webhook: answered: filled fields.plan "enterprise"\n');
    expect(asked.stdout).toContain('Rule:     Enterprise plan\n');
    expect(enricher.requests.map((r) => r.signed)).toEqual([true]);

    const offline = await routeWith(config, { email: 'bo@initech.io' }, ['--no-webhook'], { LEADRELAY_WEBHOOK_SECRET: 'cli-secret' });
    expect(offline.stdout).toContain('Rule:     fallback\n');
    expect(offline.stdout).not.toContain('webhook:');
    const noSecret = await routeWith(config, { email: 'bo@initech.io' });
    expect(noSecret.stderr).toContain('LEADRELAY_WEBHOOK_SECRET is not set: the enrichment webhook is not asked');
    expect(enricher.requests).toHaveLength(1);
  });

  it('refuses to route with a company table that has bad rows, naming each, and exits 1', async () => {
    const result = await routeWith(enrichedConfig(undefined, 'domain,employees\nacme.de,1200\nglobex.com,some\n'), { email: 'jane@acme.de' });
    expect(result).toEqual({ code: 1, stdout: '', stderr: './companies.csv row 3: employees: expected a number, got "some"\n' });
  });
});
