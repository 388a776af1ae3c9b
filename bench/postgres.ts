/**
 * The bench's stores: SQLite (a file per phase, as today) or PostgreSQL (a fresh database per phase
 * on the server at LEADRELAY_BENCH_PG, else postgres://postgres@127.0.0.1:5432/test, created before
 * the phase and dropped after it). The bot is started on PostgreSQL as the README's "Running several
 * instances" starts it: `DATABASE_URL=… PORT=… npm start`, nothing else (no LEADRELAY_DB).
 *
 * Also: what a phase's SQL cost the server (pg_stat_database of the phase's database, always there,
 * unlike pg_stat_statements), a small query helper the phases use on either store, and the copy of a
 * seeded SQLite database into PostgreSQL with the bot's own `leadrelay migrate-store`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';

const root = fileURLToPath(new URL('../', import.meta.url));

export const DEFAULT_BENCH_PG = 'postgres://postgres@127.0.0.1:5432/test';

/** Where the bench looks for a PostgreSQL server. */
export const benchPgServerUrl = (env: NodeJS.ProcessEnv = process.env): string => env.LEADRELAY_BENCH_PG?.trim() || DEFAULT_BENCH_PG;

/** Which store a phase runs on: SQLite, or a PostgreSQL database (its URL). */
export type BenchStore = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

/** The bot's environment for its store: LEADRELAY_DB=`sqlitePath`, or DATABASE_URL alone. */
export const storeEnv = (store: BenchStore, sqlitePath: string): Record<string, string> =>
  store.kind === 'postgres' ? { DATABASE_URL: store.url } : { LEADRELAY_DB: sqlitePath };

const client = (url: string) => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, application_name: 'leadrelay-bench' });
  c.on('error', () => undefined);
  return c;
};

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = client(url);
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Null when a server answers at `url` and its user may create databases, else why not (one line). */
export async function pgServerProblem(url: string): Promise<string | null> {
  try {
    const may = await withClient(url, async (c) => (await c.query<{ may: boolean }>('SELECT rolcreatedb OR rolsuper AS may FROM pg_roles WHERE rolname = current_user')).rows[0]?.may);
    return may ? null : `the user of ${new URL(url).host} may not create databases`;
  } catch (error) {
    return `no PostgreSQL server answers at ${new URL(url).host} (${(error as Error).message || (error as { code?: string }).code})`;
  }
}

export interface PhaseDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one phase (`lrbench_<phase>_<pid>`); the bot migrates it at start. */
export async function createPhaseDatabase(serverUrl: string, phase: string): Promise<PhaseDatabase> {
  const name = `lrbench_${phase.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}`;
  await withClient(serverUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs `work` on a store made for the phase: SQLite as is, PostgreSQL on a database created for it and dropped after. */
export async function withPhaseStore<T>(kind: BenchStore['kind'], serverUrl: string, phase: string, work: (store: BenchStore) => Promise<T>): Promise<T> {
  if (kind === 'sqlite') return work({ kind: 'sqlite' });
  const db = await createPhaseDatabase(serverUrl, phase);
  try {
    return await work({ kind: 'postgres', url: db.url });
  } finally {
    await db.drop().catch(() => undefined);
  }
}

/** Queries a phase's database from the bench process, on either store (`?` placeholders; a write returns no rows). */
export interface BenchSql {
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The first column of every row, as numbers. */
  numbers(sql: string, params?: unknown[]): Promise<number[]>;
  close(): Promise<void>;
}

export async function openBenchSql(store: BenchStore, sqlitePath: string, options: { readonly?: boolean } = {}): Promise<BenchSql> {
  if (store.kind === 'sqlite') {
    const db = new Database(sqlitePath, { readonly: options.readonly ?? false });
    return {
      rows: async <T>(sql: string, params: unknown[] = []) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as T[];
        statement.run(...params);
        return [];
      },
      numbers: async (sql, params = []) => (db.prepare(sql).raw().all(...params) as unknown[][]).map((row) => Number(row[0])),
      close: async () => void db.close(),
    };
  }
  const c = client(store.url);
  await c.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    rows: async <T>(sql: string, params: unknown[] = []) => (await c.query(numbered(sql), params)).rows as T[],
    numbers: async (sql, params = []) => (await c.query({ text: numbered(sql), values: params, rowMode: 'array' })).rows.map((row: unknown[]) => Number(row[0])),
    close: () => c.end().catch(() => undefined),
  };
}

/** The database's size in MB (SQLite: the file's; PostgreSQL: pg_database_size). */
export async function storeSizeMb(store: BenchStore, sqlitePath: string): Promise<number> {
  if (store.kind === 'sqlite') {
    const { statSync } = await import('node:fs');
    return Math.round(statSync(sqlitePath).size / 2 ** 20);
  }
  return withClient(store.url, async (c) => Math.round(Number((await c.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]?.n ?? 0) / 2 ** 20));
}

/**
 * Copies a seeded SQLite database into the (empty) PostgreSQL database at `url` with the bot's own
 * command, as a user moves to PostgreSQL: `leadrelay migrate-store --db <file> --to <url>` (ids kept,
 * sequences moved past them, counts checked). Resolves with the time it took, in ms.
 */
export function copyIntoPostgres(sqlitePath: string, url: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, 'bin/leadrelay.js'), 'migrate-store', '--db', sqlitePath, '--to', url], { cwd: root, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`leadrelay migrate-store failed: ${stderr || stdout || error.message}`));
      else resolve(Date.now() - started);
    });
  });
}

/** What the server did in one database, from pg_stat_database (cumulative counters). */
export interface PgActivity {
  xactCommit: number;
  xactRollback: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
  tupFetched: number;
  blksRead: number;
  blksHit: number;
  /** The cluster's WAL position (bytes): every database of the server writes there. */
  walLsnBytes: number;
}

export async function pgActivity(url: string): Promise<PgActivity> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Record<string, string>>(
      `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, blks_read, blks_hit,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS wal
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const row = rows[0] ?? {};
    const n = (key: string) => Number(row[key] ?? 0);
    return {
      xactCommit: n('xact_commit'),
      xactRollback: n('xact_rollback'),
      tupInserted: n('tup_inserted'),
      tupUpdated: n('tup_updated'),
      tupDeleted: n('tup_deleted'),
      tupFetched: n('tup_fetched'),
      blksRead: n('blks_read'),
      blksHit: n('blks_hit'),
      walLsnBytes: n('wal'),
    };
  });
}

/**
 * Per lead, between two snapshots: transactions committed (every statement outside a transaction
 * counts as one), rows inserted / updated / deleted / fetched, buffer reads, and WAL bytes (the
 * cluster's: other databases on the server add theirs).
 */
export function pgProfile(before: PgActivity, after: PgActivity, leads: number) {
  const per = (key: keyof PgActivity, digits = 2) => (leads > 0 ? Math.round(((after[key] - before[key]) / leads) * 10 ** digits) / 10 ** digits : null);
  return {
    leads,
    commitsPerLead: per('xactCommit'),
    rollbacksPerLead: per('xactRollback', 3),
    rowsInsertedPerLead: per('tupInserted'),
    rowsUpdatedPerLead: per('tupUpdated'),
    rowsDeletedPerLead: per('tupDeleted'),
    rowsFetchedPerLead: per('tupFetched'),
    blocksHitPerLead: per('blksHit', 1),
    blocksReadPerLead: per('blksRead', 2),
    walBytesPerLead: leads > 0 ? Math.round((after.walLsnBytes - before.walLsnBytes) / leads) : null,
  };
}

export type PgProfile = ReturnType<typeof pgProfile>;
