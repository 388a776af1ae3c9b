/**
 * `leadrelay backup <file> [--db file | --database-url url] [--force]`: an online copy of the
 * database while the bot runs. On PostgreSQL (DATABASE_URL) that is pg_dump, see postgresBackup.ts;
 * on SQLite, SQLite's backup API. The copy is one consistent moment of the database (every
 * committed lead with its history and outbox rows, nothing half-written), the bot keeps taking
 * leads meanwhile (WAL: a reader never blocks the writer), and it is written beside the target and
 * renamed into place only once it checks out, so an interrupted backup never leaves a broken file
 * under the name given.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, normalize, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { cliStore } from './cliStore.ts';
import type { CliIo, CommandLine } from './index.ts';
import { runPostgresBackup } from './postgresBackup.ts';

export const BACKUP_DETAILS = [
  'Restore a SQLite copy: stop the bot, put the copy at $LEADRELAY_DB (remove any -wal and -shm files beside it), start the bot.',
  '',
  'On PostgreSQL (DATABASE_URL or --database-url) the copy is made with pg_dump, custom format, from one consistent moment',
  'while the instances keep running; without pg_dump on PATH, backup says how to install it or run it by hand. Restore:',
  'stop every instance, pg_restore --no-owner --dbname="$DATABASE_URL" <file> into an empty database, start them.',
].join('\n');

/**
 * All pages in one step: one read transaction sees one snapshot. In smaller steps SQLite restarts
 * the copy whenever the bot commits in between, which under steady intake could never finish.
 */
const ALL_PAGES = 0x7fffffff;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function removeCopy(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** What the finished copy holds, read back from it: a failed check means the copy is not kept. */
function verifyCopy(path: string): { version: number; leads: number } {
  const copy = new Database(path, { fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed SQLite's quick_check: ${String(check)}`);
    const version = (copy.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null }).version ?? 0;
    const leads = (copy.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n;
    return { version, leads };
  } finally {
    copy.close();
  }
}

/**
 * Copies the database (`--database-url` or $DATABASE_URL: PostgreSQL; else `--db`, else $LEADRELAY_DB,
 * else ./data/leadrelay.db) to `file`. Exit 0 with a summary; 1 when there is no leadrelay database,
 * the target exists (without --force), its directory is missing, or the copy fails (nothing is left
 * behind then); 2 when the database options are wrong.
 */
export async function runBackup(line: CommandLine, io: CliIo): Promise<number> {
  const target = line.args[0] ?? '';
  const fail = (message: string) => {
    io.stderr.write(`${message}: nothing backed up\n`);
    return 1;
  };
  const store = cliStore(line, io.env);
  if ('problem' in store) {
    io.stderr.write(`${store.problem}: nothing backed up\n`);
    return 2;
  }
  if (store.kind === 'sqlite') {
    if (!existsSync(store.path)) return fail(`no database at ${normalize(store.path)}`);
    if (resolve(target) === resolve(store.path)) return fail(`${normalize(target)} is the database itself`);
  }
  if (!existsSync(dirname(resolve(target)))) return fail(`the directory ${dirname(normalize(target))} does not exist`);
  if (existsSync(target) && !line.flags.has('force')) return fail(`${normalize(target)} already exists (add --force to replace it)`);
  if (store.kind === 'postgres') return runPostgresBackup(store, target, io);
  const sourcePath = store.path;

  let source: Database.Database;
  try {
    source = new Database(sourcePath, { readonly: true, fileMustExist: true });
  } catch (error) {
    return fail(`cannot open the database ${normalize(sourcePath)} (${(error as Error).message})`);
  }
  const partial = `${target}.partial-${process.pid}`;
  try {
    const migrations = source.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
    if (migrations === undefined) return fail(`${normalize(sourcePath)} is not a leadrelay database (no schema_migrations table)`);
    removeCopy(partial);
    await source.backup(partial, { progress: () => ALL_PAGES });
    const copied = verifyCopy(partial);
    renameSync(partial, target);
    io.stdout.write(
      `backed up ${normalize(sourcePath)} to ${normalize(target)}: ${copied.leads} lead${copied.leads === 1 ? '' : 's'}, ` +
        `schema version ${copied.version}, ${megabytes(statSync(target).size)}\n`,
    );
    return 0;
  } catch (error) {
    removeCopy(partial);
    return fail(`backup of ${normalize(sourcePath)} failed (${(error as Error).message})`);
  } finally {
    source.close();
  }
}
