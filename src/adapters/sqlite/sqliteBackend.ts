/**
 * The bot on SQLite (the embedded default): one better-sqlite3 connection, one writer. The instance
 * lease (main.ts acquires it) lets only its holder deliver; pacing and the App Home registry live
 * in this process, and no other instance writes, so nothing needs waking across instances.
 */
import { instanceName } from '../instanceName.ts';
import { localAppHomeRegistry } from '../slack/appHomeRegistry.ts';
import { createSlackPacer } from '../slack/slackPacer.ts';
import type { StoreBackend, StoreHooks } from '../storeBackend.ts';
import type { Db } from './openDatabase.ts';
import type { InstanceLease } from './sqliteInstanceLease.ts';
import { sqliteStore } from './sqliteStore.ts';

export interface SqliteBackendOptions {
  /** The instance lease this process holds: deliveries stop at once if it lapses. Absent (tests): always held. */
  lease?: Pick<InstanceLease, 'holder' | 'held'>;
  hooks?: Partial<StoreHooks>;
}

/** The backend on an open, migrated database (openDatabase); `close()` closes it. */
export function sqliteBackend(db: Db, options: SqliteBackendOptions = {}): StoreBackend & { readonly db: Db } {
  const { lease } = options;
  return {
    kind: 'sqlite',
    writesOnTheThread: true,
    db,
    instance: lease?.holder ?? instanceName(),
    store: sqliteStore(db, { ...options.hooks }),
    pacer: createSlackPacer(),
    appHomes: localAppHomeRegistry(),
    ...(lease ? { mayDeliver: () => lease.held() } : {}),
    async close() {
      db.close();
    },
  };
}
