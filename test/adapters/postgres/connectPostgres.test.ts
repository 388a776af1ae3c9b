import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectPostgres, PostgresUnavailableError } from '../../../src/adapters/postgres/connectPostgres.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';
import { urlOfDatabase } from '../../support/postgresServer.ts';

const pg = usePostgres();

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function refusal(url: string, options: Parameters<typeof connectPostgres>[1] = {}): Promise<PostgresUnavailableError> {
  const error = await connectPostgres(url, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PostgresUnavailableError);
  return error as PostgresUnavailableError;
}

describe('connectPostgres: a server that cannot be used is one clear start-up error', () => {
  it('names DATABASE_URL, hides the password, and says that nothing answers', async () => {
    const port = await closedPort();
    const error = await refusal(`postgres://leadrelay:hunter2@127.0.0.1:${port}/leadrelay`);
    expect(error.message).toBe(
      `DATABASE_URL (postgres://leadrelay:***@127.0.0.1:${port}/leadrelay): cannot use PostgreSQL: ` +
        `nothing answers at 127.0.0.1:${port}/leadrelay (is the PostgreSQL server running there, and are the host and port right?)`,
    );
  });

  it('names the option the URL came from', async () => {
    const port = await closedPort();
    expect((await refusal(`postgres://127.0.0.1:${port}/x`, { name: '--database-url' })).message).toMatch(/^--database-url \(postgres:\/\/127\.0\.0\.1:\d+\/x\): cannot use PostgreSQL: nothing answers/);
  });
});

describePostgres('connectPostgres on a real server', () => {
  it('opens a pool named leadrelay, with a statement timeout and an idle-in-transaction timeout', async () => {
    const db = await pg.database();
    const pool = await connectPostgres(db.url);
    try {
      const { rows } = await pool.query(`SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS statement,
        current_setting('idle_in_transaction_session_timeout') AS idle`);
      expect(rows[0]).toEqual({ app: 'leadrelay', statement: '15s', idle: '30s' });
      expect(pool.options.max).toBe(10);
    } finally {
      await pool.end();
    }
  });

  it('cancels a statement that runs past the timeout', async () => {
    const db = await pg.database();
    const pool = await connectPostgres(db.url, { statementTimeoutMs: 50 });
    try {
      await expect(pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await pool.end();
    }
  });

  it('reads BIGINT (times, ids, counts) as numbers, and refuses one that a number cannot hold exactly', async () => {
    const db = await pg.database();
    const { rows } = await db.pool.query(`SELECT 1795528872000::bigint AS at, 9007199254740991::bigint AS forever, count(*) AS n FROM generate_series(1, 3)`);
    expect(rows[0]).toEqual({ at: 1795528872000, forever: Number.MAX_SAFE_INTEGER, n: 3 });
    await expect(db.pool.query('SELECT 9007199254740993::bigint AS x')).rejects.toThrow('BIGINT value 9007199254740993 does not fit a JavaScript number exactly');
  });

  it('says when the database does not exist', async () => {
    const db = await pg.database();
    const missing = urlOfDatabase(db.url, `${db.name}_missing`);
    expect((await refusal(missing)).message).toContain(`database "${db.name}_missing" does not exist on the server at`);
  });

  it('says when the server refuses the user', async () => {
    const db = await pg.database();
    const url = new URL(db.url);
    url.username = 'leadrelay_no_such_role';
    expect((await refusal(url.toString())).message).toContain(`refused the connection (role "leadrelay_no_such_role" does not exist): check the user in the URL and the server's pg_hba.conf`);
  });
});
