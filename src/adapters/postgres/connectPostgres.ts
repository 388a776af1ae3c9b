/**
 * The PostgreSQL connection pool (node-postgres) that every instance of leadrelay opens on
 * DATABASE_URL, and the one start-up error that says why the server could not be used.
 */
import pg from 'pg';
import { shownDatabaseUrl } from '../../config/env.ts';

export type PgPool = pg.Pool;

/** What runs a query: the pool (each query its own transaction) or one checked-out client (inside a transaction). */
export type PgQueryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface ConnectPostgresOptions {
  /** What the URL was given as, for messages: `DATABASE_URL` (default) or `--database-url`. */
  name?: string;
  /** Connections per instance (default 10). Each instance opens its own pool: mind the server's max_connections. */
  max?: number;
  /** A statement running longer than this is cancelled by the server (default 15 s): a stuck query never holds locks for ever. */
  statementTimeoutMs?: number;
  /** A session idle inside an open transaction for this long is ended by the server (default 30 s), releasing its locks. */
  idleInTransactionTimeoutMs?: number;
  /** How long to wait for the server to accept a connection (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * An idle pooled connection failed (the server restarted, the network dropped it). The pool has
   * already dropped it and opens a new one on the next query; default: ignored.
   */
  onIdleError?: (error: Error) => void;
}

export const POOL_DEFAULTS = {
  max: 10,
  statementTimeoutMs: 15_000,
  idleInTransactionTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  /** Idle connections beyond what the load needs are closed after this long. */
  idleTimeoutMs: 30_000,
} as const;

/** The oldest PostgreSQL the schema works on (identity columns, EXECUTE FUNCTION triggers, DROP DATABASE … WITH (FORCE) in tests). */
export const MIN_SERVER_VERSION = { num: 130000, text: '13' } as const;

/** The server could not be reached, refused the connection, or cannot be used: a start-up error, one sentence. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
}

const INT8_OID = 20;

/**
 * BIGINT columns (epoch-ms times, ids, count(*)) come back as numbers, like SQLite's: every value
 * leadrelay stores fits in a double exactly (Number.MAX_SAFE_INTEGER is the largest, "away until
 * turned off"). A larger one is refused rather than silently rounded.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') {
      return (text: string) => {
        const value = Number(text);
        if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT value ${text} does not fit a JavaScript number exactly`);
        return value;
      };
    }
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** `host:port/database`, from the URL (libpq's defaults where it has none). */
function serverOf(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}:${parsed.port || '5432'}/${decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(the user name)'}`;
  } catch {
    return 'the server';
  }
}

/** Why a connection attempt failed, in words a person can act on. */
export function connectionProblem(error: unknown, url: string): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const server = serverOf(url);
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing answers at ${server} (is the PostgreSQL server running there, and are the host and port right?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host of ${server} is not found (${message ?? code})`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${server} cannot be reached (${message ?? code})`;
    case '28P01':
      return `the server at ${server} refused the password (${message})`;
    case '28000':
      return `the server at ${server} refused the connection (${message}): check the user in the URL and the server's pg_hba.conf`;
    case '3D000':
      return `${message} on the server at ${server}: create it first (createdb, or CREATE DATABASE)`;
    case '53300':
      return `the server at ${server} has no connection left (${message}): lower the instances' pool size or raise max_connections`;
    case '57P03':
      return `the server at ${server} is not accepting connections yet (${message})`;
    default:
      // node-postgres' own connect timeout says "timeout expired" or "Connection terminated due to connection timeout".
      if (/timeout/i.test(message ?? '')) return `no answer from ${server} within the connect timeout (${message})`;
      return `${server}: ${message ?? String(error)}`;
  }
}

/**
 * Opens the pool and checks that the server answers and is recent enough; throws a
 * PostgresUnavailableError naming the URL (its password hidden) and what went wrong. Nothing is
 * created or migrated (see openPostgres for the bot's start).
 */
export async function connectPostgres(url: string, options: ConnectPostgresOptions = {}): Promise<PgPool> {
  const name = options.name ?? 'DATABASE_URL';
  const pool = new pg.Pool({
    connectionString: url,
    application_name: 'leadrelay',
    max: options.max ?? POOL_DEFAULTS.max,
    statement_timeout: options.statementTimeoutMs ?? POOL_DEFAULTS.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? POOL_DEFAULTS.idleInTransactionTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs ?? POOL_DEFAULTS.connectTimeoutMs,
    idleTimeoutMillis: POOL_DEFAULTS.idleTimeoutMs,
    types,
  });
  pool.on('error', options.onIdleError ?? (() => undefined));
  const unavailable = async (problem: string): Promise<never> => {
    await pool.end().catch(() => undefined);
    throw new PostgresUnavailableError(`${name} (${shownDatabaseUrl(url)}): cannot use PostgreSQL: ${problem}`);
  };
  let version: number;
  try {
    const result = await pool.query<{ version: string }>(`SELECT current_setting('server_version_num') AS version`);
    version = Number(result.rows[0]?.version);
  } catch (error) {
    return unavailable(connectionProblem(error, url));
  }
  if (!(version >= MIN_SERVER_VERSION.num)) {
    return unavailable(`the server is PostgreSQL ${Math.floor(version / 10000)}; leadrelay needs ${MIN_SERVER_VERSION.text} or newer`);
  }
  return pool;
}
