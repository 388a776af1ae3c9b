import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { packageRoot } from '../packageRoot.ts';

export interface Migration {
  /** The number at the start of the file name: 0001_init.sql -> 1. */
  version: number;
  name: string;
  sql: string;
}

/** Raised when the database cannot be used by this version of the code. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

export const defaultMigrationsDir = join(packageRoot(), 'db', 'migrations');

/** Reads db/migrations/NNNN_name.sql files in version order. */
export function loadMigrations(dir: string = defaultMigrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new MigrationError(`bad migration file name ${file} (expected NNNN_name.sql)`);
      return { version: Number(match[1]), name: file, sql: readFileSync(`${dir}/${file}`, 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migrations must be numbered 0001, 0002, … without gaps: found ${m.name}`);
  });
  return migrations;
}

const checksum = (sql: string): string => createHash('sha256').update(sql).digest('hex');

/**
 * Applies the migrations the database lacks, each in its own transaction together with its record
 * in schema_migrations. Refuses a database that has a migration this code does not know (it was
 * written by a newer leadrelay) or whose applied migration differs from the file (edited after release).
 * Returns the versions it applied.
 */
export function migrate(db: Database.Database, migrations: Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
    .all() as { version: number; name: string; checksum: string }[];
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      throw new MigrationError(
        `the database has migration ${row.name}, which this version of leadrelay does not know; ` +
          'it was written by a newer leadrelay: run that version, or restore a backup taken before the upgrade',
      );
    }
    if (migration.name !== row.name || checksum(migration.sql) !== row.checksum) {
      throw new MigrationError(
        `migration ${migration.name} differs from the one applied to this database (${row.name}); ` +
          'released migrations must never be edited: add a new one instead',
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    // Checked again under the write lock: two instances started together on one database (a double
    // start, a rolling deploy) both find the migration missing, and the second must not run it again.
    const applied = db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return false;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, checksum(migration.sql), Date.now());
      return true;
    }).immediate();
    if (applied) newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
