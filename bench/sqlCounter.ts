/**
 * The bench's SQL counter: loaded into the bot process by the cost phase only
 * (`node --import tsx --import ./bench/sqlCounter.ts dist/src/main.js`), never part of the bot.
 * better-sqlite3 has no statement hook, so this wraps its Statement methods (run / get / all /
 * iterate) and Database#exec, and counts, per statement text: executions and the time spent in
 * them; in all: commits (COMMIT, and each write run outside a transaction: an autocommit), the
 * time spent in COMMIT (the fsync of synchronous=FULL), and WAL frames written (read after each
 * commit from the WAL index header in the `-shm` file: mxFrame, which counts the frames in the
 * WAL and starts again from 0 when the WAL is restarted after a checkpoint; a restart also gives
 * the WAL new salts, so a commit of as many frames as the one before it is still counted).
 *
 * SIGUSR2 writes a snapshot of the counts so far to `$BENCH_SQL_STATS.<n>.json` (n = 0, 1, …),
 * with the moment it was taken (process.hrtime, µs: the clock of V8's CPU profiles), so that the
 * bench can take the difference over its measured window (bench/cost.ts).
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface SqlSnapshot {
  /** process.hrtime when taken, µs. */
  atUs: number;
  statements: Record<string, { count: number; ms: number; writes: boolean }>;
  executions: number;
  commits: number;
  commitMs: number;
  walFrames: number;
  pageSize: number;
}

type Stmt = Database.Statement & { source: string; reader: boolean; database: Database.Database };

const prefix = process.env.BENCH_SQL_STATS;
const counts = new Map<string, { count: number; ns: bigint; writes: boolean }>();
let executions = 0;
let commits = 0;
let commitNs = 0n;
let walFrames = 0;
let pageSize = 0;
/** Per database file: the `-shm` file's descriptor, the last mxFrame seen and the WAL's salt then. */
const wal = new Map<string, { fd: number | null; last: number; salt: number }>();
const header = Buffer.alloc(48);

/** The WAL index header's mxFrame (offset 16), page size (offset 14; 1 means 65536) and first salt (offset 32), native byte order. */
function readWalHeader(db: Database.Database): { mxFrame: number; pageSize: number; salt: number } | null {
  let entry = wal.get(db.name);
  if (!entry) {
    let fd: number | null = null;
    try {
      fd = db.memory ? null : openSync(`${db.name}-shm`, 'r');
    } catch {
      fd = null;
    }
    entry = { fd, last: -1, salt: 0 };
    wal.set(db.name, entry);
  }
  if (entry.fd === null) return null;
  if (readSync(entry.fd, header, 0, 48, 0) < 48) return null;
  const size = header.readUInt16LE(14);
  return { mxFrame: header.readUInt32LE(16), pageSize: size === 1 ? 65536 : size, salt: header.readUInt32LE(32) };
}

function noteCommit(db: Database.Database): void {
  commits += 1;
  const now = readWalHeader(db);
  if (!now) return;
  pageSize = now.pageSize;
  const entry = wal.get(db.name) as { last: number; salt: number };
  const restarted = now.salt !== entry.salt || now.mxFrame < entry.last;
  if (entry.last >= 0) walFrames += restarted ? now.mxFrame : now.mxFrame - entry.last;
  entry.last = now.mxFrame;
  entry.salt = now.salt;
}

const CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

function record(statement: Stmt, startedAt: bigint): void {
  const ns = process.hrtime.bigint() - startedAt;
  const source = statement.source.replace(/\s+/g, ' ').trim();
  const entry = counts.get(source) ?? { count: 0, ns: 0n, writes: !statement.reader };
  entry.count += 1;
  entry.ns += ns;
  counts.set(source, entry);
  executions += 1;
  const db = statement.database;
  if (/^COMMIT\b|^END\b/i.test(source)) {
    commitNs += ns;
    noteCommit(db);
  } else if (!statement.reader && !db.inTransaction && !CONTROL.test(source)) {
    noteCommit(db);
  }
}

const probe = new Database(':memory:');
const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
probe.close();
for (const method of ['run', 'get', 'all', 'iterate'] as const) {
  const original = statementPrototype[method] as (...args: unknown[]) => unknown;
  statementPrototype[method] = function counted(this: Stmt, ...args: unknown[]) {
    const startedAt = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      record(this, startedAt);
    }
  };
}
const databasePrototype = Database.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const originalExec = databasePrototype.exec as (this: Database.Database, sql: string) => unknown;
databasePrototype.exec = function countedExec(this: Database.Database, sql: unknown) {
  const startedAt = process.hrtime.bigint();
  try {
    return originalExec.call(this, sql as string);
  } finally {
    const key = `exec: ${String(sql).replace(/\s+/g, ' ').trim().slice(0, 120)}`;
    const entry = counts.get(key) ?? { count: 0, ns: 0n, writes: true };
    entry.count += 1;
    entry.ns += process.hrtime.bigint() - startedAt;
    counts.set(key, entry);
    executions += 1;
  }
};

export function snapshot(): SqlSnapshot {
  const statements: SqlSnapshot['statements'] = {};
  for (const [source, entry] of counts) statements[source] = { count: entry.count, ms: Number(entry.ns) / 1e6, writes: entry.writes };
  return { atUs: Number(process.hrtime.bigint() / 1000n), statements, executions, commits, commitMs: Number(commitNs) / 1e6, walFrames, pageSize };
}

if (prefix !== undefined) {
  let next = 0;
  process.on('SIGUSR2', () => writeFileSync(`${prefix}.${next++}.json`, JSON.stringify(snapshot())));
  process.on('exit', () => {
    for (const entry of wal.values()) if (entry.fd !== null) closeSync(entry.fd);
  });
}
