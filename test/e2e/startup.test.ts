import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/adapters/sqlite/migrate.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

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
});

let slack: SlackStandIn | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

describe('npm start', () => {
  it('explains what to set when SLACK_BOT_TOKEN is missing, and exits 1', async () => {
    const run = await startBot({});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SLACK_BOT_TOKEN is not set');
    expect(run.stderr).toContain('manifest.yml');
  });

  it('names each missing or bad variable', async () => {
    const run = await startBot({ SLACK_BOT_TOKEN: 'xoxb-test', PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('SLACK_SIGNING_SECRET');
    expect(run.stderr).toContain('LEADRELAY_WEBHOOK_SECRET');
    expect(run.stderr).toContain('PORT');
  });

  it('names the config file, line and path of a config error', async () => {
    const dir = tempDir();
    const config = join(dir, 'leadrelay.yml');
    writeFileSync(config, 'fallback: { team: sdr }\nreps:\n  - id: U0ALICE\n    weight: heavy\nteams:\n  - id: sdr\n    manager: U0ALICE\n    members: [U0ALICE]\n');
    const run = await startBot({ ...validEnv(dir), LEADRELAY_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/leadrelay\.yml:4 reps\[0\]\.weight: expected number, got string/);
  });

  it('refuses a database written by a newer leadrelay', async () => {
    const dir = tempDir();
    const future = [...loadMigrations(), { version: loadMigrations().length + 1, name: '9999_future.sql', sql: 'CREATE TABLE future (x);' }];
    openDatabase(join(dir, 'leadrelay.db'), { migrations: future }).close();
    const run = await startBot(validEnv(dir));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has migration 9999_future.sql, which this version of leadrelay does not know');
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
    expect(run.stdout).toContain('leadrelay stopped');
  });
});
