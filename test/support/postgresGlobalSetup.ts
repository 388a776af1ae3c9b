/**
 * Vitest global setup: looks for the PostgreSQL server once per run, before any test file starts.
 * Found: its URL and a run id go to the test files (inject('leadrelayPostgres')); the run's test
 * databases are dropped at the end. Not found: the PostgreSQL tests are skipped, and that is said
 * once, plainly; in CI (CI=true) the run fails instead, unless LEADRELAY_REQUIRE_PG=0.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { dropRunDatabases, postgresRequired, testPostgresProblem, testPostgresUrl, type TestPostgres } from './postgresServer.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = testPostgresUrl(process.env);
  const problem = await testPostgresProblem(url);
  if (problem !== null) {
    if (postgresRequired(process.env)) {
      throw new Error(`PostgreSQL tests cannot run: ${problem}. CI requires a PostgreSQL server (see .ci/run); set LEADRELAY_TEST_PG to its URL, or LEADRELAY_REQUIRE_PG=0 to skip them`);
    }
    const skipped = `PostgreSQL tests skipped: ${problem}; set LEADRELAY_TEST_PG to a server's URL to run them`;
    console.log(skipped);
    project.provide('leadrelayPostgres', { url: null, skipped } satisfies TestPostgres);
    return async () => undefined;
  }
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  project.provide('leadrelayPostgres', { url, runId } satisfies TestPostgres);
  return async () => {
    await dropRunDatabases(url, runId);
  };
}
