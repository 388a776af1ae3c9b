/**
 * `leadrelay migrate-store`: a SQLite database written by the real bot (leads in over HTTP, cards,
 * claims and passes clicked through the Slack stand-in, commands, signals, an expiry, CRM webhooks
 * that fail and wait for a retry) is copied into PostgreSQL, and every row of every table is then
 * the same in both; the export of both is the same CSV.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteInstanceLease } from '../../src/adapters/sqlite/sqliteInstanceLease.ts';
import { HARNESS_WEBHOOK_SECRET, startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import { runCliCaptured } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { describePostgres, usePostgres, type TestDatabase } from '../support/postgres.ts';

const MINUTE = 60_000;
/** A CRM receiver nobody listens on: its write-back deliveries fail and wait for their retry in the outbox. */
const CRM_URL = 'http://127.0.0.1:9/hooks/leadrelay';

const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, remind_at: 50%, max_offers: 2 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice Example, email: alice@example.com }
  - { id: U0BOB, name: Bob Example, email: bob@example.com }
  - { id: U0CAROL, name: Carol Example }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB, U0CAROL] }
sequences:
  - { id: nurture, channel: C0NURTURE }
rules:
  - { name: Cold lead, when: { score: { lt: 30 } }, route: { sequence: nurture } }
  - { name: Everyone, route: { team: sdr } }
signals:
  - { name: Positive reply, when: { kind: reply_positive }, route: { team: sdr } }
fallback: { team: sdr }
webhooks:
  - { url: "${CRM_URL}", secret: crm-secret }
`;

useHarnessCleanup();
const pg = usePostgres();

let dir: string;
/** The SQLite database the bot wrote; each test copies it. */
let built: string;
let configPath: string;

/** Drives the real bot on a SQLite file through everything that writes a table. */
async function buildBotDatabase(path: string): Promise<void> {
  const t = await startHarness({ configYaml: CONFIG, dbPath: path, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'] });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  const claimed = await t.postLead({
    email: 'jane@acme.com', name: 'Jane Doe', external_id: 'hs-9912', score: 87, crm_url: 'https://crm.example.com/leads/9912',
    company: { name: 'Acme', domain: 'acme.com', employees: 1200, country: 'US' }, fields: { seats: 300, plan: 'enterprise', trial: true },
  });
  const rep = (await t.pendingRep(claimed)) as string;
  const card = t.slack.lastMessage(rep)!;
  t.clock.advance(MINUTE);
  await t.slack.blockAction({ userId: rep, actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
  await eventually(async () => (await t.lead(claimed)).state === 'claimed');

  const passed = await t.postLead({ email: 'bob@globex.com', company: { name: 'Globex' }, score: 55 });
  const offeree = (await t.pendingRep(passed)) as string;
  const passCard = t.slack.lastMessage(offeree)!;
  await t.slack.blockAction({ userId: offeree, actionId: 'pass_lead', message: { channel: passCard.channel, ts: passCard.ts } });
  await eventually(async () => (await t.pendingRep(passed)) !== undefined && (await t.pendingRep(passed)) !== offeree);

  await t.postLead({ email: 'cold@initech.com', score: 10 });
  expect((await post('/leads', { email: 'keyed@umbrella.com', score: 60 }, { 'idempotency-key': 'form-submission-1' })).status).toBe(202);
  expect((await post('/signals', { lead: { email: 'jane@acme.com' }, channel: 'email', kind: 'reply_positive' })).status).toBeLessThan(300);
  await t.command('U0MGR', '/owner', 'acme.com <@U0ALICE>');
  await t.command('U0CAROL', '/away', '2h');
  await t.slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
  await eventually(() => t.slack.callsTo('views.publish').length > 0);
  t.clock.advance(6 * MINUTE);
  await t.bot.deadlines.expireDue();
  await t.bot.outbox.drain();
  await t.stop();
}

beforeAll(async () => {
  if (!pg.serverUrl) return;
  dir = mkdtempSync(join(tmpdir(), 'leadrelay-migrate-store-'));
  configPath = join(dir, 'leadrelay.yml');
  writeFileSync(configPath, CONFIG);
  built = join(dir, 'built.db');
  await buildBotDatabase(built);
}, 60_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let copies = 0;
/** A copy of the bot's database, for one test to use as it likes. */
function sqliteCopy(): string {
  copies += 1;
  const path = join(dir, `copy-${copies}.db`);
  copyFileSync(built, path);
  return path;
}

const migrateStore = (db: TestDatabase | string, sqlitePath: string) => runCliCaptured(['migrate-store', '--to', typeof db === 'string' ? db : db.url, '--db', sqlitePath]);

/** The SQLite tables that hold data, with their key columns (the order to compare rows in). */
function dataTables(sqlite: Database.Database): { name: string; key: string[] }[] {
  return (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence', 'instance_lease') ORDER BY name`).all() as { name: string }[]).map(({ name }) => {
    const columns = sqlite.prepare(`PRAGMA table_info(${name})`).all() as { name: string; pk: number }[];
    return { name, key: columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name) };
  });
}

