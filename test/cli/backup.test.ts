import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { runCliCaptured, useTempDir } from '../support/cli.ts';

const temp = useTempDir('leadrelay-backup-');

const lead = (i: number): Lead => ({ source: 'form', email: `lead${i}@example.com`, company: {}, fields: {} });

/** Inserts lead `i` with its `received` history record, as the bot does (inside the caller's transaction). */
function leadWriter(db: Database.Database): (i: number) => void {
  const insert = db.prepare(`INSERT INTO leads (email_key, source, payload, state, received_at, updated_at) VALUES (?, 'form', ?, 'received', ?, ?)`);
  const history = db.prepare(`INSERT INTO lead_history (lead_id, at, actor, event, detail) VALUES (?, ?, 'api', 'received', '{"source":"form"}')`);
  return db.transaction((i: number) => {
    const id = insert.run(`lead${i}@example.com`, JSON.stringify(lead(i)), i, i).lastInsertRowid;
    history.run(id, i);
  });
}

function databaseWith(count: number): string {
  const path = join(temp.dir, 'leadrelay.db');
  const db = openDatabase(path);
  const insertLead = leadWriter(db);
  db.transaction(() => {
    for (let i = 0; i < count; i += 1) insertLead(i);
  })();
  db.close();
  return path;
}

const migrationsOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all();
  } finally {
    db.close();
  }
};

describe('leadrelay backup', () => {
  it('copies the database with its migrations table, checks the copy and says what it holds', async () => {
    const source = databaseWith(3);
    const target = join(temp.dir, 'backup.db');
    const result = await runCliCaptured(['backup', target, '--db', source]);
    expect(readdirSync(temp.dir).filter((name) => name.startsWith('backup.db'))).toEqual(['backup.db']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^backed up ${source.replace(/[.]/g, '\\.')} to ${target.replace(/[.]/g, '\\.')}: 3 leads, schema version \\d+, \\d+\\.\\d MB\\n$`));
    expect(migrationsOf(target)).toEqual(migrationsOf(source));
    const copy = new Database(target, { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM leads').get()).toEqual({ n: 3 });
    copy.close();
  });

  it('uses LEADRELAY_DB when --db is not given', async () => {
    const source = databaseWith(1);
    const result = await runCliCaptured(['backup', join(temp.dir, 'copy.db')], { LEADRELAY_DB: source });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(': 1 lead, schema version');
  });

  it('is a consistent snapshot while another connection keeps committing: every lead with its history, nothing half-written', async () => {
    const source = databaseWith(5_000);
    const writer = openDatabase(source);
    const insertLead = leadWriter(writer);
    let next = 5_000;
    let writing = true;
    const writes = (async () => {
      while (writing) {
        insertLead(next);
        next += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const started = next;
    const target = join(temp.dir, 'backup.db');
    const result = await runCliCaptured(['backup', target, '--db', source]);
    const during = next - started;
    writing = false;
    await writes;
    writer.close();

    expect(result.code).toBe(0);
    expect(during).toBeGreaterThan(0);
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const leads = (copy.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n;
      expect(leads).toBeGreaterThanOrEqual(5_000);
      expect(leads).toBeLessThanOrEqual(next);
      // Each transaction wrote a lead and its history record: the copy has both or neither.
      expect(copy.prepare('SELECT count(*) AS n FROM lead_history').get()).toEqual({ n: leads });
      expect(copy.prepare('SELECT max(id) AS id FROM leads').get()).toEqual({ id: leads });
    } finally {
      copy.close();
    }
    expect(migrationsOf(target)).toEqual(migrationsOf(source));
  });

  it('refuses to replace an existing file unless --force is given', async () => {
    const source = databaseWith(2);
    const target = temp.file('backup.db', 'precious');
    const refused = await runCliCaptured(['backup', target, '--db', source]);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `${target} already exists (add --force to replace it): nothing backed up\n` });
    expect(readFileSync(target, 'utf8')).toBe('precious');

    const forced = await runCliCaptured(['backup', target, '--db', source, '--force']);
    expect(forced.code).toBe(0);
    expect(migrationsOf(target)).toEqual(migrationsOf(source));
  });

  it('says there is no database, and leaves nothing behind', async () => {
    const missing = join(temp.dir, 'missing.db');
    const target = join(temp.dir, 'backup.db');
    expect(await runCliCaptured(['backup', target, '--db', missing])).toEqual({ code: 1, stdout: '', stderr: `no database at ${missing}: nothing backed up\n` });
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a file that is not a leadrelay database, and leaves nothing behind', async () => {
    const other = join(temp.dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const target = join(temp.dir, 'backup.db');
    const result = await runCliCaptured(['backup', target, '--db', other]);
    expect(result).toMatchObject({ code: 1, stderr: `${other} is not a leadrelay database (no schema_migrations table): nothing backed up\n` });
    expect(readdirSync(temp.dir)).toEqual(['other.db']);
  });

  it('refuses a target in a directory that does not exist, or the database itself', async () => {
    const source = databaseWith(1);
    const nowhere = await runCliCaptured(['backup', join(temp.dir, 'no', 'such', 'backup.db'), '--db', source]);
    expect(nowhere).toMatchObject({ code: 1, stderr: `the directory ${join(temp.dir, 'no', 'such')} does not exist: nothing backed up\n` });
    const itself = await runCliCaptured(['backup', source, '--db', source, '--force']);
    expect(itself).toMatchObject({ code: 1, stderr: `${source} is the database itself: nothing backed up\n` });
  });

  it('fails cleanly on a file that is not SQLite at all', async () => {
    const junk = join(temp.dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const result = await runCliCaptured(['backup', join(temp.dir, 'backup.db'), '--db', junk]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nothing backed up\n$/);
    expect(readdirSync(temp.dir)).toEqual(['junk.db']);
  });

  it('needs the file to write', async () => {
    const result = await runCliCaptured(['backup']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'missing <file>\nUsage: leadrelay backup <file> [--db file] [--database-url url] [--force]\n' });
  });
});
