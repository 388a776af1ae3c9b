import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured, useTempDir } from '../support/cli.ts';

const EXAMPLE = fileURLToPath(new URL('../../leadrelay.example.yml', import.meta.url));

const run = runCliCaptured;

const temp = useTempDir('leadrelay-check-');
const file = (name: string, text: string) => temp.file(name, text);

describe('leadrelay check', () => {
  it('accepts the example config, summarizes it and exits 0', async () => {
    expect(await run(['check', EXAMPLE])).toEqual({
      code: 0,
      stdout: `${EXAMPLE} is valid: 6 reps, 3 teams, 4 rules, 2 signal rules, 4 lead sources\n`,
      stderr: '',
    });
  });

  it('prints every error with file, line and path to stderr and exits 1', async () => {
    const path = file(
      'bad.yml',
      `reps:
  - id: U0ALICE
    weight: 0
teams:
  - id: sales
    manager: U0ALICE
    members: [U0ALICE]
rules:
  - name: Hot
    when: { score: { gte: high } }
    route: { team: sales }
fallback: { team: sales }
`,
    );
    expect(await run(['check', path])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${path}:3 reps[0].weight: must be greater than 0\n${path}:10 rules[0].when.score.gte: expected number, got string\n`,
    });
  });

  it('accepts the example config with its enrichment section uncommented, next to the example company table', async () => {
    const example = readFileSync(EXAMPLE, 'utf8');
    const uncommented = example.replace(/^# (enrichment:| {2}companies: | {2}timeout: )/gm, '$1');
    expect(uncommented).not.toBe(example);
    const config = file('leadrelay.yml', uncommented);
    copyFileSync(fileURLToPath(new URL('../../companies.example.csv', import.meta.url)), join(temp.dir, 'companies.example.csv'));
    expect(await run(['check', config])).toEqual({ code: 0, stdout: `${config} is valid: 6 reps, 3 teams, 4 rules, 2 signal rules, 4 lead sources, 5 companies\n`, stderr: '' });
  });

  it('checks the company table of enrichment.companies: its size when valid, every bad row otherwise', async () => {
    const config = file('leadrelay.yml', 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: ./companies.csv\n');
    file('companies.csv', 'domain,name,employees\nacme.com,Acme,1200\nglobex.com,Globex,\n');
    expect(await run(['check', config])).toMatchObject({ code: 0, stdout: `${config} is valid: 1 rep, 0 teams, 0 rules, 0 signal rules, 2 companies\n` });

    file('companies.csv', 'domain,name,employees\nacme.com,Acme,1200\nacme.com,Acme,\ngmail.com,,\nglobex.com,Globex,many\n');
    expect(await run(['check', config])).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        './companies.csv row 3: domain: acme.com is already on row 2',
        './companies.csv row 4: domain: gmail.com is a free-mail domain (its users are not one company); remove the row',
        './companies.csv row 5: employees: expected a number, got "many"',
        '',
      ].join('\n'),
    });
  });

  it('checks the company table in the same run as a config with errors', async () => {
    const config = file('leadrelay.yml', 'reps: [{ id: U0ALICE, weight: heavy }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: ./companies.csv\n');
    file('companies.csv', 'domain,employees\nacme.com,many\n');
    expect(await run(['check', config])).toEqual({
      code: 1,
      stdout: '',
      stderr: `${config}:1 reps[0].weight: expected number, got string\n./companies.csv row 2: employees: expected a number, got "many"\n`,
    });
  });

  it('says where it looked for a missing company table, and exits 1', async () => {
    const config = file('leadrelay.yml', 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: data/companies.csv\n');
    expect(await run(['check', config])).toEqual({
      code: 1,
      stdout: '',
      stderr: `enrichment.companies: file not found: data/companies.csv (looked for ${join(temp.dir, 'data', 'companies.csv')})\n`,
    });
  });

  it('uses LEADRELAY_CONFIG when no file is given', async () => {
    const path = file('from-env.yml', 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\n');
    const result = await run(['check'], { LEADRELAY_CONFIG: path });
    expect(result).toMatchObject({ code: 0, stdout: `${path} is valid: 1 rep, 0 teams, 0 rules, 0 signal rules\n` });
  });

  it('says how to create a config when the file is missing, and exits 1', async () => {
    const result = await run(['check', join(temp.dir, 'leadrelay.yml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`config file not found: ${join(temp.dir, 'leadrelay.yml')} (set LEADRELAY_CONFIG or create it from leadrelay.example.yml)\n`);
  });

  it('rejects extra arguments with its usage and exits 2', async () => {
    const result = await run(['check', 'a.yml', 'b.yml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: leadrelay check [config]');
  });

  it('rejects unknown options and exits 2', async () => {
    const result = await run(['check', '--strict']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('unknown option "--strict"');
  });
});

describe('leadrelay', () => {
  it('prints the commands that exist for help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: leadrelay <command>');
    expect(result.stdout).toMatch(/^ {2}check \[config\]\n {6}validate a config /m);
    expect(result.stdout).toMatch(/^ {2}route <lead\.json> \[--config file\] \[--db file\] \[--at time\] \[--no-webhook\] \[--all\] \[--json\]\n {6}dry run/m);
    expect(result.stdout).toMatch(/^ {2}simulate <leads\.jsonl\|leads\.csv> \[--config file\] \[--compare file\] \[--start time\] \[--explain\]\n {8}\[--json\]\n {6}replay leads/m);
    expect(result.stdout).toMatch(/^ {2}export \[--since when\] \[--db file\] \[--database-url url\] \[--config file\]\n {6}CSV of leads/m);
    expect(result.stdout).toMatch(/^ {2}backup <file> \[--db file\] \[--database-url url\] \[--force\]\n {6}online copy of the database/m);
    expect(result.stdout).toMatch(/^ {2}migrate-store --to url \[--db file\]\n {6}copy every table of the SQLite database into an empty PostgreSQL database/m);
  });

  it.each([[['--help']], [['check', '--help']], [['route', '--help']], [['simulate', '--help']], [['export', '--help']], [['backup', '--help']], [['migrate-store', '--help']]])(
    'fits %j in 100 columns',
    async (argv) => {
      const result = await run(argv);
      expect(result.code).toBe(0);
      const widest = result.stdout.split('\n').reduce((widest, line) => (line.length > widest.length ? line : widest), '');
      expect(widest.length, widest).toBeLessThanOrEqual(100);
    },
  );

  it('prints usage to stderr and exits 2 for an unknown command', async () => {
    const result = await run(['deploy']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^unknown command "deploy"\n\nUsage: leadrelay <command>/);
  });

  it('prints usage to stderr and exits 2 without a command', async () => {
    const result = await run([]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('Usage: leadrelay <command>');
  });

  it('does not mistake object properties for commands', async () => {
    expect((await run(['toString'])).code).toBe(2);
  });
});

describe('leadrelay check with no config anywhere (a fresh clone)', () => {
  const here = useTempDir('leadrelay-fresh-');
  let before = '';
  beforeEach(() => {
    before = process.cwd();
    process.chdir(here.dir);
  });
  afterEach(() => process.chdir(before));

  it('checks the example config instead, and says so and how to start your own', async () => {
    expect(await run(['check'])).toEqual({
      code: 0,
      stdout: `${EXAMPLE} is valid: 6 reps, 3 teams, 4 rules, 2 signal rules, 4 lead sources\n`,
      stderr: `No ./leadrelay.yml here (and LEADRELAY_CONFIG is not set): using the example config ${EXAMPLE}. To start your own: cp leadrelay.example.yml leadrelay.yml\n`,
    });
  });

  it('checks ./leadrelay.yml once there is one', async () => {
    here.file('leadrelay.yml', 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\n');
    expect(await run(['check'])).toEqual({ code: 0, stdout: 'leadrelay.yml is valid: 1 rep, 0 teams, 0 rules, 0 signal rules\n', stderr: '' });
  });

  it('never stands the example in for a LEADRELAY_CONFIG that is missing', async () => {
    expect(await run(['check'], { LEADRELAY_CONFIG: 'mine.yml' })).toMatchObject({ code: 1, stderr: expect.stringContaining('config file not found: mine.yml') });
  });
});
