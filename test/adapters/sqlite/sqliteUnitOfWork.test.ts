import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadTx } from '../../../src/app/ports.ts';
import { openDatabase, type Db } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteRepositories, sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { sqliteUnitOfWork, type SqliteUnitOfWorkOptions } from '../../../src/adapters/sqlite/sqliteUnitOfWork.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A unit of work on a database with a `notes` table, written through the raw connection inside works. */
function setup(options: SqliteUnitOfWorkOptions = {}, path = ':memory:') {
  const db = openDatabase(path);
  db.exec('CREATE TABLE notes (text TEXT NOT NULL)');
  const note = db.prepare('INSERT INTO notes (text) VALUES (?)');
  const notes = (on: Db | Database.Database = db) => (on.prepare('SELECT text FROM notes ORDER BY rowid').all() as { text: string }[]).map((row) => row.text);
  const { repositories } = sqliteRepositories(db);
  const uow = sqliteUnitOfWork(db, repositories as ReadTx, options);
  const write = (text: string) => async () => note.run(text).changes;
  return { db, uow, note, notes, write };
}

describe('sqliteUnitOfWork: group commit', () => {
  it('runs the works queued in one turn of the event loop in ONE transaction (one fsync), one after the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-uow-'));
    dirs.push(dir);
    const t = setup({}, join(dir, 'uow.db'));
    const other = new Database(join(dir, 'uow.db'), { readonly: true });
    const seenByOther: string[][] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((text) =>
        t.uow.run(async () => {
          // Another connection sees none of the batch until its one commit.
          seenByOther.push(t.notes(other));
          t.note.run(text);
        }),
      ),
    );
    expect(seenByOther).toEqual([[], [], []]);
    expect(t.notes(other)).toEqual(['a', 'b', 'c']);
    other.close();
    t.db.close();
  });

  it('rolls back and rejects only the work that throws; the others in its transaction commit', async () => {
    const t = setup();
    const results = await Promise.allSettled([
      t.uow.run(t.write('a')),
      t.uow.run(async () => {
        t.note.run('half');
        throw new Error('bug');
      }),
      t.uow.run(t.write('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(t.notes()).toEqual(['a', 'c']);
  });

  it('rejects every work of a transaction whose commit fails, leaves nothing of them, and runs none of their hooks', async () => {
    const t = setup();
    t.db.exec('CREATE TABLE parents (id INTEGER PRIMARY KEY); CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)');
    let hooked = false;
    const lead = t.uow.run(async (tx) => {
      t.note.run('lead');
      tx.afterCommit(() => (hooked = true));
    });
    // A foreign key checked only at COMMIT: the work succeeds, its transaction's commit fails.
    const child = t.uow.run(async () => t.db.prepare('INSERT INTO children (parent) VALUES (42)').run().changes);
    await expect(lead).rejects.toThrow(/FOREIGN KEY/);
    await expect(child).rejects.toThrow(/FOREIGN KEY/);
    expect(hooked).toBe(false);
    expect(t.notes()).toEqual([]);
    expect(t.db.inTransaction).toBe(false);
  });

  it('reads only committed state: a read asked while a transaction is open waits for its commit', async () => {
    const slow: number[] = [];
    const t = setup({ slowTransactionMs: 5, onSlowTransaction: (ms) => slow.push(ms) });
    let release: () => void = () => undefined;
    const held = t.uow.run(async () => {
      t.note.run('held');
      // Not allowed in a work (it keeps the transaction open), which is what this test needs.
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const read = t.uow.read(async () => t.notes());
    release();
    await held;
    expect(await read).toEqual(['held']);
    expect(slow).toHaveLength(1);
  });
});

describe('sqliteStore: queries outside the unit of work', () => {
  it('hand the outbox worker committed rows only, even while a work keeps a transaction open', async () => {
    const db = openDatabase(':memory:');
    const store = sqliteStore(db);
    await store.uow.run((tx) => tx.leads.insert({ lead: { source: 'form', email: 'a@b.io', company: {}, fields: {} }, externalId: null, emailKey: 'a@b.io', linkedinKey: null, domain: null, receivedAt: 0 }));
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const held = store.uow.run(async (tx) => {
      await tx.outbox.enqueue(1, { type: 'post_message', channel: 'C1', text: 'x' }, 0);
      started();
      // Not allowed in a work (it keeps the transaction open), which is what this test needs.
      await new Promise<void>((resolve) => (release = resolve));
    });
    await inside; // the work's transaction is open, its row written but not committed
    const due = store.outboxQueue.claimDue({ now: 0, limit: 10, instance: 'test', leaseMs: 1000 });
    let answered = false;
    void due.then(() => (answered = true));
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    release();
    await held;
    expect((await due).map((row) => row.effect.type)).toEqual(['post_message']);
  });
});

describe('sqliteUnitOfWork: soon (writes that need not be durable at once)', () => {
  it('commits a soon write with the next transaction, and resolves it only then', async () => {
    const t = setup({ soonMaxDelayMs: 60_000 });
    let committed = false;
    const write = t.uow.soon(t.write('delivered')).then((changes) => {
      committed = true;
      return changes;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(committed).toBe(false);
    await t.uow.run(t.write('lead'));
    expect(await write).toBe(1);
    expect(t.notes()).toEqual(['lead', 'delivered']);
  });

  it('commits a soon write on its own when asked to wait for nothing', async () => {
    const t = setup({ soonMaxDelayMs: 0 });
    expect(await t.uow.soon(t.write('alone'))).toBe(1);
    expect(t.notes()).toEqual(['alone']);
  });

  it('commits what soon holds on flush (at shutdown)', async () => {
    const t = setup({ soonMaxDelayMs: 60_000 });
    const write = t.uow.soon(t.write('late'));
    await t.uow.flush();
    expect(await write).toBe(1);
    expect(t.notes()).toEqual(['late']);
  });

  it('rolls back and rejects a soon write that throws, alone: the transaction it joined and the other writes stand', async () => {
    const t = setup({ soonMaxDelayMs: 60_000 });
    const bad = t.uow.soon(async () => {
      t.note.run('half');
      throw new Error('bug');
    });
    const good = t.uow.soon(t.write('good'));
    await t.uow.run(t.write('lead'));
    await expect(bad).rejects.toThrow('bug');
    expect(await good).toBe(1);
    expect(t.notes()).toEqual(['lead', 'good']);
  });
});
