/**
 * `leadrelay backup` and `leadrelay export` on PostgreSQL (DATABASE_URL or --database-url): pg_dump
 * when it is on PATH (a file that pg_restore brings back whole), and what to do when it is not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPostgresMigrations } from '../../src/adapters/postgres/migratePostgres.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../src/adapters/sqlite/sqliteStore.ts';
import { findOnPath, pgDumpMissing } from '../../src/cli/postgresBackup.ts';
import { runCliCaptured, useTempDir } from '../support/cli.ts';
import { describePostgres, usePostgres, type TestDatabase } from '../support/postgres.ts';

const pg = usePostgres();
const temp = useTempDir('leadrelay-pg-backup-');
const pgDump = findOnPath('pg_dump', process.env);
const pgRestore = findOnPath('pg_restore', process.env);
/** The schema version the shipped migrations bring a database to. */
const schemaVersion = loadPostgresMigrations().at(-1)?.version ?? 0;
// .ci/run installs PostgreSQL's client programs: there, a missing pg_dump fails these tests.
const havePgTools = (pgDump !== null && pgRestore !== null) || process.env.CI === 'true';
if (!havePgTools) console.warn('skipping the pg_dump backup tests: pg_dump or pg_restore is not on PATH (apt-get install postgresql-client; .ci/run installs it)');

