/**
 * The bot on PostgreSQL, where every instance serves: the store on the pool (postgresStore), outbox
 * rows claimed with leases that this instance renews while it delivers them and hands back when it
 * stops (a dead instance's lapse after LEASE_MS), due deadlines taken with SKIP LOCKED by the store,
 * the other instances' commits waking this one's timers (postgresWakeups.ts), Slack's budget and
 * the App Homes shared (postgresSlackPacer.ts, postgresAppHomeRegistry.ts).
 */
import type { StoreBackend, StoreHooks } from '../storeBackend.ts';
import type { Logger } from '../logger.ts';
import type { PgPool } from './connectPostgres.ts';
import { postgresAppHomeRegistry } from './postgresAppHomeRegistry.ts';
import { postgresSlackPacer } from './postgresSlackPacer.ts';
import { releaseOutboxLeases, renewOutboxLeases } from './postgresOutboxStore.ts';
import { postgresStore } from './postgresStore.ts';
import { listenForWakeups, WAKEUP_CHANNELS } from './postgresWakeups.ts';

/**
 * How long an outbox row stays this instance's without a renewal (renewed three times within it):
 * another instance takes over a dead one's rows this long after its last renewal at most.
 */
export const LEASE_MS = 6000;

export interface PostgresBackendOptions {
  /** The database's URL: the wake-ups listen on a connection of their own. */
  url: string;
  instance: string;
  logger: Logger;
  hooks?: Partial<StoreHooks>;
  leaseMs?: number;
}

/** The backend on an open, migrated pool (openPostgres); `close()` ends the pool. */
export async function postgresBackend(pool: PgPool, options: PostgresBackendOptions): Promise<StoreBackend & { readonly pool: PgPool }> {
  const { instance } = options;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const wakeups = await listenForWakeups(options.url, { logger: options.logger });
  return {
    kind: 'postgres',
    writesOnTheThread: false,
    pool,
    instance,
    store: postgresStore(pool, { instance, ...options.hooks }),
    pacer: postgresSlackPacer(pool),
    appHomes: postgresAppHomeRegistry(pool),
    outboxLeases: {
      leaseMs,
      renew: async (now) => void (await renewOutboxLeases(pool, instance, now + leaseMs)),
      async release() {
        const released = await releaseOutboxLeases(pool, instance);
        // The rows are due now: the other instances need not wait for their poll.
        if (released > 0) await pool.query(`SELECT pg_notify('${WAKEUP_CHANNELS.outbox}', '')`);
        return released;
      },
    },
    wakeups,
    async close() {
      await wakeups.close();
      await pool.end();
    },
  };
}
