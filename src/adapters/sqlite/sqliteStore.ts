/**
 * The SQLite store: every port of src/app/ports.ts on one better-sqlite3 connection (the embedded
 * default: one process, one writer; the instance lease keeps a second process on the same file on
 * standby). Open the database with openDatabase first.
 */
import type { ReadTx, Store } from '../../app/ports.ts';
import type { Db } from './openDatabase.ts';
import { sqliteAccountOwnerStore } from './sqliteAccountOwnerStore.ts';
import { sqliteAvailabilityStore } from './sqliteAvailabilityStore.ts';
import { sqliteIdempotencyStore, sqliteLeadStore } from './sqliteLeadStore.ts';
import { sqliteOfferStore } from './sqliteOfferStore.ts';
import { sqliteOutboxStore } from './sqliteOutboxStore.ts';
import { sqliteReadModels } from './sqliteReadModels.ts';
import { createRoutingCache, type RoutingCache } from './sqliteRoutingCache.ts';
import { sqliteRoutingStore } from './sqliteRoutingStore.ts';
import { sqliteSignalStore } from './sqliteSignalStore.ts';
import { sqliteSlackDeliveryLog } from './sqliteSlackDeliveryLog.ts';
import { sqliteUnitOfWork, type SqliteUnitOfWorkOptions } from './sqliteUnitOfWork.ts';

/**
 * The repositories on one connection: what every transaction on it uses. They share the routing
 * cache (sqliteRoutingCache.ts), which serves only transactions of a unit of work it is given to.
 */
export function sqliteRepositories(db: Db): { repositories: ReadTx; queue: Store['outboxQueue']; routingCache: RoutingCache } {
  const { outbox, queue } = sqliteOutboxStore(db);
  const routingCache = createRoutingCache(db);
  const repositories = {
    leads: sqliteLeadStore(db, routingCache),
    idempotency: sqliteIdempotencyStore(db),
    offers: sqliteOfferStore(db, routingCache),
    routing: sqliteRoutingStore(db, routingCache),
    availability: sqliteAvailabilityStore(db, routingCache),
    accounts: sqliteAccountOwnerStore(db),
    signals: sqliteSignalStore(db),
    slackDeliveries: sqliteSlackDeliveryLog(db),
    outbox,
  };
  return { repositories, queue, routingCache };
}

export interface SqliteStoreOptions extends SqliteUnitOfWorkOptions {
  /** Replaces repositories (a test's faulty one, say) before the unit of work uses them. */
  decorate?: (repositories: ReadTx) => ReadTx;
}

export function sqliteStore(db: Db, options: SqliteStoreOptions = {}): Store {
  const { repositories, queue, routingCache } = sqliteRepositories(db);
  const { decorate, ...uowOptions } = options;
  const uow = sqliteUnitOfWork(db, decorate ? decorate(repositories) : repositories, { routingCache, ...uowOptions });
  return { uow, outboxQueue: committedOnly(uow, queue), readModels: committedOnly(uow, sqliteReadModels(db)) };
}

/**
 * The queries outside the unit of work see committed state only, like its reads: on one connection
 * a query asked while a transaction is open would see that transaction's writes (the outbox worker
 * would deliver a row not yet durable), so each waits, as `uow.read` does, for it to end.
 */
function committedOnly<T extends object>(uow: Store['uow'], queries: T): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, query] of Object.entries(queries) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = (...args: unknown[]) => uow.read(() => query(...args));
  }
  return wrapped as T;
}
