/**
 * The PostgreSQL store: every port of src/app/ports.ts on a pg pool, for several instances on one
 * database. Open and migrate the database with openPostgres first. The repositories are built on
 * each transaction's client; the outbox queue and the read models run their own short
 * transactions on the pool, outside the use cases'.
 */
import type { ReadTx, Store } from '../../app/ports.ts';
import type { PgPool, PgQueryable } from './connectPostgres.ts';
import { postgresAccountOwnerStore } from './postgresAccountOwnerStore.ts';
import { postgresAvailabilityStore } from './postgresAvailabilityStore.ts';
import { postgresIdempotencyStore, postgresLeadStore } from './postgresLeadStore.ts';
import { postgresOfferStore } from './postgresOfferStore.ts';
import { postgresOutbox, postgresOutboxQueue } from './postgresOutboxStore.ts';
import { postgresReadModels } from './postgresReadModels.ts';
import { postgresRoutingStore } from './postgresRoutingStore.ts';
import { postgresSignalStore } from './postgresSignalStore.ts';
import { postgresSlackDeliveryLog } from './postgresSlackDeliveryLog.ts';
import { postgresUnitOfWork, type PostgresUnitOfWorkOptions } from './postgresUnitOfWork.ts';

/**
 * The repositories on what runs a transaction's queries (its client). `instance`: this instance's
 * name, as it claims outbox rows (the outbox then records only deliveries of rows it holds).
 */
export function postgresRepositories(q: PgQueryable, instance?: string): ReadTx {
  return {
    leads: postgresLeadStore(q),
    idempotency: postgresIdempotencyStore(q),
    offers: postgresOfferStore(q),
    routing: postgresRoutingStore(q),
    availability: postgresAvailabilityStore(q),
    accounts: postgresAccountOwnerStore(q),
    signals: postgresSignalStore(q),
    slackDeliveries: postgresSlackDeliveryLog(q),
    outbox: postgresOutbox(q, instance === undefined ? {} : { instance }),
  };
}

export interface PostgresStoreOptions extends PostgresUnitOfWorkOptions {
  /** This instance's name, as its outbox worker claims rows with it (see postgresOutboxStore.ts); none: one deliverer. */
  instance?: string;
  /** Replaces repositories (a test's faulty one, say): applied to each transaction's repositories before the work uses them. */
  decorate?: (repositories: ReadTx) => ReadTx;
}

export function postgresStore(pool: PgPool, options: PostgresStoreOptions = {}): Store {
  const { decorate, instance, ...uowOptions } = options;
  const repositoriesOf = (q: PgQueryable) => {
    const repositories = postgresRepositories(q, instance);
    return decorate ? decorate(repositories) : repositories;
  };
  return { uow: postgresUnitOfWork(pool, repositoriesOf, uowOptions), outboxQueue: postgresOutboxQueue(pool), readModels: postgresReadModels(pool) };
}
