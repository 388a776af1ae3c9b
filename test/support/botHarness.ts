import { afterEach } from 'vitest';
import type { Env } from '../../src/config/env.ts';
import { loadConfig, parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { startLeadrelay, type RunningLeadrelay } from '../../src/leadrelay.ts';
import { eventually } from './eventually.ts';
import { FakeClock } from './fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import type { StandInUserInput } from '../../src/sandbox/slackWorkspace.ts';

export const HARNESS_SIGNING_SECRET = 'e2e-signing-secret';
export const HARNESS_WEBHOOK_SECRET = 'e2e-webhook-secret';
/** The signing secret of every lead source (`sources:`) with a secret_env, unless `sourceSecrets` says otherwise. */
export const HARNESS_SOURCE_SECRET = 'e2e-source-secret';

export interface HarnessOptions {
  /** leadrelay.yml text; default: the repository's leadrelay.example.yml. */
  configYaml?: string;
  /** A parsed config, for settings YAML cannot express (e.g. an enrichment timeout under a second); wins over configYaml. */
  config?: Config;
  mode?: 'http' | 'socket';
  users?: (StandInUserInput | string)[];
  /** Default ':memory:'; a file to restart a bot on the same database. */
  dbPath?: string;
  clock?: FakeClock;
  /** Reuse a running stand-in (a restart test). */
  slack?: SlackStandIn;
  /** Faults to set up before the bot starts. */
  beforeStart?: (slack: SlackStandIn) => void;
  /** Log level of the bot's logger, whose JSON lines `logs()` returns; default silent. */
  logLevel?: string;
  /** Signing secrets by source id; default HARNESS_SOURCE_SECRET for each source with a secret_env. */
  sourceSecrets?: Record<string, string>;
  /** LEADRELAY_PUBLIC_URL. */
  publicUrl?: string;
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;

export function configFrom(yaml: string | undefined): Config {
  const result = yaml === undefined ? loadConfig(new URL('../../leadrelay.example.yml', import.meta.url).pathname) : parseConfig(yaml, 'e2e.yml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
}

const running: { bot?: RunningLeadrelay; slack?: SlackStandIn; db?: Db }[] = [];

/** Stops every bot, stand-in and database the test started (registered once per test file). */
export function useHarnessCleanup(): void {
  afterEach(async () => {
    for (const item of running.splice(0).reverse()) {
      await item.bot?.stop();
      await item.slack?.close();
      item.db?.close();
    }
  });
}

/**
 * The real Bolt app (startLeadrelay, timers off: the test drives the fake clock, the outbox and the
 * sweeps) against the Slack stand-in over HTTP or Socket Mode, with helpers that speak the wire
 * formats: POST /leads with the shared secret, signed slash commands, state read from the database.
 */
export async function startHarness(options: HarnessOptions = {}) {
  const mode = options.mode ?? 'http';
  const slack = options.slack ?? (await startSlackStandIn({ signingSecret: HARNESS_SIGNING_SECRET, users: options.users ?? ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR', 'U0STRANGER'], socketMode: mode === 'socket' }));
  const entry: { bot?: RunningLeadrelay; slack?: SlackStandIn; db?: Db } = { slack: options.slack ? undefined : slack };
  running.push(entry);
  options.beforeStart?.(slack);
  const db = openDatabase(options.dbPath ?? ':memory:');
  entry.db = db;
  const clock = options.clock ?? new FakeClock('2026-11-24T14:00:00Z');
  const env: Env = {
    mode,
    botToken: slack.botToken,
    signingSecret: mode === 'http' ? HARNESS_SIGNING_SECRET : undefined,
    appToken: mode === 'socket' ? slack.appToken : undefined,
    slackApiUrl: slack.apiUrl,
    port: 0,
    configPath: 'e2e.yml',
    dbPath: options.dbPath ?? ':memory:',
    webhookSecret: HARNESS_WEBHOOK_SECRET,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    logLevel: 'silent',
  };
  const logLines: string[] = [];
  const logger = createLogger(options.logLevel ?? 'silent', { write: (line: string) => logLines.push(line) });
  const config = options.config ?? configFrom(options.configYaml);
  const sourceSecrets = options.sourceSecrets ?? Object.fromEntries(config.sources.filter((s) => s.secret_env !== undefined).map((s) => [s.id, HARNESS_SOURCE_SECRET]));
  const bot = await startLeadrelay({ env, config, backend: sqliteBackend(db), clock, logger, timers: false, sourceSecrets });
  entry.bot = bot;
  const baseUrl = `http://127.0.0.1:${bot.port}`;
  if (mode === 'http') slack.setRequestUrl(`${baseUrl}/slack/events`);
  else await slack.waitForSocketConnection();

  const stop = async () => {
    await bot.stop();
    db.close();
    entry.bot = undefined;
    entry.db = undefined;
  };

  return {
    clock,
    slack,
    bot,
    db,
    baseUrl,
    /** Stops this bot and closes its database, keeping the stand-in (to restart on the same file). */
    stop,
    /** The bot's log so far: the raw JSON lines (see `logLevel`). */
    logLines: () => [...logLines],
    /** The bot's log so far, parsed. */
    logs: () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>),
    /** GET /metrics: the Prometheus text. */
    async metrics(): Promise<string> {
      const response = await fetch(`${baseUrl}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return response.text();
    },
    /** POST /leads with the bearer secret; the raw response. */
    sendLead(lead: unknown) {
      return fetch(`${baseUrl}/leads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify(lead),
      });
    },
    /** POST /leads, wait until it is routed, deliver what that caused; returns the lead id. */
    async postLead(lead: Record<string, unknown>): Promise<number> {
      const response = await this.sendLead(lead);
      const id = Number(((await response.json()) as { lead: string }).lead.slice(2));
      await eventually(() => (db.prepare('SELECT state FROM leads WHERE id = ?').get(id) as { state: string }).state !== 'received');
      await bot.outbox.drain();
      return id;
    },
    /** A signed slash command; the ephemeral text of the reply. */
    async command(userId: string, command: string, text: string): Promise<string> {
      const reply = await slack.slashCommand({ command, text, userId });
      return (reply.body as { text: string }).text;
    },
    lead: (id: number) => db.prepare('SELECT state, owner_id FROM leads WHERE id = ?').get(id) as { state: string; owner_id: string | null },
    events: (id: number) => (db.prepare('SELECT event FROM lead_history WHERE lead_id = ? ORDER BY id').all(id) as { event: string }[]).map((r) => r.event),
    pendingRep: (id: number) => (db.prepare(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`).get(id) as { rep_id: string } | undefined)?.rep_id,
  };
}
