/**
 * PostgreSQL in tests. The server is found once per run (postgresGlobalSetup.ts: LEADRELAY_TEST_PG,
 * else postgres://postgres@127.0.0.1:5432/test); when there is none, the PostgreSQL tests are
 * skipped (said once at the start of the run), except in CI where the run fails.
 *
 *   const pg = usePostgres();                       // at the top of a test file
 *   describePostgres('the PostgreSQL store', () => {
 *     it('…', async () => {
 *       const db = await pg.database({ migrated: true });   // a fresh database of its own
 *       await db.pool.query('SELECT 1');                     // pool: the real connectPostgres()
 *       db.url;                                              // for code that opens its own connections
 *     });
 *   });
 *
 * Every database is created with a name unique to the run and the process (so files run in
 * parallel, vitest forks them), and dropped after the file; the run's teardown drops any left over.
 */
import { afterAll, describe, inject } from 'vitest';
import { connectPostgres, type PgPool } from '../../src/adapters/postgres/connectPostgres.ts';
import { migratePostgres } from '../../src/adapters/postgres/migratePostgres.ts';
import type { Migration } from '../../src/adapters/migrationFiles.ts';
import { databasePrefix, urlOfDatabase, withAdminClient, type TestPostgres } from './postgresServer.ts';

const server: TestPostgres = inject('leadrelayPostgres') ?? { url: null, skipped: 'PostgreSQL tests skipped: the global setup test/support/postgresGlobalSetup.ts did not run' };

/** Whether the PostgreSQL tests run. */
export const postgresAvailable: boolean = server.url !== null;

/** `describe`, skipped when there is no PostgreSQL server (the run said why, once). */
export const describePostgres = describe.skipIf(!postgresAvailable);

export interface TestDatabase {
  /** Its name (lrt_…). */
  name: string;
  /** A URL to it, for code that opens its own pool or runs pg_dump. */
  url: string;
  /** A pool on it, opened with the bot's own connectPostgres (small, ended when the database is dropped). */
  pool: PgPool;
}

export interface DatabaseOptions {
  /** Apply migrations: true for db/migrations/postgres, or the list to apply. Default: an empty database. */
  migrated?: boolean | Migration[];
}

let counter = 0;

/** Registers the file's clean-up and returns `database()`, which makes a fresh database per call. */
export function usePostgres() {
  const made: TestDatabase[] = [];
  afterAll(async () => {
    const databases = made.splice(0);
    await Promise.all(databases.map((db) => db.pool.end().catch(() => undefined)));
    if (server.url === null || databases.length === 0) return;
    const url = server.url;
    await Promise.all(databases.map((db) => withAdminClient(url, (client) => client.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`))));
  });
  return {
    /** The server's URL (its `test` database), or null when the tests are skipped. */
    serverUrl: server.url,
    async database(options: DatabaseOptions = {}): Promise<TestDatabase> {
      if (server.url === null) throw new Error('no PostgreSQL server: put the test under describePostgres');
      counter += 1;
      const name = `${databasePrefix(server.runId)}${process.pid}_${counter}`;
      await withAdminClient(server.url, (client) => client.query(`CREATE DATABASE "${name}"`));
      const url = urlOfDatabase(server.url, name);
      const pool = await connectPostgres(url, { max: 4 });
      const db = { name, url, pool };
      made.push(db);
      if (options.migrated) await migratePostgres(pool, options.migrated === true ? undefined : options.migrated);
      return db;
    },
  };
}
