/**
 * The live database as CLI commands read it: opened read-only (never created, migrated or written),
 * beside a running bot — WAL lets a reader see a consistent snapshot while the bot commits.
 */
import { existsSync } from 'node:fs';
import { normalize } from 'node:path';
import Database from 'better-sqlite3';
import { schemaVersionProblem } from '../adapters/migrationFiles.ts';
import { loadMigrations } from '../adapters/sqlite/migrate.ts';

/** `--db`, else $LEADRELAY_DB, else the bot's default. */
export function cliDatabasePath(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ?? (env.LEADRELAY_DB || './data/leadrelay.db');
}

/** Why the database's schema cannot be read by this code, if it cannot. */
export function schemaProblem(db: Database.Database): string | null {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (table === undefined) return schemaVersionProblem(null, loadMigrations().length);
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return schemaVersionProblem(row.version ?? 0, loadMigrations().length);
}

export type ReadOnlyDatabase = { ok: true; db: Database.Database; shownAs: string } | { ok: false; problem: string };

/**
 * Opens the database read-only and checks its schema is the one this code knows. The problem, when
 * there is one, is a sentence naming the file: `no database at data/leadrelay.db`, `the database … is
 * at schema version 1, …`. The caller closes the database.
 */
export function openReadOnlyDatabase(path: string): ReadOnlyDatabase {
  const shownAs = normalize(path);
  if (!existsSync(path)) return { ok: false, problem: `no database at ${shownAs}` };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    return { ok: false, problem: `cannot open the database ${shownAs} (${(error as Error).message})` };
  }
  try {
    const problem = schemaProblem(db);
    if (problem === null) return { ok: true, db, shownAs };
    db.close();
    return { ok: false, problem: `the database ${shownAs} ${problem}` };
  } catch (error) {
    db.close();
    return { ok: false, problem: `cannot read the database ${shownAs} (${(error as Error).message})` };
  }
}
