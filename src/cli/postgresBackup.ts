/**
 * `leadrelay backup <file>` on PostgreSQL (DATABASE_URL or --database-url): PostgreSQL's own
 * pg_dump, custom format, taken from one snapshot that leadrelay exports and counts, so that the
 * summary describes exactly what is in the file. Without pg_dump on PATH it says how to take the
 * backup by hand. Like the SQLite backup, the file is written beside the target and moved into
 * place only once it checks out.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join, normalize } from 'node:path';
import { connectPostgres, PostgresUnavailableError } from '../adapters/postgres/connectPostgres.ts';
import { postgresSchemaProblem } from '../adapters/postgres/migratePostgres.ts';
import { shownDatabaseUrl } from '../config/env.ts';
import type { CliIo } from './index.ts';

/** The full path of `program` on the PATH of `env`, or null. */
export function findOnPath(program: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // Not here.
    }
  }
  return null;
}

/** The database as the hand-written commands should name it: the variable when it came from there, so no password is printed. */
const urlInCommands = (url: string, name: string) => (name === 'DATABASE_URL' ? '"$DATABASE_URL"' : `'${shownDatabaseUrl(url)}'`);

/** What to do without pg_dump: install it, or run it by hand; and how such a file is restored. */
export function pgDumpMissing(target: string, url: string, name: string): string {
  const db = urlInCommands(url, name);
  return [
    'pg_dump is not on PATH: nothing backed up.',
    "leadrelay backs PostgreSQL up with PostgreSQL's own pg_dump: install PostgreSQL's client programs, of the server's",
    "version or newer (Debian, Ubuntu: apt-get install postgresql-client), and run this again; or take the backup yourself:",
    `  pg_dump --format=custom --file=${target} ${db}`,
    'Restore it into an empty database, with every instance stopped:',
    `  pg_restore --no-owner --dbname=${db} ${target}`,
    '',
  ].join('\n');
}

/** The URL without its password (pg_dump gets it in PGPASSWORD, so it never shows in the process list), and the password. */
function splitPassword(url: string): { url: string; password: string | undefined } {
  const parsed = new URL(url);
  if (parsed.password === '') return { url, password: undefined };
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), password };
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** pg_dump's custom format starts with these bytes. */
function hasCustomFormatHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(5);
    return readSync(fd, head, 0, 5, 0) === 5 && head.toString('latin1') === 'PGDMP';
  } finally {
    closeSync(fd);
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Backs the database up to `target` (already checked: its folder exists, it may be written). Exit 0 with a summary, 1 otherwise. */
export async function runPostgresBackup(store: { url: string; name: string }, target: string, io: CliIo): Promise<number> {
  const shownAs = shownDatabaseUrl(store.url);
  const fail = (message: string) => {
    io.stderr.write(`${message}: nothing backed up\n`);
    return 1;
  };
  const searchEnv = { PATH: io.env.PATH ?? process.env.PATH };
  const pgDump = findOnPath('pg_dump', searchEnv);
  if (pgDump === null) {
    io.stderr.write(pgDumpMissing(normalize(target), store.url, store.name));
    return 1;
  }
  let pool;
  try {
    pool = await connectPostgres(store.url, { name: store.name, max: 1 });
  } catch (error) {
    if (error instanceof PostgresUnavailableError) return fail(error.message);
    throw error;
  }
  const partial = `${target}.partial-${process.pid}`;
  try {
    const problem = await postgresSchemaProblem(pool);
    if (problem !== null) return fail(`the database ${shownAs} ${problem}`);
    const client = await pool.connect();
    try {
      // pg_dump imports this transaction's snapshot: the file holds exactly what is counted here.
      // The transaction stays open, idle, while pg_dump runs: no idle-in-transaction timeout for it.
      await client.query('SET idle_in_transaction_session_timeout = 0');
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<{ snapshot: string; leads: number; version: number }>(
        'SELECT pg_export_snapshot() AS snapshot, (SELECT count(*) FROM leads) AS leads, (SELECT max(version) FROM schema_migrations) AS version',
      );
      const { snapshot, leads, version } = rows[0] as { snapshot: string; leads: number; version: number };
      const connection = splitPassword(store.url);
      const env: NodeJS.ProcessEnv = { ...process.env, ...io.env, PGAPPNAME: 'leadrelay-backup', ...(connection.password === undefined ? {} : { PGPASSWORD: connection.password }) };
      rmSync(partial, { force: true });
      const dump = await run(pgDump, ['--format=custom', '--no-password', `--snapshot=${snapshot}`, `--file=${partial}`, `--dbname=${connection.url}`], env);
      if (dump.code !== 0) throw new Error(`pg_dump exited with ${dump.code}: ${dump.stderr.trim()}`);
      if (!hasCustomFormatHeader(partial)) throw new Error('pg_dump wrote no custom-format archive');
      const pgRestore = findOnPath('pg_restore', searchEnv);
      if (pgRestore !== null) {
        const list = await run(pgRestore, ['--list', partial], env);
        if (list.code !== 0 || !/TABLE DATA public leads /.test(list.stdout)) throw new Error(`pg_restore cannot read the archive back: ${list.stderr.trim() || 'no leads table in it'}`);
      }
      await client.query('COMMIT');
      renameSync(partial, target);
      io.stdout.write(
        `backed up ${shownAs} to ${normalize(target)} with pg_dump (custom format): ${leads} lead${leads === 1 ? '' : 's'}, ` +
          `schema version ${version}, ${megabytes(statSync(target).size)}\n`,
      );
      return 0;
    } finally {
      client.release(true);
    }
  } catch (error) {
    rmSync(partial, { force: true });
    return fail(`backup of ${shownAs} failed (${(error as Error).message})`);
  } finally {
    await pool.end();
  }
}
