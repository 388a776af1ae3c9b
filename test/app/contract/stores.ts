/**
 * The stores the port-contract and use-case suites run against. A new store (PostgreSQL, issue 17)
 * plugs in by adding a factory here: a fresh, empty store per call, `decorate` applied to its
 * repositories before its unit of work uses them (tests swap in a faulty repository), and `close`.
 * The suites use nothing but the ports, so whatever passes them on memory and SQLite must pass on it.
 */
import type { ReadTx, Store } from '../../../src/app/ports.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { memoryStore } from '../../support/memoryStore.ts';

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

/** Every store the suites run against, by name. */
export const STORES: readonly (readonly [string, StoreFactory])[] = [
  ['memory', memoryFactory],
  ['sqlite', sqliteFactory],
];
