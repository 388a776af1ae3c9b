/**
 * `leadrelay migrate-store --to postgres://… [--db file]`: the move from SQLite to PostgreSQL. Copies
 * every table of the SQLite database into an empty PostgreSQL database (migrated first when needed)
 * in ONE PostgreSQL transaction, keeping every id (a lead stays L-17) and moving each identity
 * sequence past the highest id, converting values where the two stores' types differ, then checks
 * each table's row count against SQLite's before it commits, and prints the counts.
 *
 * It refuses, changing nothing: a PostgreSQL database that already holds leadrelay data, a SQLite
 * database a bot is running on (it holds the instance lease itself while it copies, so that no bot
 * starts meanwhile), and a SQLite schema version this leadrelay does not know.
 */
import { existsSync } from 'node:fs';
import { normalize } from 'node:path';
import Database from 'better-sqlite3';
import type { PoolClient } from 'pg';
import { MigrationError } from '../adapters/migrationFiles.ts';
import { connectPostgres, PostgresUnavailableError, type PgPool } from '../adapters/postgres/connectPostgres.ts';
import { migratePostgres } from '../adapters/postgres/migratePostgres.ts';
import { sqliteInstanceLease } from '../adapters/sqlite/sqliteInstanceLease.ts';
import { databaseUrlProblem, shownDatabaseUrl } from '../config/env.ts';
import { leadRef } from '../domain/lead.ts';
import type { CliIo, CommandLine } from './index.ts';
import { cliDatabasePath, schemaProblem } from './readOnlyDatabase.ts';

export const MIGRATE_STORE_DETAILS = `Moves leadrelay's data from SQLite to PostgreSQL: stop every bot on the SQLite file, create an
empty PostgreSQL database, run migrate-store. Ids are kept (L-17 stays L-17) and new leads continue after the highest
one. This version of leadrelay does not run the bot itself on PostgreSQL yet (it refuses to start with DATABASE_URL);
export and backup work on the copy. Everything is copied in one transaction: a failure leaves the PostgreSQL
database as it was, and the SQLite file is never changed (but for the instance lease held during the copy, so that no bot starts meanwhile).
Refused: a PostgreSQL database that already holds leadrelay data, a SQLite file a bot is running on, a SQLite schema
version this leadrelay does not know.`;

/** SQLite tables that are not data: the schema's own bookkeeping, and the one-writer lease (PostgreSQL has none). */
const NOT_COPIED = new Set(['schema_migrations', 'sqlite_sequence', 'instance_lease']);

/** Rows per INSERT (PostgreSQL takes at most 65,535 parameters per statement). */
const BATCH_PARAMETERS = 30_000;
const BATCH_ROWS = 1000;

/** Heartbeat of the lease held while copying (it lasts 6 s). */
const LEASE_HEARTBEAT_MS = 2000;

/** An expected refusal (not a failure of the copy): said as is. */
class CopyRefused extends Error {}

type Row = Record<string, unknown>;

interface PgColumn {
  type: string;
  required: boolean;
  identity: boolean;
}

interface TablePlan {
  table: string;
  /** Columns read from SQLite. */
  columns: string[];
  /** Columns computed from the SQLite row. */
  pgTypes: Map<string, string>;
  identity: string | null;
  withoutRowid: boolean;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A SQLite value as PostgreSQL's column type takes it; what cannot be converted is refused, naming the row. */
function toPostgres(value: unknown, type: string, where: () => string): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) throw new CopyRefused(`${where()}: binary data, which no leadrelay column holds`);
  switch (type) {
    case 'bigint':
    case 'integer':
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && !Number.isInteger(value)) throw new CopyRefused(`${where()}: ${value} is not a whole number`);
      return String(value);
    case 'double precision':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'json': {
      const text = typeof value === 'string' ? value : String(value);
      try {
        JSON.parse(text);
      } catch {
        throw new CopyRefused(`${where()}: not valid JSON`);
      }
      return text;
    }
    default: {
      const text = typeof value === 'string' ? value : String(value);
      // PostgreSQL text cannot hold a NUL character.
      if (text.includes('\u0000')) throw new CopyRefused(`${where()}: text with a NUL character, which PostgreSQL cannot store`);
      return text;
    }
  }
}

