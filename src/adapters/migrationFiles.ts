/**
 * What the two stores' migration runners share (SQLite's in sqlite/migrate.ts, PostgreSQL's in
 * postgres/migratePostgres.ts): reading the numbered SQL files, their checksums, and the refusal
 * to run on a database that a newer leadrelay migrated or whose applied migration was edited. Each
 * store keeps its own files (db/migrations/, db/migrations/postgres/) and its own locking.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  /** The number at the start of the file name: 0001_init.sql -> 1. */
  version: number;
  name: string;
  sql: string;
}

/** A migration as recorded in a database's schema_migrations table. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

/** Raised when the database cannot be used by this version of the code. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Reads the NNNN_name.sql files of `dir` in version order (sub-folders are not read). */
export function loadMigrationFiles(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new MigrationError(`bad migration file name ${file} (expected NNNN_name.sql)`);
      return { version: Number(match[1]), name: file, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migrations must be numbered 0001, 0002, … without gaps: found ${m.name}`);
  });
  return migrations;
}

/** What schema_migrations records of a migration's text, to notice a released migration that was edited. */
export const migrationChecksum = (sql: string): string => createHash('sha256').update(sql).digest('hex');

/**
 * Checks what a database has applied against the migrations this code has, and returns the ones
 * still to apply, in order. Throws a MigrationError for a migration this code does not know (the
 * database was migrated by a newer leadrelay) or one that differs from its file (edited after release).
 */
export function migrationsToApply(applied: readonly AppliedMigration[], migrations: readonly Migration[]): Migration[] {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (!migration) {
      throw new MigrationError(
        `the database has migration ${row.name}, which this version of leadrelay does not know; ` +
          'it was written by a newer leadrelay: run that version, or restore a backup taken before the upgrade',
      );
    }
    if (migration.name !== row.name || migrationChecksum(migration.sql) !== row.checksum) {
      throw new MigrationError(
        `migration ${migration.name} differs from the one applied to this database (${row.name}); ` +
          'released migrations must never be edited: add a new one instead',
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  return migrations.filter((m) => !done.has(m.version));
}

/**
 * Why a database at schema version `have` (null: no schema_migrations table) cannot be read by code
 * that knows `want` migrations, or null when it can: for the commands that read a database without
 * migrating it (export, backup, migrate-store). The text follows "the database … ".
 */
export function schemaVersionProblem(have: number | null, want: number): string | null {
  if (have === null) return 'has no schema_migrations table (not a leadrelay database, or leadrelay never started on it)';
  if (have < want) return `is at schema version ${have}, this leadrelay expects ${want} (leadrelay migrates it when it starts)`;
  if (have > want) return `is at schema version ${have}, newer than this leadrelay knows (${want})`;
  return null;
}
