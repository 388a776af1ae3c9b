/**
 * The PostgreSQL server the tests use, found once per `vitest run` by postgresGlobalSetup.ts and
 * handed to every test file through vitest's provide/inject (see postgres.ts for the tests' side).
 */
import pg from 'pg';
import { shownDatabaseUrl } from '../../src/config/env.ts';

/** Where the tests look when LEADRELAY_TEST_PG is not set: the server every machine of the project runs. */
export const DEFAULT_TEST_PG = 'postgres://postgres@127.0.0.1:5432/test';

/** What the global setup found: a server to create test databases on, or why there is none. */
export type TestPostgres = { url: string; runId: string } | { url: null; skipped: string };

declare module 'vitest' {
  export interface ProvidedContext {
    leadrelayPostgres: TestPostgres;
  }
}

/** The server's URL (LEADRELAY_TEST_PG, else the default). */
export const testPostgresUrl = (env: NodeJS.ProcessEnv): string => env.LEADRELAY_TEST_PG?.trim() || DEFAULT_TEST_PG;

/** In CI a missing server fails the run (.ci/run requires it), unless LEADRELAY_REQUIRE_PG=0 says otherwise. */
export const postgresRequired = (env: NodeJS.ProcessEnv): boolean => env.CI === 'true' && env.LEADRELAY_REQUIRE_PG !== '0';

/** Test databases of one run are named `lrt_<run id>_…`, so the run's teardown can drop any a crashed file left. */
export const databasePrefix = (runId: string): string => `lrt_${runId}_`;

/**
 * Connects to the server within about a second and checks that its user may create databases.
 * Returns null when it can be used, else why not (one line, the URL's password hidden).
 */
export async function testPostgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000, application_name: 'leadrelay-tests' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ may: boolean }>('SELECT rolcreatedb OR rolsuper AS may FROM pg_roles WHERE rolname = current_user');
    return rows[0]?.may ? null : `the user of ${shownDatabaseUrl(url)} may not create databases (ALTER ROLE … CREATEDB)`;
  } catch (error) {
    return `no server at ${shownDatabaseUrl(url)} (${(error as Error).message || (error as { code?: string }).code})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `url` with its database replaced by `database`. */
export function urlOfDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a connection to the server's own database (CREATE/DROP DATABASE). */
export async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'leadrelay-tests' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops every database of the run (WITH (FORCE): connections a failed test left open are ended). */
export async function dropRunDatabases(url: string, runId: string): Promise<number> {
  return withAdminClient(url, async (client) => {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [databasePrefix(runId)]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.length;
  });
}