/** A migrated database with `n` leads and their history. */
async function databaseWithLeads(n: number): Promise<TestDatabase> {
  const db = await pg.database({ migrated: true });
  await db.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) SELECT 'form', json_build_object('email', 'lead' || g || '@example.com'), g, g FROM generate_series(1, $1) g`, [n]);
  await db.pool.query(`INSERT INTO lead_history (lead_id, at, actor, event) SELECT id, received_at, 'api', 'received' FROM leads`);
  return db;
}

describePostgres('leadrelay backup on PostgreSQL', () => {
  it.skipIf(!havePgTools)('runs pg_dump (custom format) from one snapshot, and the file restores whole', async () => {
    const db = await databaseWithLeads(3);
    const file = join(temp.dir, 'leadrelay.dump');
    const result = await runCliCaptured(['backup', file], { DATABASE_URL: db.url, PATH: process.env.PATH });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^backed up postgres://postgres@.*/${db.name} to .*leadrelay\\.dump with pg_dump \\(custom format\\): 3 leads, schema version ${schemaVersion}, \\d+\\.\\d MB\\n$`));
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(readdirSync(temp.dir)).toEqual(['leadrelay.dump']);

    const restored = await pg.database();
    const restore = spawnSync(pgRestore as string, ['--no-owner', `--dbname=${restored.url}`, file], { encoding: 'utf8' });
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect((await restored.pool.query('SELECT count(*) AS n FROM leads')).rows[0]).toEqual({ n: 3 });
    expect((await restored.pool.query('SELECT max(version) AS v FROM schema_migrations')).rows[0]).toEqual({ v: schemaVersion });
    // The schema comes back too: the next lead after the highest, history still append-only.
    expect((await restored.pool.query(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 9, 9) RETURNING id`)).rows[0]).toEqual({ id: 4 });
    await expect(restored.pool.query('DELETE FROM lead_history')).rejects.toThrow('lead_history is append-only');
  });

  it.skipIf(!havePgTools)('takes --database-url, and never replaces a file without --force', async () => {
    const db = await databaseWithLeads(1);
    const file = join(temp.dir, 'one.dump');
    expect((await runCliCaptured(['backup', file, '--database-url', db.url], { PATH: process.env.PATH })).code).toBe(0);
    const again = await runCliCaptured(['backup', file, '--database-url', db.url], { PATH: process.env.PATH });
    expect(again).toMatchObject({ code: 1, stderr: `${file} already exists (add --force to replace it): nothing backed up\n` });
    expect((await runCliCaptured(['backup', file, '--database-url', db.url, '--force'], { PATH: process.env.PATH })).stdout).toContain(`: 1 lead, schema version ${schemaVersion},`);
  });

  it('explains how to back up with pg_dump when it is not on PATH, and writes nothing', async () => {
    const db = await databaseWithLeads(1);
    const file = join(temp.dir, 'leadrelay.dump');
    const result = await runCliCaptured(['backup', file], { DATABASE_URL: db.url, PATH: '/nonexistent' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(pgDumpMissing(file, db.url, 'DATABASE_URL'));
    expect(result.stderr.split('\n')).toEqual([
      'pg_dump is not on PATH: nothing backed up.',
      "leadrelay backs PostgreSQL up with PostgreSQL's own pg_dump: install PostgreSQL's client programs, of the server's",
      "version or newer (Debian, Ubuntu: apt-get install postgresql-client), and run this again; or take the backup yourself:",
      `  pg_dump --format=custom --file=${file} "$DATABASE_URL"`,
      'Restore it into an empty database, with every instance stopped:',
      `  pg_restore --no-owner --dbname="$DATABASE_URL" ${file}`,
      '',
    ]);
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(!havePgTools)('refuses a database leadrelay never migrated', async () => {
    const db = await pg.database();
    const result = await runCliCaptured(['backup', join(temp.dir, 'x.dump'), '--database-url', db.url], { PATH: process.env.PATH });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^the database postgres:\/\/\S+ has no schema_migrations table \(not a leadrelay database, or leadrelay never started on it\): nothing backed up\n$/);
    expect(readdirSync(temp.dir)).toEqual([]);
  });
});

describePostgres('leadrelay export on PostgreSQL', () => {
  it('reads page after page of leads, in order, also where many arrived in the same millisecond', async () => {
    const sqlitePath = join(temp.dir, 'many.db');
    const sqlite = openDatabase(sqlitePath);
    const start = Date.parse('2026-11-02T08:00:00Z');
    await sqliteStore(sqlite).uow.run(async (tx) => {
      for (let i = 0; i < 2500; i += 1) {
        // 1,200 leads in one millisecond, across the 1,000-lead pages; the others a second apart.
        const receivedAt = i < 1200 ? start : start + (i - 1199) * 1000;
        await tx.leads.insert({ lead: { source: 'form', email: `lead${i}@example.com`, company: { name: `Company ${i}` }, fields: {} }, externalId: `ext-${i}`, emailKey: `lead${i}@example.com`, linkedinKey: null, domain: 'example.com', receivedAt });
      }
    });
    sqlite.close();
    const target = await pg.database();
    expect((await runCliCaptured(['migrate-store', '--to', target.url, '--db', sqlitePath])).code).toBe(0);
    const fromSqlite = await runCliCaptured(['export', '--db', sqlitePath, '--since', '2026-11-01T00:00:00Z']);
    const fromPostgres = await runCliCaptured(['export', '--database-url', target.url, '--since', '2026-11-01T00:00:00Z']);
    expect(fromPostgres.stdout.split('\r\n')).toHaveLength(2502);
    expect(fromPostgres.stdout).toBe(fromSqlite.stdout);
    expect(fromPostgres.stderr).toMatch(/exported 2500 leads received since 2026-11-01T00:00:00Z from postgres:/);
  });


  it('refuses a database at a schema version it does not know', async () => {
    const next = schemaVersion + 1;
    const db = await pg.database({ migrated: [...loadPostgresMigrations(), { version: next, name: `${String(next).padStart(4, '0')}_future.sql`, sql: 'SELECT 1;' }] });
    const result = await runCliCaptured(['export', '--database-url', db.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`is at schema version ${next}, newer than this leadrelay knows \\(${next - 1}\\): nothing exported\n$`));
  });
});

describe('leadrelay backup and export: which database', () => {
  it('refuses --db together with --database-url', async () => {
    const backup = await runCliCaptured(['backup', 'x.db', '--db', 'a.db', '--database-url', 'postgres://127.0.0.1:9/x']);
    expect(backup).toMatchObject({ code: 2, stderr: '--db and --database-url name two databases: give one of them: nothing backed up\n' });
  });

  it('refuses a DATABASE_URL that is not a PostgreSQL URL, without echoing it', async () => {
    const result = await runCliCaptured(['backup', 'x.db'], { DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^DATABASE_URL must be a PostgreSQL URL such as postgres:\/\/.*: nothing backed up\n$/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('says when the PostgreSQL server cannot be used', async () => {
    const result = await runCliCaptured(['export', '--since', '1d'], { DATABASE_URL: 'postgres://leadrelay:hunter2@127.0.0.1:9/leadrelay' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL (postgres://leadrelay:***@127.0.0.1:9/leadrelay): cannot use PostgreSQL: nothing answers at 127.0.0.1:9/leadrelay');
    expect(result.stderr).toMatch(/: nothing exported\n$/);
  });
});
