import { describe, expect, it } from 'vitest';
import { createDeferredWrites } from '../../../src/adapters/sqlite/deferredWrites.ts';
import { createGroupCommit } from '../../../src/adapters/sqlite/groupCommit.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';

function setup(maxDelayMs: number) {
  const db = openDatabase(':memory:');
  db.exec('CREATE TABLE notes (text TEXT NOT NULL)');
  const note = db.prepare('INSERT INTO notes (text) VALUES (?)');
  const notes = () => (db.prepare('SELECT text FROM notes ORDER BY rowid').all() as { text: string }[]).map((row) => row.text);
  const deferred = createDeferredWrites(db, { maxDelayMs });
  const grouped = createGroupCommit(db, (text: string) => note.run(text).changes, undefined, deferred);
  return { db, note, notes, deferred, grouped };
}

describe('createDeferredWrites', () => {
  it('commits a queued write with the next group commit, and resolves it only then', async () => {
    const t = setup(60_000);
    let committed = false;
    const write = t.deferred.add(() => t.note.run('delivered').changes).then((changes) => {
      committed = true;
      return changes;
    });
    await Promise.resolve();
    expect(committed).toBe(false);
    expect(t.deferred.pending).toBe(1);
    await t.grouped('lead');
    expect(await write).toBe(1);
    expect(t.notes()).toEqual(['lead', 'delivered']);
    expect(t.deferred.pending).toBe(0);
  });

  it('commits a write on its own when asked to wait for nothing', async () => {
    const t = setup(0);
    expect(await t.deferred.add(() => t.note.run('alone').changes)).toBe(1);
    expect(t.notes()).toEqual(['alone']);
  });

  it('commits what is queued on flush (at shutdown)', async () => {
    const t = setup(60_000);
    const write = t.deferred.add(() => t.note.run('late').changes);
    t.deferred.flush();
    expect(await write).toBe(1);
    expect(t.notes()).toEqual(['late']);
  });

  it('rolls back and rejects a write that throws, alone: the commit it joined and the other writes stand', async () => {
    const t = setup(60_000);
    const bad = t.deferred.add(() => {
      t.note.run('half');
      throw new Error('bug');
    });
    const good = t.deferred.add(() => t.note.run('good').changes);
    await t.grouped('lead');
    await expect(bad).rejects.toThrow('bug');
    expect(await good).toBe(1);
    expect(t.notes()).toEqual(['lead', 'good']);
  });

  it('rejects the queued writes when the commit they joined fails, and leaves nothing of them', async () => {
    const t = setup(60_000);
    t.db.exec('CREATE TABLE parents (id INTEGER PRIMARY KEY); CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)');
    // A foreign key checked only at COMMIT: the transaction's work succeeds, its commit fails.
    const write = t.deferred.add(() => t.db.prepare('INSERT INTO children (parent) VALUES (42)').run().changes);
    await expect(t.grouped('lead')).rejects.toThrow(/FOREIGN KEY/);
    await expect(write).rejects.toThrow(/FOREIGN KEY/);
    expect(t.notes()).toEqual([]);
    expect(t.deferred.pending).toBe(0);
  });
});