describePostgres('leadrelay migrate-store', () => {
  it('copies every table of a database the bot wrote: every row the same in PostgreSQL, ids kept, counts printed', async () => {
    const sqlitePath = sqliteCopy();
    const target = await pg.database();
    const result = await migrateStore(target, sqlitePath);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const sqlite = new Database(sqlitePath, { readonly: true });
    try {
      const tables = dataTables(sqlite);
      const counts = Object.fromEntries(tables.map(({ name }) => [name, (sqlite.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n]));
      // The bot really wrote these: the copy is not of empty tables.
      for (const table of ['leads', 'lead_history', 'offers', 'outbox', 'signals', 'rep_state', 'account_owners', 'idempotency_keys', 'slack_deliveries', 'round_robin_passes', 'response_urls']) {
        expect(counts[table], table).toBeGreaterThan(0);
      }
      expect(result.stdout.split('\n')).toEqual([
        expect.stringMatching(new RegExp(`^copied .*copy-\\d+\\.db \\(SQLite, schema version \\d+\\) into postgres://postgres@.*/${target.name} \\(PostgreSQL, schema version \\d+, just migrated\\) in one transaction:$`)),
        expect.stringMatching(/^ {2}table +rows$/),
        ...tables.map(({ name }) => expect.stringMatching(new RegExp(`^  ${name} +${counts[name]}$`))),
        `every table's row count checked against SQLite's; ${counts.leads} leads, the next is L-${(counts.leads ?? 0) + 1}`,
        '',
      ]);

      const { rows: types } = await target.pool.query<{ table_name: string; column_name: string; data_type: string }>(
        `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const isJson = (table: string, column: string) => types.some((t) => t.table_name === table && t.column_name === column && t.data_type === 'json');
      for (const { name, key } of tables) {
        const columns = (sqlite.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name);
        const order = key.join(', ');
        // JSON compared as text once parsed: the same values AND the same key order.
        const fromSqlite = (sqlite.prepare(`SELECT ${columns.join(', ')} FROM ${name} ORDER BY ${order}`).all() as Record<string, unknown>[]).map((row) =>
          Object.fromEntries(columns.map((c) => [c, isJson(name, c) && row[c] !== null ? JSON.stringify(JSON.parse(row[c] as string)) : row[c]])),
        );
        const { rows } = await target.pool.query(`SELECT ${columns.join(', ')} FROM ${name} ORDER BY ${order}`);
        const fromPostgres = rows.map((row: Record<string, unknown>) => Object.fromEntries(columns.map((c) => [c, isJson(name, c) && row[c] !== null ? JSON.stringify(row[c]) : row[c]])));
        expect(fromPostgres, name).toEqual(fromSqlite);
      }

      // The lanes the SQLite outbox orders by, as a column.
      const { rows: lanes } = await target.pool.query<{ lane: string }>('SELECT DISTINCT lane FROM outbox ORDER BY lane');
      expect(lanes.map((row) => row.lane)).toEqual(expect.arrayContaining(['slack', `webhook:${CRM_URL}`]));
      // New leads continue after the highest reference; so do the other ids.
      const { rows: next } = await target.pool.query<{ id: number }>(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 1, 1) RETURNING id`);
      expect(next[0]?.id).toBe((counts.leads ?? 0) + 1);
      const maxHistory = (sqlite.prepare('SELECT max(id) AS id FROM lead_history').get() as { id: number }).id;
      const { rows: history } = await target.pool.query<{ id: number }>(`INSERT INTO lead_history (lead_id, at, actor, event) VALUES (1, 1, 'api', 'seen_again') RETURNING id`);
      expect(history[0]?.id).toBe(maxHistory + 1);
    } finally {
      sqlite.close();
    }
    // The lease it held while copying is given back: a bot may start on the file again.
    const after = new Database(sqlitePath, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM instance_lease').get()).toEqual({ n: 0 });
    after.close();
  });

  it('makes `leadrelay export` of the PostgreSQL copy the same CSV as of the SQLite file', async () => {
    const sqlitePath = sqliteCopy();
    const target = await pg.database();
    expect((await migrateStore(target, sqlitePath)).code).toBe(0);
    const fromSqlite = await runCliCaptured(['export', '--db', sqlitePath, '--since', '5200w', '--config', configPath]);
    const fromPostgres = await runCliCaptured(['export', '--database-url', target.url, '--since', '5200w', '--config', configPath]);
    expect(fromPostgres.code).toBe(0);
    expect(fromPostgres.stdout.split('\r\n').length).toBeGreaterThan(4);
    expect(fromPostgres.stdout).toContain(',hs-9912,');
    expect(fromPostgres.stdout).toBe(fromSqlite.stdout);
    expect(fromPostgres.stderr).toMatch(new RegExp(`^exported 4 leads received since .* from postgres://postgres@.*/${target.name}\\n$`));
    // DATABASE_URL in the environment works as --database-url does.
    const fromEnv = await runCliCaptured(['export', '--since', '5200w', '--config', configPath], { DATABASE_URL: target.url });
    expect(fromEnv.stdout).toBe(fromSqlite.stdout);
  });

  it('moves the lead sequence past every number SQLite handed out, also past a lead that is gone', async () => {
    const sqlitePath = sqliteCopy();
    const db = new Database(sqlitePath);
    const max = (db.prepare('SELECT max(id) AS id FROM leads').get() as { id: number }).id;
    db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'leads'`).run(max + 10);
    db.close();
    const target = await pg.database();
    const result = await migrateStore(target, sqlitePath);
    expect(result.stdout).toContain(`the next is L-${max + 11}`);
    const { rows } = await target.pool.query<{ id: number }>(`INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 1, 1) RETURNING id`);
    expect(rows[0]?.id).toBe(max + 11);
  });

  it('refuses a PostgreSQL database that already holds leadrelay data, and leaves it as it was', async () => {
    const target = await pg.database();
    expect((await migrateStore(target, sqliteCopy())).code).toBe(0);
    const before = (await target.pool.query('SELECT count(*) AS n FROM lead_history')).rows[0];
    const again = await migrateStore(target, sqliteCopy());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^the PostgreSQL database postgres:\/\/.* is not empty \(.*leads.*\): migrate-store copies into an empty database only, such as a new one made with createdb: nothing copied\n$/);
    expect((await target.pool.query('SELECT count(*) AS n FROM lead_history')).rows[0]).toEqual(before);
  });

  it('refuses a SQLite database a bot is running on, naming it, and touches neither database', async () => {
    const sqlitePath = sqliteCopy();
    const db = new Database(sqlitePath);
    expect(sqliteInstanceLease(db, { holder: 'leads-1.internal/4026531836/4242/c0ffee' }).tryAcquire().acquired).toBe(true);
    db.close();
    const target = await pg.database();
    const result = await migrateStore(target, sqlitePath);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^a leadrelay instance is running on .*copy-\d+\.db \(leads-1\.internal\/4026531836\/4242\/c0ffee, last heartbeat \d+ s ago\): stop every bot on it first, so that nothing it does after the copy is left behind: nothing copied\n$/);
    expect((await target.pool.query(`SELECT to_regclass('leads') AS t`)).rows[0]).toEqual({ t: null });
    const after = new Database(sqlitePath, { readonly: true });
    expect(after.prepare('SELECT holder FROM instance_lease').all()).toEqual([{ holder: 'leads-1.internal/4026531836/4242/c0ffee' }]);
    after.close();
  });

  it('refuses a SQLite schema version it does not know, newer or older', async () => {
    const newer = sqliteCopy();
    const db = new Database(newer);
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v;
    db.prepare(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, '9999_future.sql', 'x', 1)`).run(version + 1);
    db.close();
    const target = await pg.database();
    const result = await migrateStore(target, newer);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^the SQLite database .*copy-\\d+\\.db is at schema version ${version + 1}, newer than this leadrelay knows \\(${version}\\): nothing copied\\n$`));

    const older = sqliteCopy();
    const old = new Database(older);
    old.prepare('DELETE FROM schema_migrations WHERE version = ?').run(version);
    old.close();
    expect((await migrateStore(target, older)).stderr).toMatch(new RegExp(`is at schema version ${version - 1}, this leadrelay expects ${version} \\(leadrelay migrates it when it starts\\): nothing copied`));
    expect((await target.pool.query(`SELECT to_regclass('leads') AS t`)).rows[0]).toEqual({ t: null });
  });

  it('copies nothing when one value cannot be converted, and names the row', async () => {
    const sqlitePath = sqliteCopy();
    const db = new Database(sqlitePath);
    db.prepare(`UPDATE signals SET detail = '{broken' WHERE id = (SELECT max(id) FROM signals)`).run();
    const signal = (db.prepare('SELECT max(id) AS id FROM signals').get() as { id: number }).id;
    db.close();
    const target = await pg.database();
    const result = await migrateStore(target, sqlitePath);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`signals row ${signal}, column detail: not valid JSON: nothing copied\n`);
    expect((await target.pool.query('SELECT count(*) AS n FROM leads')).rows[0]).toEqual({ n: 0 });
  });

  it('says when the PostgreSQL server cannot be used, and gives the SQLite lease back', async () => {
    const sqlitePath = sqliteCopy();
    const result = await migrateStore('postgres://leadrelay:hunter2@127.0.0.1:9/leadrelay', sqlitePath);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('--to (postgres://leadrelay:***@127.0.0.1:9/leadrelay): cannot use PostgreSQL: nothing answers at 127.0.0.1:9/leadrelay (is the PostgreSQL server running there, and are the host and port right?): nothing copied\n');
    const after = new Database(sqlitePath, { readonly: true });
    expect(after.prepare('SELECT count(*) AS n FROM instance_lease').get()).toEqual({ n: 0 });
    after.close();
  });
});

describe('leadrelay migrate-store: the command line', () => {
  it('needs --to, a PostgreSQL URL', async () => {
    expect(await runCliCaptured(['migrate-store'])).toMatchObject({ code: 2, stderr: 'missing --to url\nUsage: leadrelay migrate-store --to url [--db file]\n' });
    const bad = await runCliCaptured(['migrate-store', '--to', 'mysql://root:hunter2@db/leadrelay']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--to must be a PostgreSQL URL such as postgres:\/\//);
    expect(bad.stderr).not.toContain('hunter2');
  });

  it('says when there is no SQLite database to copy', async () => {
    const result = await runCliCaptured(['migrate-store', '--to', 'postgres://127.0.0.1:9/x', '--db', '/nonexistent/leadrelay.db']);
    expect(result).toMatchObject({ code: 1, stderr: 'no database at /nonexistent/leadrelay.db: nothing copied\n' });
  });
});
