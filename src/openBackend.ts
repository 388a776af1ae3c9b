/**
 * main.ts's database, opened for the bot: SQLite (the file at LEADRELAY_DB, one writer: the instance
 * that holds the lease serves, another one waits on standby until it stops or dies) or PostgreSQL
 * (DATABASE_URL: connected, migrated under an advisory lock, and every instance serves). Either way
 * a StoreBackend for buildServices and a `close()` for after the bot stopped.
 */
import { shownDatabaseUrl, type RunMode } from './config/env.ts';
import type { Logger } from './adapters/logger.ts';
import { startStandbyServer } from './adapters/http/standbyServer.ts';
import { PostgresUnavailableError } from './adapters/postgres/connectPostgres.ts';
import { openPostgres } from './adapters/postgres/migratePostgres.ts';
import { postgresBackend } from './adapters/postgres/postgresBackend.ts';
import { openDatabase } from './adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from './adapters/sqlite/sqliteBackend.ts';
import { sqliteInstanceLease, type LeaseRecord } from './adapters/sqlite/sqliteInstanceLease.ts';
import { loggedStoreHooks, type StoreBackend } from './adapters/storeBackend.ts';
import { VERSION } from './leadrelay.ts';

/** How often a waiting instance checks the lease, and how often the holder renews it (it lasts 6 s). */
const LEASE_POLL_MS = 500;
const LEASE_HEARTBEAT_MS = 2000;

export interface OpenedBackend {
  backend: StoreBackend;
  /** After the bot stopped: hands back what this instance holds and closes the connections. */
  close(): Promise<void>;
}

export interface OpenSqliteOptions {
  dbPath: string;
  instance: string;
  logger: Logger;
  /** Where a waiting instance answers GET /healthz (503 standby). */
  port: number;
  mode: RunMode;
  /** SIGTERM/SIGINT came while waiting: stop waiting. */
  stopRequested: () => boolean;
}

/**
 * Opens and migrates the SQLite file and waits for its instance lease (serving only GET /healthz,
 * 503 standby, meanwhile); 'stopped' when asked to stop while waiting. Deadlines, the outbox and
 * Slack all wait for the lease; a lease lost to another instance (this process was paused past it)
 * ends this one at once: two instances must never deliver side by side.
 */
export async function openSqlite(options: OpenSqliteOptions): Promise<OpenedBackend | 'stopped'> {
  const { logger, instance } = options;
  let db;
  try {
    db = openDatabase(options.dbPath);
  } catch (error) {
    throw new Error(`database ${options.dbPath}: ${(error as Error).message}`);
  }
  const lease = sqliteInstanceLease(db, { holder: instance });
  let attempt = lease.tryAcquire();
  if (!attempt.acquired) {
    const describe = (holder: LeaseRecord) => ({ holder: holder.holder, heartbeat_age_ms: Math.max(0, Date.now() - holder.heartbeat_at) });
    logger.info({ event: 'lease.standby', ...describe(attempt.holder) }, 'standby: another instance holds the lease on this database; serving only GET /healthz (503 standby) until it stops');
    let standby;
    try {
      standby = await startStandbyServer({ port: options.port, version: VERSION, mode: options.mode, instance, holder: () => lease.current(), now: Date.now });
    } catch (error) {
      db.close();
      throw error;
    }
    let seen = attempt.holder.holder;
    while (!attempt.acquired && !options.stopRequested()) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      attempt = lease.tryAcquire();
      if (!attempt.acquired && attempt.holder.holder !== seen) {
        seen = attempt.holder.holder;
        logger.info({ event: 'lease.standby', ...describe(attempt.holder) }, 'standby: the lease moved to another instance');
      }
    }
    await standby.close();
    if (!attempt.acquired) {
      db.close();
      return 'stopped';
    }
  }
  logger.info(
    { event: 'lease.acquired', took_over_from: attempt.tookOverFrom?.holder ?? null },
    attempt.tookOverFrom ? 'this instance took over the lease on the database and serves' : 'this instance holds the lease on the database and serves',
  );
  const heartbeat = setInterval(() => {
    try {
      if (lease.renew()) return;
    } catch (error) {
      logger.warn({ err: error, event: 'lease.renew_failed' }, 'renewing the instance lease failed; retrying');
      return;
    }
    logger.error({ event: 'lease.lost', holder: lease.current()?.holder ?? null }, 'this instance lost the lease on the database to another one: stopping now');
    process.exit(1);
  }, LEASE_HEARTBEAT_MS);
  heartbeat.unref();
  const backend = sqliteBackend(db, { lease, hooks: loggedStoreHooks(logger) });
  return {
    backend,
    async close() {
      clearInterval(heartbeat);
      // Handing over: a waiting instance takes over at its next poll.
      lease.release();
      logger.info({ event: 'lease.released' }, 'instance lease released');
      await backend.close();
    },
  };
}

export interface OpenPostgresBackendOptions {
  instance: string;
  logger: Logger;
}

/**
 * Connects to DATABASE_URL and brings its schema up to date (under an advisory lock: instances
 * starting together migrate once; a database a newer leadrelay migrated is refused). No lease: every
 * instance serves, and work is claimed row by row.
 */
export async function openPostgresBackend(url: string, options: OpenPostgresBackendOptions): Promise<OpenedBackend> {
  const pool = await openPostgres(url, { onIdleError: (error) => options.logger.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool opens a new one') }).catch((error: unknown) => {
    // A server that cannot be used names DATABASE_URL already; a schema this code cannot use does not.
    throw error instanceof PostgresUnavailableError ? error : new Error(`DATABASE_URL (${shownDatabaseUrl(url)}): ${(error as Error).message}`);
  });
  let backend;
  try {
    backend = await postgresBackend(pool, { url, instance: options.instance, logger: options.logger, hooks: loggedStoreHooks(options.logger) });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`DATABASE_URL (${shownDatabaseUrl(url)}): cannot listen for the other instances: ${(error as Error).message}`);
  }
  return { backend, close: () => backend.close() };
}
