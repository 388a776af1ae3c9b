/**
 * The App Home registry shared by instances: a change touched on one instance republishes a Home
 * opened on another, each mark is taken by one instance only, and users who never opened their
 * Home are left alone.
 */
import { expect, it } from 'vitest';
import { connectPostgres } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresAppHomeRegistry } from '../../../src/adapters/postgres/postgresAppHomeRegistry.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

async function twoInstances() {
  const db = await pg.database({ migrated: true });
  const other = await connectPostgres(db.url, { max: 4 });
  return { db, a: postgresAppHomeRegistry(db.pool), b: postgresAppHomeRegistry(other), close: () => other.end() };
}

describePostgres('postgresAppHomeRegistry', () => {
  it('hands a user touched on one instance, whose Home was opened on another, to one instance once', async () => {
    const { a, b, close } = await twoInstances();
    await a.opened('U0ALICE', 1000);
    await b.touched(['U0ALICE', 'U0NEVER'], 2000);
    const [fromA, fromB] = await Promise.all([a.takeTouched(10), b.takeTouched(10)]);
    expect([...fromA, ...fromB]).toEqual(['U0ALICE']);
    expect(await a.takeTouched(10)).toEqual([]);
    await close();
  });

  it('marks a user again when they are touched after being taken, and forgets the mark when they open their Home', async () => {
    const { a, b, close } = await twoInstances();
    await a.opened('U0ALICE', 1000);
    await a.touched(['U0ALICE'], 2000);
    expect(await b.takeTouched(10)).toEqual(['U0ALICE']);
    await a.touched(['U0ALICE'], 3000);
    await b.opened('U0ALICE', 3500);
    expect(await a.takeTouched(10)).toEqual([]);
    await b.touched(['U0ALICE'], 4000);
    expect(await a.takeTouched(10)).toEqual(['U0ALICE']);
    await close();
  });

  it('hands out the oldest marks first, at most `limit`, the rest at the next take', async () => {
    const { a, close } = await twoInstances();
    for (const user of ['U0A', 'U0B', 'U0C']) await a.opened(user, 0);
    await a.touched(['U0C'], 10);
    await a.touched(['U0A', 'U0B'], 20);
    await a.touched(['U0C'], 30);
    expect(await a.takeTouched(2)).toEqual(['U0C', 'U0A']);
    expect(await a.takeTouched(2)).toEqual(['U0B']);
    await close();
  });
});
