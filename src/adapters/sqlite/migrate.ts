import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { loadMigrationFiles, migrationChecksum, migrationsToApply, type AppliedMigration, type Migration } from '../migrationFiles.ts';
import { packageRoot } from '../packageRoot.ts';

export { MigrationError, type Migration } from '../migrationFiles.ts';

export const defaultMigrationsDir = join(packageRoot(), 'db', 'migrations');

/** Reads db/migrations/NNNN_name.sql files in version order. */
export function loadMigrations(dir: string = defaultMigrationsDir): Migration[] {
  return loadMigrationFiles(dir);
}

/**
 * Applies the migrations the database lacks, each in its own transaction together with its record
 * in schema_migrations. Refuses a database that has a migration this code does not know (it was
 * written by a newer leadrelay) or whose applied migration differs from the file (edited after release).
 * Returns the versions it applied.
 */
export function migrate(db: Database.Database, migrations: Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as AppliedMigration[];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const newlyApplied: number[] = [];
  for (const migration of migrationsToApply(applied, migrations)) {
    // Checked again under the write lock: two instances started together on one database (a double
    // start, a rolling deploy) both find the migration missing, and the second must not run it again.
    const applied = db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return false;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, migrationChecksum(migration.sql), Date.now());
      return true;
    }).immediate();
    if (applied) newlyApplied.push(migration.version);
  }
  return newlyApplied;
}
