/**
 * What the composition root (src/buildServices.ts) needs of the database it runs on, whichever it
 * is: the store (the ports of src/app/ports.ts) and the few things that differ between one writer
 * and several instances. Two backends: SQLite (src/adapters/sqlite/sqliteBackend.ts: one process
 * writes, an instance lease keeps any other on standby; everything else is in process) and
 * PostgreSQL (src/adapters/postgres/postgresBackend.ts: every instance serves; work is claimed in
 * the database, timers are woken across instances, Slack's budget is shared).
 */
import type { Store } from '../app/ports.ts';
import type { Logger } from './logger.ts';
import type { AppHomeRegistry } from './slack/appHomeRegistry.ts';
import type { SlackPacer } from './slack/slackPacer.ts';

export type StoreKind = 'sqlite' | 'postgres';

/** The hooks a store reports through: what went wrong after a commit, a transaction held open too long. */
export interface StoreHooks {
  onHookError: (error: unknown) => void;
  onSlowTransaction: (openMs: number) => void;
}

/**
 * Outbox rows this instance leases while it delivers them (several instances): renewed while they
 * are in flight, handed back when the instance stops cleanly; a dead instance's lapse after `leaseMs`.
 */
export interface OutboxLeases {
  leaseMs: number;
  /** Extends every lease this instance still holds to `now + leaseMs` (rows another instance took over stay theirs). */
  renew(now: number): Promise<void>;
  /** Hands every row this instance leases back (a clean stop): another instance may take them at once. How many. */
  release(): Promise<number>;
}

/** Wake-ups from other instances: another instance wrote outbox rows, or an offer with a deadline. */
export interface InstanceWakeups {
  onOutbox(listener: () => void): void;
  onDeadline(listener: () => void): void;
}

export interface StoreBackend {
  readonly kind: StoreKind;
  /** This instance's name (instanceName()): in /healthz, the logs, and the work it claims. */
  readonly instance: string;
  readonly store: Store;
  /**
   * Whether a transaction's statements and its commit run on the event loop's thread (SQLite,
   * synchronous: routing's time is then time that intake and delivery wait for, so a burst's
   * routing keeps to a share of it) or wait on the network (PostgreSQL: the thread serves requests
   * meanwhile, and a share counted in wall time would only slow routing down).
   */
  readonly writesOnTheThread: boolean;
  /** The pacing of Slack calls: per process on SQLite (one writer), shared by every instance on PostgreSQL. */
  readonly pacer: SlackPacer;
  /** Which instance publishes whose App Home. */
  readonly appHomes: AppHomeRegistry;
  /** Whether this instance may deliver now (SQLite: it holds the instance lease). Absent: always. */
  readonly mayDeliver?: () => boolean;
  /** Absent on SQLite: one writer holds its rows in memory. */
  readonly outboxLeases?: OutboxLeases;
  /** Absent on SQLite: no other instance writes. */
  readonly wakeups?: InstanceWakeups;
  /** Closes the connections (after the bot stopped). */
  close(): Promise<void>;
}

/** The store's hooks, logged. */
export function loggedStoreHooks(logger: Logger): StoreHooks {
  return {
    onHookError: (error) => logger.error({ err: error }, 'an after-commit step failed (the change itself is committed)'),
    onSlowTransaction: (openMs) => logger.warn({ open_ms: openMs }, 'a transaction stayed open long: a unit of work awaited something other than the store'),
  };
}
