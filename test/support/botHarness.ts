import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe } from 'vitest';
import type { Env } from '../../src/config/env.ts';
import { loadConfig, parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { openPostgres } from '../../src/adapters/postgres/migratePostgres.ts';
import { postgresStore } from '../../src/adapters/postgres/postgresStore.ts';
import { sqliteStore } from '../../src/adapters/sqlite/sqliteStore.ts';
import type { Store } from '../../src/app/ports.ts';
import { postgresBackend } from '../../src/adapters/postgres/postgresBackend.ts';
import { instanceName } from '../../src/adapters/instanceName.ts';
import type { StoreBackend, StoreKind } from '../../src/adapters/storeBackend.ts';
import { describePostgres, usePostgres } from './postgres.ts';
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
  /** The store the bot runs on; default SQLite (or the kind of `database`). */
  store?: StoreKind;
  /**
   * The database to run on, to restart a bot on the same one (`testDatabase()`, or an earlier
   * harness's `database`); default a new one: SQLite in memory, or a fresh PostgreSQL database.
   */
  database?: HarnessDatabase;
  /** SQLite: a file to run on (the same as `database: { kind: 'sqlite', path }`). */
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

/** A database a harness runs on, to start another bot on it (a restart) or to read it. */
export type HarnessDatabase = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

interface Running {
  bot?: RunningLeadrelay;
  slack?: SlackStandIn;
  backend?: StoreBackend;
}

const running: Running[] = [];
let postgres: ReturnType<typeof usePostgres> | undefined;

/**
 * Stops every bot, stand-in and database the test started, and drops the file's PostgreSQL
 * databases after it (registered once per test file, at its top level).
 */
export function useHarnessCleanup(): void {
  useHarnessDatabases();
  afterEach(async () => {
    for (const item of running.splice(0).reverse()) {
      await item.bot?.stop();
      await item.slack?.close();
      await item.backend?.close();
    }
  });
}

/**
 * Only the PostgreSQL databases' clean-up (dropped after the file), for a file that starts and
 * stops its bots itself (one bot for the whole file, in beforeAll / afterAll).
 */
export function useHarnessDatabases(): void {
  postgres ??= usePostgres();
}

/**
 * Runs the suite `body` on each store: SQLite, and PostgreSQL when a server answers (skipped
 * otherwise: the run says so once, see test/support/postgres.ts). `body` gets the store to pass to
 * startHarness (and testDatabase).
 */
export function describeEachStore(name: string, body: (store: StoreKind) => void): void {
  describe(`${name} (SQLite)`, () => body('sqlite'));
  describePostgres(`${name} (PostgreSQL)`, () => body('postgres'));
}

/** A new, empty database of `store` that several harnesses can run on one after the other: a SQLite file, or a PostgreSQL database. */
export async function testDatabase(store: StoreKind): Promise<HarnessDatabase> {
  if (store === 'sqlite') return { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'leadrelay-e2e-')), 'leadrelay.db') };
  if (!postgres) throw new Error('call useHarnessCleanup() at the top of the test file');
  return { kind: 'postgres', url: (await postgres.database()).url };
}

/**
 * The test's reads and writes of the bot's database, in SQL both stores take (`?` placeholders,
 * as on SQLite). Rows come back as SQLite gives them: JSON columns as their text, BIGINT as numbers.
 */
export interface SqlAccess {
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  run(sql: string, ...params: unknown[]): Promise<void>;
}

