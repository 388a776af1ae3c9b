/**
 * The unit of work on PostgreSQL: each `run` is one READ COMMITTED transaction on a client of its
 * own from the pool, so works of this instance proceed side by side, as do those of the other
 * instances on the same database. What SQLite gets from its one writer, this gets from the
 * database: compare-and-set UPDATEs (a row lock, then the row re-read), advisory transaction
 * locks for dedupe and round-robin, `FOR UPDATE SKIP LOCKED` for due work, unique indexes.
 *
 * A work that loses such a race in a way the database reports as an error is run again, whole, in
 * a new transaction (a work writes only through its tx and acts only in after-commit hooks, so
 * running it again is safe): a deadlock or serialization failure, or a unique violation (a
 * concurrent transaction inserted the same key first, e.g. two instances recording the same
 * Idempotency-Key; run again, the work finds that row and answers as a replay).
 *
 * `read` is a REPEATABLE READ, READ ONLY transaction: all its queries see one moment of the database.
 */
import type { ReadTx, Tx, UnitOfWork } from '../../app/ports.ts';
import { TxBase } from '../../app/txBase.ts';
import type { PgPool, PgQueryable } from './connectPostgres.ts';

export interface PostgresUnitOfWorkOptions {
  /** Told when an after-commit hook throws (the commit stands, the other hooks still run). */
  onHookError?: (error: unknown) => void;
  /** Told about a transaction that stayed open longer than `slowTransactionMs` (default 1 s): a work awaited something other than the tx. */
  onSlowTransaction?: (openMs: number) => void;
  slowTransactionMs?: number;
  /** How many times a work is tried when its transaction loses a race the database reports as an error (default 5). */
  maxAttempts?: number;
}

/** The SQLSTATEs a work is run again for: serialization_failure, deadlock_detected, unique_violation. */
const RETRIED = new Set(['40001', '40P01', '23505']);

/** Whether an error is one of the races that running the whole work again settles. */
export function isRetriedRace(error: unknown): boolean {
  return RETRIED.has((error as { code?: unknown } | null)?.code as string);
}

type Client = PgQueryable & { release(destroy?: Error | boolean): void };

/** A transaction on one client: savepoints are SQL's own (nested ones share a name: the newest is the one released or rolled back to). */
class PostgresTx extends TxBase {
  constructor(
    repositories: ReadTx,
    private readonly client: PgQueryable,
  ) {
    super(repositories);
  }

  protected async beginSavepoint(): Promise<void> {
    await this.client.query('SAVEPOINT leadrelay');
  }

  protected async releaseSavepoint(): Promise<void> {
    await this.client.query('RELEASE SAVEPOINT leadrelay');
  }

  protected async rollBackSavepoint(): Promise<void> {
    await this.client.query('ROLLBACK TO SAVEPOINT leadrelay');
    await this.client.query('RELEASE SAVEPOINT leadrelay');
  }
}

/** The transaction ended in ROLLBACK although COMMIT was asked: a statement of the work failed and the work went on without rethrowing. */
export class TransactionAborted extends Error {
  override readonly name = 'TransactionAborted';
}

/**
 * `repositoriesOf` builds the repositories on a transaction's client (once per transaction: they
 * are factories over what runs the queries).
 */
export function postgresUnitOfWork(pool: PgPool, repositoriesOf: (q: PgQueryable) => ReadTx, options: PostgresUnitOfWorkOptions = {}): UnitOfWork {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const slowMs = options.slowTransactionMs ?? 1000;

  /** One transaction: BEGIN, the work, COMMIT; the client goes back to the pool (destroyed when it may be broken). */
  const transact = async <T>(begin: string, work: (client: PgQueryable) => Promise<T>): Promise<T> => {
    const client = (await pool.connect()) as Client;
    const openedAt = Date.now();
    let broken: Error | undefined;
    try {
      await client.query(begin).catch((error: Error) => {
        // Not even BEGIN went through: the connection may be gone, it does not go back to the pool.
        broken = error;
        throw error;
      });
      try {
        const value = await work(client);
        const commit = await client.query('COMMIT');
        // A statement that failed in a work that swallowed its error leaves the transaction aborted: COMMIT then rolls back.
        if ((commit as { command?: string }).command === 'ROLLBACK') throw new TransactionAborted('the transaction was rolled back: a statement in it failed and the work went on');
        return value;
      } catch (error) {
        // A ROLLBACK that fails leaves the connection in doubt: it does not go back to the pool.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } finally {
      client.release(broken);
      const openMs = Date.now() - openedAt;
      if (openMs > slowMs) options.onSlowTransaction?.(openMs);
    }
  };

  const run = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    for (let tries = 1; ; tries += 1) {
      let tx: PostgresTx | undefined;
      let value: T;
      try {
        value = await transact('BEGIN ISOLATION LEVEL READ COMMITTED', (client) => work((tx = new PostgresTx(repositoriesOf(client), client))));
      } catch (error) {
        if (tries >= maxAttempts || !isRetriedRace(error)) throw error;
        continue;
      }
      for (const hook of (tx as PostgresTx).hooks) {
        try {
          hook();
        } catch (error) {
          options.onHookError?.(error);
        }
      }
      return value;
    }
  };

  /** The `soon` writes not yet committed. */
  const pending = new Set<Promise<unknown>>();

  return {
    run,
    read: (work) => transact('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', (client) => work(repositoriesOf(client))),
    // Each commits on its own, at once: on PostgreSQL a commit does not hold other writers back.
    soon(work) {
      const write = run(work);
      const settled = write.then(
        () => undefined,
        () => undefined,
      );
      pending.add(settled);
      void settled.then(() => pending.delete(settled));
      return write;
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
