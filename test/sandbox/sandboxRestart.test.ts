/**
 * Sandbox mode with LEADRELAY_DB, restarted: the leads are in the database, and the stand-in's
 * Slack workspace is kept beside it, so the cards posted before the restart are still there to be
 * clicked and updated, and the bot logs no error for them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH, type Env } from '../../src/config/env.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/startSandbox.ts';
import { withShortSla } from '../../src/sandbox/sandboxDirectory.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';

const MINUTE = 60_000;
const dirs: string[] = [];
const running: { sandbox: RunningSandbox; db: Db }[] = [];
afterEach(async () => {
  for (const { sandbox, db } of running.splice(0)) {
    await sandbox.stop();
    db.close();
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-sandbox-restart-'));
  dirs.push(dir);
  return join(dir, 'leadrelay.db');
}

/** A sandbox on the database file at `dbPath`, as `LEADRELAY_DB=… npm start` runs it, its log lines collected. */
async function start(dbPath: string, clock: FakeClock) {
  const loaded = loadConfig(EXAMPLE_CONFIG_PATH);
  if (!loaded.ok) throw new Error('example config invalid');
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const db = openDatabase(dbPath);
  const env: Env = { mode: 'sandbox', slackApiUrl: 'https://slack.invalid/api/', port: 0, configPath: EXAMPLE_CONFIG_PATH, dbPath, logLevel: 'info' };
  const sandbox = await startSandbox({ env, config: withShortSla(loaded.config, MINUTE), configLabel: 'leadrelay.example.yml', backend: sqliteBackend(db), clock, logger, timers: false });
  const entry = { sandbox, db };
  running.push(entry);
  const stop = async () => {
    running.splice(running.indexOf(entry), 1);
    await sandbox.stop();
    db.close();
  };
  const sendLead = async (lead: Record<string, unknown>) => {
    const response = await fetch(`http://127.0.0.1:${sandbox.port}/leads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.webhookSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify(lead),
    });
    const id = Number(((await response.json()) as { lead: string }).lead.slice(2));
    await eventually(() => (db.prepare('SELECT state FROM leads WHERE id = ?').get(id) as { state: string }).state !== 'received');
    await sandbox.bot.outbox.drain();
    return id;
  };
  const errors = () => lines.filter((line) => Number(line.level) >= 50);
  return { sandbox, db, stop, sendLead, lines, errors };
}

describe('sandbox with LEADRELAY_DB, restarted', () => {
  it('keeps the Slack workspace beside the database: old cards are updated after the restart, with no error logged', async () => {
    const dbPath = tempDb();
    // Tuesday 14:00 UTC: the senior team is inside its hours.
    const clock = new FakeClock('2026-11-24T14:00:00Z');
    const first = await start(dbPath, clock);
    expect(first.sandbox.savedWorkspace).toEqual({ path: `${dbPath}.sandbox-slack.json`, restored: 'new' });
    const id = await first.sendLead({ email: 'jane@acme.example', name: 'Jane Doe', score: 90 });
    const rep = (first.db.prepare(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`).get(id) as { rep_id: string }).rep_id;
    const card = first.sandbox.slack.lastMessage(rep);
    expect(card?.text).toContain('New lead L-1');
    await first.stop();
    expect(existsSync(`${dbPath}.sandbox-slack.json`)).toBe(true);

    const second = await start(dbPath, clock);
    expect(second.sandbox.savedWorkspace?.restored).toBe('restored');
    const restored = second.sandbox.slack.lastMessage(rep);
    expect(restored?.ts).toBe(card?.ts);
    // The offer expires after the restart: the old card is updated in place and the next rep is offered.
    clock.advance(2 * MINUTE);
    await second.sandbox.bot.deadlines.expireDue();
    await second.sandbox.bot.outbox.drain();
    expect(second.sandbox.slack.lastMessage(rep)?.ts).toBe(card?.ts);
    expect(JSON.stringify(second.sandbox.slack.lastMessage(rep)?.blocks)).toContain('Expired');
    expect(second.errors()).toEqual([]);
    // New messages get a ts after the old ones.
    const next = (second.db.prepare(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`).get(id) as { rep_id: string } | undefined)?.rep_id;
    if (next !== undefined) expect(Number(second.sandbox.slack.lastMessage(next)?.ts)).toBeGreaterThan(Number(card?.ts));
  });

  /** A sandbox on a new database file that got one lead and was stopped: its path and clock. */
  async function oneLeadThenStopped() {
    const dbPath = tempDb();
    const clock = new FakeClock('2026-11-24T14:00:00Z');
    const first = await start(dbPath, clock);
    await first.sendLead({ email: 'jane@acme.example', score: 90 });
    await first.stop();
    return { dbPath, clock };
  }

  it('says so, without restoring, when a workspace file sits beside a new database', async () => {
    const { dbPath, clock } = await oneLeadThenStopped();
    rmSync(dbPath);
    rmSync(`${dbPath}-wal`, { force: true });
    rmSync(`${dbPath}-shm`, { force: true });
    const second = await start(dbPath, clock);
    expect(second.sandbox.savedWorkspace?.restored).toBe('new');
    expect(second.sandbox.slack.workspace.allMessages()).toEqual([]);
  });

  it('warns when the database has leads but no workspace was kept beside it', async () => {
    const { dbPath, clock } = await oneLeadThenStopped();
    rmSync(`${dbPath}.sandbox-slack.json`);
    const second = await start(dbPath, clock);
    expect(second.sandbox.savedWorkspace?.restored).toBe('missing');
    expect(second.lines.some((line) => line.level === 40 && String(line.msg).includes('no saved Slack workspace'))).toBe(true);
  });
});