/** PostgreSQL's JSON as text (SQLite's TEXT), BIGINT as numbers (as the bot reads them). */
const sqliteLikeTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.JSON) return (text: string) => text;
    if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${(n += 1)}`);
};

function sqliteAccess(db: Db): SqlAccess {
  return {
    all: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
    get: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as T | undefined,
    run: async (sql: string, ...params: unknown[]) => void db.prepare(sql).run(...params),
  };
}

function postgresAccess(pool: pg.Pool): SqlAccess {
  const query = async (sql: string, params: unknown[]) => (await pool.query({ text: numbered(sql), values: params, types: sqliteLikeTypes })).rows;
  return {
    all: async <T>(sql: string, ...params: unknown[]) => (await query(sql, params)) as T[],
    get: async <T>(sql: string, ...params: unknown[]) => (await query(sql, params))[0] as T | undefined,
    run: async (sql: string, ...params: unknown[]) => void (await query(sql, params)),
  };
}

/**
 * Runs `work` on a database no bot runs on now (before one starts, after it stopped): its store
 * (migrated first, as a start would) and SQL on it; closed afterwards.
 */
export async function onDatabase<T>(database: HarnessDatabase, work: (opened: { store: Store; sql: SqlAccess }) => Promise<T>): Promise<T> {
  if (database.kind === 'sqlite') {
    const db = openDatabase(database.path);
    try {
      return await work({ store: sqliteStore(db), sql: sqliteAccess(db) });
    } finally {
      db.close();
    }
  }
  const pool = await openPostgres(database.url, { max: 2 });
  try {
    return await work({ store: postgresStore(pool), sql: postgresAccess(pool) });
  } finally {
    await pool.end();
  }
}

/** Opens the backend the harness runs on, and what the test reads it with. */
async function openBackend(options: HarnessOptions, logger: ReturnType<typeof createLogger>) {
  const database: HarnessDatabase | undefined = options.database ?? (options.dbPath !== undefined ? { kind: 'sqlite', path: options.dbPath } : undefined);
  const store = database?.kind ?? options.store ?? 'sqlite';
  if (store === 'sqlite') {
    const path = database?.kind === 'sqlite' ? database.path : ':memory:';
    const db = openDatabase(path);
    return { backend: sqliteBackend(db), db, sql: sqliteAccess(db), database: { kind: 'sqlite', path } as HarnessDatabase, dbPath: path };
  }
  const url = database?.kind === 'postgres' ? database.url : ((await testDatabase('postgres')) as { url: string }).url;
  // Migrated as the bot's start migrates (a restart finds nothing left to do).
  const pool = await openPostgres(url, { max: 4 });
  const backend = await postgresBackend(pool, { url, instance: instanceName(), logger });
  return { backend, db: undefined, sql: postgresAccess(pool), database: { kind: 'postgres', url } as HarnessDatabase, dbPath: ':memory:' };
}

/**
 * The real Bolt app (startLeadrelay, timers off: the test drives the fake clock, the outbox and the
 * sweeps) against the Slack stand-in over HTTP or Socket Mode, with helpers that speak the wire
 * formats: POST /leads with the shared secret, signed slash commands, state read from the database.
 */
export async function startHarness(options: HarnessOptions = {}) {
  const mode = options.mode ?? 'http';
  const slack = options.slack ?? (await startSlackStandIn({ signingSecret: HARNESS_SIGNING_SECRET, users: options.users ?? ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR', 'U0STRANGER'], socketMode: mode === 'socket' }));
  const entry: Running = { slack: options.slack ? undefined : slack };
  running.push(entry);
  options.beforeStart?.(slack);
  const logLines: string[] = [];
  const logger = createLogger(options.logLevel ?? 'silent', { write: (line: string) => logLines.push(line) });
  const opened = await openBackend(options, logger);
  const { backend, sql } = opened;
  entry.backend = backend;
  const clock = options.clock ?? new FakeClock('2026-11-24T14:00:00Z');
  const env: Env = {
    mode,
    botToken: slack.botToken,
    signingSecret: mode === 'http' ? HARNESS_SIGNING_SECRET : undefined,
    appToken: mode === 'socket' ? slack.appToken : undefined,
    slackApiUrl: slack.apiUrl,
    port: 0,
    configPath: 'e2e.yml',
    dbPath: opened.dbPath,
    webhookSecret: HARNESS_WEBHOOK_SECRET,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    logLevel: 'silent',
  };
  const config = options.config ?? configFrom(options.configYaml);
  const sourceSecrets = options.sourceSecrets ?? Object.fromEntries(config.sources.filter((s) => s.secret_env !== undefined).map((s) => [s.id, HARNESS_SOURCE_SECRET]));
  const bot = await startLeadrelay({ env, config, backend, clock, logger, timers: false, sourceSecrets });
  entry.bot = bot;
  const baseUrl = `http://127.0.0.1:${bot.port}`;
  if (mode === 'http') slack.setRequestUrl(`${baseUrl}/slack/events`);
  else await slack.waitForSocketConnection();

  const stop = async () => {
    await bot.stop();
    await backend.close();
    entry.bot = undefined;
    entry.backend = undefined;
  };
  const leadOf = async (id: number) => (await sql.get<{ state: string; owner_id: string | null }>('SELECT state, owner_id FROM leads WHERE id = ?', id)) as { state: string; owner_id: string | null };

  return {
    clock,
    slack,
    bot,
    store: backend.kind,
    /** The database, to start another bot on it (a restart). */
    database: opened.database,
    /** The test's SQL on the bot's database, whichever the store. */
    sql,
    /** The SQLite connection, for tests of SQLite itself (its file, its triggers); throws on PostgreSQL. */
    sqlite(): Db {
      if (!opened.db) throw new Error('harness.sqlite() is the SQLite connection: this bot runs on PostgreSQL (use harness.sql)');
      return opened.db;
    },
    baseUrl,
    /** Stops this bot and closes its database, keeping the stand-in (to restart on the same database). */
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
      await eventually(async () => (await leadOf(id)).state !== 'received');
      await bot.outbox.drain();
      return id;
    },
    /** A signed slash command; the ephemeral text of the reply. */
    async command(userId: string, command: string, text: string): Promise<string> {
      const reply = await slack.slashCommand({ command, text, userId });
      return (reply.body as { text: string }).text;
    },
    lead: leadOf,
    events: async (id: number) => (await sql.all<{ event: string }>('SELECT event FROM lead_history WHERE lead_id = ? ORDER BY id', id)).map((r) => r.event),
    pendingRep: async (id: number) => (await sql.get<{ rep_id: string }>(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`, id))?.rep_id,
  };
}
