import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, type Migration, loadMigrations } from './migrate.ts';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Migrations to apply; defaults to the files in db/migrations. */
  migrations?: Migration[];
  /** How long a writer waits for a lock before SQLITE_BUSY, in ms. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the SQLite database and brings its schema up to date.
 * WAL lets readers run beside the writer; synchronous=FULL makes a commit durable before we
 * answer 202 (a lead that was acknowledged must survive power loss, not only a crash).
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Savepoints (one per command of a batch of expiries, one per new lead's routing) keep a copy of each page they
    // change until they end: in memory, not written to a temporary file on every first change of a page.
    db.pragma('temp_store = MEMORY');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    migrate(db, options.migrations ?? loadMigrations());
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