/** The SQLite tables to copy, with the PostgreSQL columns they go into, in an order that satisfies the foreign keys. */
async function planCopy(sqlite: Database.Database, client: PoolClient): Promise<TablePlan[]> {
  const tables = (sqlite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string; sql: string }[])
    .filter((t) => !NOT_COPIED.has(t.name));
  const { rows: columns } = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string }>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const pgTables = new Map<string, Map<string, PgColumn>>();
  for (const c of columns) {
    const table = pgTables.get(c.table_name) ?? new Map<string, PgColumn>();
    table.set(c.column_name, { type: c.data_type, identity: c.is_identity === 'YES', required: c.is_nullable === 'NO' && c.column_default === null && c.is_identity !== 'YES' });
    pgTables.set(c.table_name, table);
  }
  const plans = tables.map(({ name, sql }): TablePlan => {
    const pg = pgTables.get(name);
    if (!pg) throw new CopyRefused(`the SQLite table ${name} has no place in the PostgreSQL schema (a newer leadrelay's table?)`);
    const sqliteColumns = (sqlite.prepare(`PRAGMA table_info(${quote(name)})`).all() as { name: string }[]).map((c) => c.name);
    for (const column of sqliteColumns) if (!pg.has(column)) throw new CopyRefused(`the SQLite column ${name}.${column} has no place in the PostgreSQL schema`);
    for (const [column, info] of pg) {
      if (info.required && !sqliteColumns.includes(column)) {
        throw new CopyRefused(`the PostgreSQL column ${name}.${column} needs a value that the SQLite database does not have`);
      }
    }
    const identity = [...pg].find(([, info]) => info.identity)?.[0] ?? null;
    return { table: name, columns: sqliteColumns, pgTypes: new Map([...pg].map(([column, info]) => [column, info.type])), identity, withoutRowid: /WITHOUT\s+ROWID/i.test(sql) };
  });
  // Referenced tables first (leads before offers, history, outbox, …).
  const { rows: references } = await client.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace`,
  );
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  const place = (plan: TablePlan, path: string[]) => {
    if (placed.has(plan.table) || path.includes(plan.table)) return;
    for (const { parent } of references.filter((r) => r.child === plan.table && r.parent !== plan.table)) {
      const parentPlan = plans.find((p) => p.table === parent);
      if (parentPlan) place(parentPlan, [...path, plan.table]);
    }
    placed.add(plan.table);
    ordered.push(plan);
  };
  for (const plan of plans) place(plan, []);
  return ordered;
}

/** Tables of the PostgreSQL database (other than schema_migrations) that hold rows. */
async function nonEmptyTables(client: PoolClient, tables: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ has: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quote(table)}) AS has`);
    if (rows[0]?.has) found.push(table);
  }
  return found;
}

