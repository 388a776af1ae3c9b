import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../../src/adapters/sqlite/migrate.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';

/** An outbox row as leadrelay wrote them before schema version 5 (no lane). */
const insertOld = (db: Database.Database, kind: string, method: string, payload: unknown) =>
  db.prepare(`INSERT INTO outbox (lead_id, kind, method, payload, next_attempt_at, created_at) VALUES (NULL, ?, ?, ?, 0, 0)`).run(kind, method, JSON.stringify(payload));
const lanes = (db: Database.Database) => (db.prepare('SELECT method, lane FROM outbox ORDER BY id').all() as { method: string; lane: string }[]).map((row) => `${row.method} ${row.lane}`);
const rows = (db: Database.Database) => {
  insertOld(db, 'card', 'post_offer_card', { offerId: 1 });
  insertOld(db, 'card', 'update_offer_card', { offerId: 1 });
  insertOld(db, 'webhook', 'lead.claimed', { url: 'https://crm.example/hook', body: {} });
};
const EXPECTED = ['post_offer_card slack', 'update_offer_card card_update', 'lead.claimed webhook:https://crm.example/hook'];

describe('migration 0005: outbox lanes', () => {
  it('gives the rows written before it their lane', () => {
    const db = new Database(':memory:');
    const migrations = loadMigrations();
    migrate(db, migrations.slice(0, 4));
    rows(db);
    migrate(db, migrations);
    expect(lanes(db)).toEqual(EXPECTED);
  });

  it('gives the rows an older version wrote meanwhile (an overlapping upgrade) their lane when the store opens', () => {
    const db = new Database(':memory:');
    migrate(db, loadMigrations());
    rows(db);
    sqliteStore(db);
    expect(lanes(db)).toEqual(EXPECTED);
  });
});
