/**
 * The unit of work on PostgreSQL: READ COMMITTED transactions, each on a client of its own from the
 * pool, so this instance's transactions proceed side by side, as do those of the other instances on
 * the same database. What SQLite gets from its one writer, this gets from the database:
 * compare-and-set UPDATEs (a row lock, then the row re-read), advisory transaction locks for
 * dedupe and round-robin, `FOR UPDATE SKIP LOCKED` for due work, unique indexes.
 *
 * Group commit, as on SQLite: works given to `run` (or `soon`) in the same turn of the event loop
 * run together, one after the other, in ONE transaction (one commit for a burst), so works started
 * together take effect in the order they were started, and each sees the ones before it. Batches
 * of different turns run concurrently.
 *
 * A work that loses a race the database reports as an error makes its batch run again, whole, in a
 * new transaction (a work writes only through its tx and acts only in after-commit hooks, so running
 * it again is safe): a deadlock or serialization failure, or a unique violation (a concurrent
 * transaction inserted the same key first, e.g. two instances recording the same Idempotency-Key;
 * run again, the work finds that row and answers as a replay). A work that throws anything else is
 * rejected alone; the others of its batch run again without it.
 *
 * `read` is a REPEATABLE READ, READ ONLY transaction: all its queries see one moment of the database.
 */
import type { ReadTx, Tx, UnitOfWork } from '../../app/ports.ts';
import { TxBase } from '../../app/txBase.ts';
import { runWorksInOrder, settleWorks, type QueuedWork, type WorkOutcome } from '../../app/worksInOrder.ts';
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
    shared: Map<symbol, unknown>,
  ) {
    super(repositories, shared);
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

/** A work of a batch threw: which, and what. */
class WorkFailed extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super('a work of the batch failed');
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

  /**
   * One transaction for `items`. A work that throws rolls it back; when it lost a race the database
   * reported, the whole batch runs again (up to maxAttempts); otherwise it is rejected alone and the
   * others run again without it.
   */
  const commitBatch = async (items: QueuedWork[]): Promise<void> => {
    let remaining = items;
    let tries = 1;
    while (remaining.length > 0) {
      const batch = remaining;
      let outcomes: WorkOutcome[];
      try {
        outcomes = await transact('BEGIN ISOLATION LEVEL READ COMMITTED', async (client) => {
          const result = await runWorksInOrder(batch, (shared) => new PostgresTx(repositoriesOf(client), client, shared));
          if ('failed' in result) throw new WorkFailed(result.failed, result.error);
          return result.outcomes;
        });
      } catch (error) {
        const cause = error instanceof WorkFailed ? error.error : error;
        if (isRetriedRace(cause) && tries < maxAttempts) {
          tries += 1;
          continue;
        }
        if (!(error instanceof WorkFailed)) {
          for (const item of batch) item.reject(error);
          return;
        }
        batch[error.index]?.reject(error.error);
        remaining = batch.filter((_, i) => i !== error.index);
        continue;
      }
      return settleWorks(batch, outcomes, options.onHookError);
    }
  };

  let queue: QueuedWork[] = [];
  let scheduled = false;
  /** The batches not yet settled (what `flush` waits for). */
  const inFlight = new Set<Promise<void>>();

  const enqueue = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = commitBatch(queue);
        queue = [];
        inFlight.add(batch);
        void batch.finally(() => inFlight.delete(batch));
      });
    });

  return {
    run: enqueue,
    read: (work) => transact('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', (client) => work(repositoriesOf(client))),
    // Rides along with the works of the same turn; on PostgreSQL a commit does not hold other writers back, so nothing waits for more.
    soon: enqueue,
    async flush() {
      while (queue.length > 0 || inFlight.size > 0) {
        if (queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        else await Promise.all([...inFlight]);
      }
    },
  };
}