/** Copies one table, a batch of rows per INSERT, reading SQLite by rowid (or whole, for the small WITHOUT ROWID tables). */
async function copyTable(sqlite: Database.Database, client: PoolClient, plan: TablePlan): Promise<void> {
  const targetColumns = plan.columns;
  const perBatch = Math.max(1, Math.min(BATCH_ROWS, Math.floor(BATCH_PARAMETERS / targetColumns.length)));
  const head = `INSERT INTO ${quote(plan.table)} (${targetColumns.map(quote).join(', ')})${plan.identity ? ' OVERRIDING SYSTEM VALUE' : ''} VALUES `;
  const insert = async (rows: Row[]) => {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples = rows.map((row) => {
      const where = () => `${plan.table} row ${String(row[plan.identity ?? plan.columns[0] ?? ''] ?? '?')}, column`;
      const cells = [
        ...plan.columns.map((column) => toPostgres(row[column], plan.pgTypes.get(column) ?? 'text', () => `${where()} ${column}`)),
      ];
      const first = values.length;
      values.push(...cells);
      return `(${cells.map((_, i) => `$${first + i + 1}`).join(', ')})`;
    });
    await client.query(head + tuples.join(', '), values);
  };
  const select = `SELECT ${plan.columns.map(quote).join(', ')}`;
  if (plan.withoutRowid) {
    const rows = sqlite.prepare(`${select} FROM ${quote(plan.table)}`).safeIntegers(true).all() as Row[];
    for (let i = 0; i < rows.length; i += perBatch) await insert(rows.slice(i, i + perBatch));
    return;
  }
  // Pages by rowid: no SQLite statement stays open across the awaits.
  const page = sqlite.prepare(`${select}, rowid AS "__rowid" FROM ${quote(plan.table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`).safeIntegers(true);
  let after: bigint = -(2n ** 63n);
  for (;;) {
    const rows = page.all(after, perBatch) as (Row & { __rowid: bigint })[];
    await insert(rows);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < perBatch) return;
    after = last.__rowid;
  }
}

