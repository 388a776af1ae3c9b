import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/adapters/sqlite/migrate.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import { loadPostgresMigrations, migratePostgres } from '../../src/adapters/postgres/migratePostgres.ts';
import { describePostgres, usePostgres } from '../support/postgres.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'leadrelay-start-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s entry point with exactly `env` (plus PATH) and collects its output. */
function startBot(env: Record<string, string>, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', LEADRELAY_CONFIG: join(root, 'leadrelay.example.yml'), PORT: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const validEnv = (dir: string) => ({
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'signing-secret',
  LEADRELAY_WEBHOOK_SECRET: 'webhook-secret',
  LEADRELAY_DB: join(dir, 'leadrelay.db'),
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  // The example config's lead sources verify their requests with these.
  TYPEFORM_SECRET: 'typeform-secret',
  HUBSPOT_CLIENT_SECRET: 'hubspot-secret',
  CALENDLY_SIGNING_KEY: 'calendly-secret',
});

let slack: SlackStandIn | undefined;
const pg = usePostgres();
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

describe('npm start', () => {
  it('without Slack tokens runs the sandbox on the example config: page, generated secret, leads in; stops on SIGINT', async () => {
    let checks: Promise<{ page: number; info: { webhookSecret: string; config: string }; lead: number; leadBody: unknown }> | undefined;
    const run = await startBot({ LEADRELAY_CONFIG: '' }, (stdout, child) => {
      const ready = /leadrelay sandbox: open http:\/\/localhost:(\d+)\//.exec(stdout);
      if (!ready || checks) return;
      const base = `http://127.0.0.1:${ready[1]}`;
      checks = (async () => {
        const page = (await fetch(`${base}/`)).status;
        const info = (await (await fetch(`${base}/sandbox/info`)).json()) as { webhookSecret: string; config: string };
        const response = await fetch(`${base}/leads`, {
          method: 'POST',
          headers: { authorization: `Bearer ${info.webhookSecret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'jane@acme.example', score: 90 }),
        });
        return { page, info, lead: response.status, leadBody: await response.json() };
      })().finally(() => child.kill('SIGINT'));
    });
    const seen = await checks;
    expect(seen?.page).toBe(200);
    expect(seen?.info.config).toBe('leadrelay.example.yml');
    expect(seen?.lead).toBe(202);
    expect(seen?.leadBody).toEqual({ lead: 'L-1', status: 'accepted' });
    expect(run.stdout).toContain('(claim_within 1m for the sandbox)');
    expect(run.stdout).toContain(`-H 'Authorization: Bearer ${seen?.info.webhookSecret}'`);
    expect(run.stdout).toContain('Leads are kept in memory');
    expect(run.stdout).toContain('leadrelay stopped');
    expect(run.code).toBe(0);
  });

  it('refuses SLACK_APP_TOKEN without SLACK_BOT_TOKEN rather than starting the sandbox', async () => {
    const run = await startBot({ SLACK_APP_TOKEN: 'xapp-1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not');
  });

  it('names each missing or bad variable', async () => {
    const run = await startBot({ SLACK_BOT_TOKEN: 'xoxb-test', PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SLACK_SIGNING_SECRET');
    expect(run.stderr).toContain('LEADRELAY_WEBHOOK_SECRET');
    expect(run.stderr).toContain('PORT');
  });

  it('names DATABASE_URL when it is not a PostgreSQL URL', async () => {
    const run = await startBot({ ...validEnv(tempDir()), DATABASE_URL: 'mysql://root:hunter2@db/leadrelay' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL must be a PostgreSQL URL such as postgres://');
    expect(run.stderr).not.toContain('hunter2');
  });

  it('names DATABASE_URL, without its password, when no PostgreSQL server answers there', async () => {
    const run = await startBot({ ...validEnv(tempDir()), DATABASE_URL: 'postgres://leadrelay:hunter2@127.0.0.1:9/leadrelay' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DATABASE_URL (postgres://leadrelay:***@127.0.0.1:9/leadrelay): cannot use PostgreSQL: nothing answers at 127.0.0.1:9/leadrelay');
    expect(run.stderr).not.toContain('hunter2');
  });

  it('names the config file, line and path of a config error', async () => {
    const dir = tempDir();
    const config = join(dir, 'leadrelay.yml');
    writeFileSync(config, 'fallback: { team: sdr }\nreps:\n  - id: U0ALICE\n    weight: heavy\nteams:\n  - id: sdr\n    manager: U0ALICE\n    members: [U0ALICE]\n');
    const run = await startBot({ ...validEnv(dir), LEADRELAY_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/leadrelay\.yml:4 reps\[0\]\.weight: expected number, got string/);
  });

  it('names each lead source whose secret_env variable is not set, and where to find the secret', async () => {
    const dir = tempDir();
    const { TYPEFORM_SECRET: _typeform, CALENDLY_SIGNING_KEY: _calendly, ...env } = validEnv(dir);
    const run = await startBot({ ...env, CALENDLY_SIGNING_KEY: '  ' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('TYPEFORM_SECRET is not set: source "demo-form" (preset typeform) checks every request to /hooks/demo-form with it');
    expect(run.stderr).toContain('CALENDLY_SIGNING_KEY is not set: source "demo-booking" (preset calendly)');
    expect(run.stderr).not.toContain('HUBSPOT_CLIENT_SECRET');
  });

  it('refuses a database written by a newer leadrelay', async () => {
    const dir = tempDir();
    const future = [...loadMigrations(), { version: loadMigrations().length + 1, name: '9999_future.sql', sql: 'CREATE TABLE future (x);' }];
    openDatabase(join(dir, 'leadrelay.db'), { migrations: future }).close();
    const run = await startBot(validEnv(dir));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has migration 9999_future.sql, which this version of leadrelay does not know');
  });

  describePostgres('on PostgreSQL (DATABASE_URL)', () => {
    it('migrates the database, serves with every instance (no lease), reports the store in /healthz, and stops cleanly', async () => {
      slack = await startSlackStandIn({ signingSecret: 'signing-secret', socketMode: false });
      const db = await pg.database();
      let health: Promise<unknown> | undefined;
      const run = await startBot({ ...validEnv(tempDir()), SLACK_API_URL: slack.apiUrl, DATABASE_URL: db.url, LOG_LEVEL: 'info' }, (stdout, child) => {
        const ready = /"port":(\d+).*leadrelay is running/.exec(stdout);
        if (ready && !health) health = fetch(`http://127.0.0.1:${ready[1]}/healthz`).then((r) => r.json()).finally(() => child.kill('SIGTERM'));
      });
      expect(await health).toMatchObject({ status: 'ok', store: 'postgres', database: 'ok', instance: expect.stringMatching(/\/\d+\/[0-9a-f]{6}$/) });
      expect(run.code).toBe(0);
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
      expect(rows[0]?.n).toBe(loadPostgresMigrations().length);
      expect(run.stdout).toContain('running on PostgreSQL: every instance serves');
      expect(run.stdout).not.toContain('lease.acquired');
    });

    it('refuses a PostgreSQL database written by a newer leadrelay, naming DATABASE_URL', async () => {
      const db = await pg.database();
      const future = [...loadPostgresMigrations(), { version: loadPostgresMigrations().length + 1, name: '9999_future.sql', sql: 'CREATE TABLE future (x int);' }];
      await migratePostgres(db.pool, future);
      const run = await startBot({ ...validEnv(tempDir()), DATABASE_URL: db.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`DATABASE_URL (${db.url}): the database has migration 9999_future.sql, which this version of leadrelay does not know`);
    });
  });

  it('names each bad row of the enrichment company table, and exits 1', async () => {
    const dir = tempDir();
    const config = join(dir, 'leadrelay.yml');
    writeFileSync(config, 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: ./companies.csv\n');
    writeFileSync(join(dir, 'companies.csv'), 'domain,employees\nacme.com,1200\nglobex.com,a few\n');
    const run = await startBot({ ...validEnv(dir), LEADRELAY_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('./companies.csv row 3: employees: expected a number, got "a few"');
  });

  it('reloads the company table on SIGHUP, keeping the previous one when the new file is invalid', async () => {
    slack = await startSlackStandIn({ signingSecret: 'signing-secret', socketMode: false });
    const dir = tempDir();
    const config = join(dir, 'leadrelay.yml');
    const companies = join(dir, 'companies.csv');
    writeFileSync(config, 'reps: [{ id: U0ALICE }]\nfallback: { rep: U0ALICE }\nenrichment:\n  companies: ./companies.csv\n');
    writeFileSync(companies, 'domain,name\nacme.com,Acme\n');
    let step = 0;
    const run = await startBot({ ...validEnv(dir), SLACK_API_URL: slack.apiUrl, LEADRELAY_CONFIG: config }, (stdout, child) => {
      if (step === 0 && stdout.includes('leadrelay is running')) {
        step = 1;
        writeFileSync(companies, 'domain,name\nacme.com,Acme\nnot a domain,X\n');
        child.kill('SIGHUP');
      } else if (step === 1 && stdout.includes('company table NOT reloaded')) {
        step = 2;
        writeFileSync(companies, 'domain,name\nacme.com,Acme\nglobex.com,Globex\n');
        child.kill('SIGHUP');
      } else if (step === 2 && stdout.includes('"companies":2')) {
        step = 3;
        child.kill('SIGTERM');
      }
    });
    expect(run.code).toBe(0);
    expect(step).toBe(3);
    expect(run.stdout).toContain('row 3: domain: invalid domain');
    expect(run.stdout).toMatch(/"companies":2.*company table reloaded/);
  });

  it('serves /healthz and /metrics (with the process metrics), then shuts down cleanly on SIGTERM', async () => {
    slack = await startSlackStandIn({ signingSecret: 'signing-secret', socketMode: false });
    const dir = tempDir();
    let health: Promise<[Response, string]> | undefined;
    const run = await startBot({ ...validEnv(dir), SLACK_API_URL: slack.apiUrl }, (stdout, child) => {
      const ready = /"port":(\d+).*leadrelay is running/.exec(stdout);
      if (ready && !health) {
        const base = `http://127.0.0.1:${ready[1]}`;
        health = Promise.all([fetch(`${base}/healthz`), fetch(`${base}/metrics`).then((r) => r.text())]).finally(() => child.kill('SIGTERM'));
      }
    });
    const [healthz, metrics] = (await health) ?? [];
    expect(healthz?.status).toBe(200);
    expect(metrics).toMatch(/^leadrelay_info\{version="[^"]+",mode="http"\} 1$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(run.code).toBe(0);
    // Logged as the stop ends, just before the exit: logs are written asynchronously, so this line is
    // only there because the logger writes what is left synchronously at exit (it fails without that).
    expect(run.stdout).toContain('leadrelay stopped');
  });
});
