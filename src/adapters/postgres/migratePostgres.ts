/**
 * PostgreSQL's migrations: db/migrations/postgres/NNNN_name.sql, applied in order, each in one
 * transaction together with its record in schema_migrations (the columns and checksum rule of the
 * SQLite runner), all under one advisory lock so that instances starting together migrate once:
 * the first applies, the others wait for it and then find nothing left to do.
 */
import { join } from 'node:path';
import { loadMigrationFiles, migrationChecksum, MigrationError, migrationsToApply, schemaVersionProblem, type AppliedMigration, type Migration } from '../migrationFiles.ts';
import { packageRoot } from '../packageRoot.ts';
import { connectPostgres, type ConnectPostgresOptions, type PgPool } from './connectPostgres.ts';

export const defaultPostgresMigrationsDir = join(packageRoot(), 'db', 'migrations', 'postgres');

/** Reads db/migrations/postgres/NNNN_name.sql files in version order. */
export function loadPostgresMigrations(dir: string = defaultPostgresMigrationsDir): Migration[] {
  return loadMigrationFiles(dir);
}

/** The advisory lock every leadrelay instance takes to migrate: one key for the whole database. */
export const MIGRATION_LOCK = `hashtextextended('leadrelay.migrate', 0)`;

/**
 * Applies the migrations the database lacks and returns their versions. Refuses (MigrationError) a
 * database that has a migration this code does not know (a newer leadrelay migrated it) or whose
 * applied migration differs from its file. Waits while another instance migrates.
 */
export async function migratePostgres(pool: PgPool, migrations: Migration[] = loadPostgresMigrations()): Promise<number[]> {
  const client = await pool.connect();
  try {
    // A migration may rewrite a large table: the pool's statement timeout is for the bot's queries,
    // and waiting for another instance's migration is not a stuck statement either.
    await client.query('SET statement_timeout = 0');
    // Session-level: held across the transactions below, and let go when this connection closes,
    // also when the process dies half-way.
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const applied = await client.query<AppliedMigration>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    const pending = migrationsToApply(applied.rows, migrations);
    for (const migration of pending) {
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
          migration.version,
          migration.name,
          migrationChecksum(migration.sql),
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`migration ${migration.name} failed, nothing of it was applied: ${(error as Error).message}`);
      }
    }
    return pending.map((m) => m.version);
  } finally {
    // Not back into the pool: the connection carries this session's settings and the lock.
    client.release(true);
  }
}

export interface OpenPostgresOptions extends ConnectPostgresOptions {
  /** Migrations to apply; default the files in db/migrations/postgres. */
  migrations?: Migration[];
}

/**
 * The bot's start on PostgreSQL: connects (a PostgresUnavailableError when the server cannot be
 * used) and brings the schema up to date (a MigrationError when this code cannot use it).
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PgPool> {
  const pool = await connectPostgres(url, options);
  try {
    await migratePostgres(pool, options.migrations);
    return pool;
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Why this code cannot read the database without migrating it (the CLI's export and backup), or
 * null: the text follows "the database … ", as schemaVersionProblem words it for both stores.
 */
export async function postgresSchemaProblem(pool: PgPool, migrations: Migration[] = loadPostgresMigrations()): Promise<string | null> {
  const table = await pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!(table.rows[0] as { present: boolean }).present) return schemaVersionProblem(null, migrations.length);
  const { rows } = await pool.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
  return schemaVersionProblem(rows[0]?.version ?? 0, migrations.length);
}
