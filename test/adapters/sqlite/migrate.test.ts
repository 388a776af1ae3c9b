import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, MigrationError } from '../../../src/adapters/sqlite/migrate.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'leadrelay-')), 'test.db');

describe('migrate', () => {
  it('applies every migration on a new database and records it', () => {
    const db = new Database(':memory:');
    const applied = migrate(db, loadMigrations());
    expect(applied).toEqual(loadMigrations().map((m) => m.version));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => (r as { name: string }).name);
    expect(tables).toEqual(expect.arrayContaining(['leads', 'lead_history', 'offers', 'rep_state', 'account_owners', 'outbox', 'idempotency_keys', 'slack_deliveries', 'schema_migrations']));
  });

  it('is a no-op when run twice', () => {
    const path = tempDb();
    openDatabase(path).close();
    const db = openDatabase(path);
    expect(migrate(db, loadMigrations())).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: loadMigrations().length });
    db.close();
  });

  it('lets two instances that found the same migrations missing apply them once (a double start)', () => {
    const path = tempDb();
    const first = new Database(path);
    const second = new Database(path);
    const migrations = loadMigrations();
    expect(migrate(first, migrations)).toEqual(migrations.map((m) => m.version));
    // The second read what was applied before the first applied anything (a stale read of
    // schema_migrations); under the write lock it finds each migration recorded and skips it.
    const staleRead = new Proxy(second, {
      get(target, property, receiver) {
        if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown;
        return (sql: string) => (sql.startsWith('SELECT version, name, checksum') ? { all: () => [] } : target.prepare(sql));
      },
    });
    expect(migrate(staleRead, migrations)).toEqual([]);
    expect(second.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
    first.close();
    second.close();
  });

  it('refuses a database that has a migration the code does not know', () => {
    const path = tempDb();
    const future = [...loadMigrations(), { version: loadMigrations().length + 1, name: '9999_future.sql', sql: 'CREATE TABLE future (x);' }];
    const db = openDatabase(path, { migrations: future });
    db.close();
    expect(() => openDatabase(path)).toThrowError(MigrationError);
    expect(() => openDatabase(path)).toThrowError(/has migration 9999_future\.sql, which this version of leadrelay does not know/);
  });

  it('refuses a migration edited after it was applied', () => {
    const db = new Database(':memory:');
    migrate(db, loadMigrations());
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    expect(() => migrate(db, edited)).toThrowError(/differs from the one applied/);
  });

  it('rolls back a failing migration as a whole', () => {
    const db = new Database(':memory:');
    const broken = [...loadMigrations(), { version: loadMigrations().length + 1, name: '0099_broken.sql', sql: 'CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: loadMigrations().length });
  });

  it('opens with WAL, full sync, savepoint journals in memory, foreign keys and a busy timeout', () => {
    const db = openDatabase(tempDb());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    db.close();
  });

  it('keeps the lead history append-only', () => {
    const db = openDatabase(':memory:');
    db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 1, 1)").run();
    db.prepare("INSERT INTO lead_history (lead_id, at, actor, event) VALUES (1, 1, 'api', 'received')").run();
    expect(() => db.prepare("UPDATE lead_history SET event = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM lead_history').run()).toThrow(/append-only/);
  });

  it('0003 backfills when each existing lead first got an owner, from its history', () => {
    const db = new Database(':memory:');
    const all = loadMigrations();
    const upTo = all.findIndex((m) => m.name.startsWith('0003_'));
    migrate(db, all.slice(0, upTo));
    const insertLead = db.prepare(`INSERT INTO leads (id, source, domain, payload, state, owner_id, received_at, updated_at, claimed_at)
      VALUES (?, 'form', 'acme.com', '{}', ?, ?, 0, 0, ?)`);
    insertLead.run(1, 'claimed', 'U0BOB', 5_000); // claimed at 2 s, reassigned to Bob at 5 s
    insertLead.run(2, 'offered', null, null);
    const history = db.prepare('INSERT INTO lead_history (lead_id, at, actor, event) VALUES (?, ?, ?, ?)');
    history.run(1, 1_000, 'system', 'offered');
    history.run(1, 2_000, 'U0ALICE', 'claimed');
    history.run(1, 5_000, 'U0MGR', 'reassigned');
    history.run(2, 1_000, 'system', 'offered');
    migrate(db, all);
    expect(db.prepare('SELECT id, claimed_at, first_owned_at FROM leads ORDER BY id').all()).toEqual([
      { id: 1, claimed_at: 5_000, first_owned_at: 2_000 },
      { id: 2, claimed_at: null, first_owned_at: null },
    ]);
  });
});
