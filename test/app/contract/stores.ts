/**
 * The stores the port-contract and use-case suites run against. A new store plugs in by adding a
 * factory here: a fresh, empty store per call, `decorate` applied to its repositories before its
 * unit of work uses them (tests swap in a faulty repository), and `close`. The suites use nothing
 * but the ports, so whatever passes them on memory and SQLite must pass on PostgreSQL too (run when
 * a server answers, see test/support/postgres.ts).
 *
 * Import this module at the top level of a test file only: the PostgreSQL factory's databases are
 * dropped after the file (usePostgres registers that on import).
 */
import type { ReadTx, Store } from '../../../src/app/ports.ts';
import { postgresStore } from '../../../src/adapters/postgres/postgresStore.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { memoryStore } from '../../support/memoryStore.ts';
import { postgresAvailable, usePostgres } from '../../support/postgres.ts';

export interface StoreUnderTest {
  store: Store;
  close(): Promise<void>;
}

export type StoreFactory = (options?: { decorate?: (repositories: ReadTx) => ReadTx }) => Promise<StoreUnderTest>;

export const memoryFactory: StoreFactory = async (options = {}) => ({ store: memoryStore(options), close: async () => undefined });

export const sqliteFactory: StoreFactory = async (options = {}) => {
  const db = openDatabase(':memory:');
  return {
    store: sqliteStore(db, options),
    close: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      db.close();
    },
  };
};

const pg = usePostgres();

/** A fresh migrated database per store; its pool is ended at `close` (dozens of stores per file stay under the server's connection limit). */
export const postgresFactory: StoreFactory = async (options = {}) => {
  const db = await pg.database({ migrated: true });
  const store = postgresStore(db.pool, options);
  return {
    store,
    close: async () => {
      await store.uow.flush();
      await db.pool.end();
    },
  };
};

/** Every store the suites run against, by name. */
export const STORES: readonly (readonly [string, StoreFactory])[] = [
  ['memory', memoryFactory],
  ['sqlite', sqliteFactory],
  ...(postgresAvailable ? [['postgres', postgresFactory] as const] : []),
];