/** The next id each identity sequence hands out comes after the highest copied, and after any SQLite handed out (AUTOINCREMENT). */
async function moveSequences(sqlite: Database.Database, client: PoolClient, plans: TablePlan[]): Promise<Map<string, number>> {
  const handedOut = new Map(
    (sqlite.prepare(`SELECT name, seq FROM sqlite_sequence`).all() as { name: string; seq: number }[]).map((r) => [r.name, r.seq]),
  );
  const lastIds = new Map<string, number>();
  for (const plan of plans) {
    if (plan.identity === null) continue;
    const { rows } = await client.query<{ max: number | null }>(`SELECT max(${quote(plan.identity)}) AS max FROM ${quote(plan.table)}`);
    const last = Math.max(rows[0]?.max ?? 0, handedOut.get(plan.table) ?? 0);
    if (last > 0) await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), $3, true)`, [quote(plan.table), plan.identity, last]);
    lastIds.set(plan.table, last);
  }
  return lastIds;
}

interface CopyResult {
  counts: [string, number][];
  nextLead: number;
}

/** Everything in one transaction: the target is locked, checked empty, filled, its sequences moved and its counts checked. */
async function copyStore(sqlite: Database.Database, pool: PgPool, shownTarget: string): Promise<CopyResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // A big table's INSERTs are not stuck statements; an instance holding a table is not worth waiting long for.
    await client.query(`SET LOCAL statement_timeout = 0`);
    await client.query(`SET LOCAL lock_timeout = '10s'`);
    const plans = await planCopy(sqlite, client);
    const { rows: all } = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename`);
    const tables = all.map((t) => t.tablename);
    await client.query(`LOCK TABLE ${tables.map(quote).join(', ')} IN EXCLUSIVE MODE`);
    const taken = await nonEmptyTables(client, tables);
    if (taken.length > 0) {
      throw new CopyRefused(
        `the PostgreSQL database ${shownTarget} is not empty (${taken.join(', ')} hold rows): migrate-store copies into an empty database only, such as a new one made with createdb`,
      );
    }
    for (const plan of plans) await copyTable(sqlite, client, plan);
    const lastIds = await moveSequences(sqlite, client, plans);
    const counts: [string, number][] = [];
    for (const plan of plans) {
      const expected = (sqlite.prepare(`SELECT count(*) AS n FROM ${quote(plan.table)}`).get() as { n: number }).n;
      const { rows } = await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${quote(plan.table)}`);
      const copied = rows[0]?.n ?? 0;
      if (copied !== expected) throw new Error(`${plan.table} has ${copied} rows in PostgreSQL but ${expected} in SQLite`);
      counts.push([plan.table, copied]);
    }
    await client.query('COMMIT');
    return { counts: counts.sort(([a], [b]) => a.localeCompare(b)), nextLead: (lastIds.get('leads') ?? 0) + 1 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function table(counts: [string, number][]): string[] {
  const width = Math.max('table'.length, ...counts.map(([name]) => name.length));
  const digits = Math.max('rows'.length, ...counts.map(([, n]) => String(n).length));
  return [`  ${'table'.padEnd(width)}  ${'rows'.padStart(digits)}`, ...counts.map(([name, n]) => `  ${name.padEnd(width)}  ${String(n).padStart(digits)}`)];
}

/**
 * Exit 0 with the counts; 1 when the copy is refused or fails (nothing is copied then); 2 when the
 * command line is wrong (--to, required, is checked by the command line's parser).
 */
export async function runMigrateStore(line: CommandLine, io: CliIo): Promise<number> {
  const to = (line.values.get('to') ?? '').trim();
  const urlProblem = databaseUrlProblem(to, '--to');
  if (urlProblem !== null) {
    io.stderr.write(`${urlProblem}\n`);
    return 2;
  }
  const shownTarget = shownDatabaseUrl(to);
  const path = cliDatabasePath(line.values.get('db'), io.env);
  const shownSource = normalize(path);
  const fail = (message: string) => {
    io.stderr.write(`${message}: nothing copied\n`);
    return 1;
  };
  if (!existsSync(path)) return fail(`no database at ${shownSource}`);

  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    return fail(`cannot open the database ${shownSource} (${(error as Error).message})`);
  }
  let reader: Database.Database | undefined;
  let pool: PgPool | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let lease: ReturnType<typeof sqliteInstanceLease> | undefined;
  try {
    db.pragma('busy_timeout = 5000');
    const schema = schemaProblem(db);
    if (schema !== null) return fail(`the SQLite database ${shownSource} ${schema}`);
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v;
    // Holding the lease: a bot that is running refuses the copy, one started meanwhile waits on standby.
    lease = sqliteInstanceLease(db);
    const attempt = lease.tryAcquire();
    if (!attempt.acquired) {
      const age = Math.max(0, Math.round((Date.now() - attempt.holder.heartbeat_at) / 1000));
      lease = undefined;
      return fail(
        `a leadrelay instance is running on ${shownSource} (${attempt.holder.holder}, last heartbeat ${age} s ago): ` +
          'stop every bot on it first, so that nothing it does after the copy is left behind',
      );
    }
    const held = lease;
    heartbeat = setInterval(() => {
      try {
        held.renew();
      } catch {
        // Busy for a moment: the next heartbeat renews it (the lease lasts three of them).
      }
    }, LEASE_HEARTBEAT_MS);
    // One read transaction: every table is read from the same moment.
    reader = new Database(path, { readonly: true, fileMustExist: true });
    reader.exec('BEGIN');

    try {
      pool = await connectPostgres(to, { name: '--to', max: 2 });
    } catch (error) {
      if (error instanceof PostgresUnavailableError) return fail(error.message);
      throw error;
    }
    const migrated = await migratePostgres(pool);
    const pgVersion = (await pool.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? 0;
    const result = await copyStore(reader, pool, shownTarget);
    const leads = result.counts.find(([name]) => name === 'leads')?.[1] ?? 0;
    io.stdout.write(
      [
        `copied ${shownSource} (SQLite, schema version ${version}) into ${shownTarget} (PostgreSQL, schema version ${pgVersion}` +
          `${migrated.length > 0 ? ', just migrated' : ''}) in one transaction:`,
        ...table(result.counts),
        `every table's row count checked against SQLite's; ${leads} lead${leads === 1 ? '' : 's'}, the next is ${leadRef(result.nextLead)}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof CopyRefused || error instanceof MigrationError) return fail(error.message);
    return fail(`copying ${shownSource} into ${shownTarget} failed and was rolled back (${(error as Error).message})`);
  } finally {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    reader?.close();
    await pool?.end();
    try {
      lease?.release();
    } finally {
      db.close();
    }
  }
}
