/**
 * The unit of work on SQLite: one writer, one connection, one transaction open at a time.
 *
 * Group commit: works given to `run` in the same turn of the event loop are queued and run together
 * in ONE `BEGIN IMMEDIATE` … `COMMIT` (one fsync: the database runs synchronous=FULL), one after the
 * other; one that throws is rolled back and rejected alone (the others run again without it, see
 * `transact`). A work's
 * repository calls run their prepared statements synchronously and resolve at once, so a whole batch
 * runs within one macrotask: nothing else on the connection ever sees a transaction half done. The
 * promises resolve after the commit, each after its work's after-commit hooks ran.
 *
 * `soon` is for writes that need not be durable at once (a delivered outbox row): they ride along
 * with the next batch (their pages are the ones the next lead's commit writes anyway, so under a
 * steady flow of leads a card's delivery costs no fsync of its own), or commit alone after
 * `soonMaxDelayMs`.
 *
 * IMMEDIATE takes the write lock before the first read, so another process cannot write between a
 * work's duplicate check and its insert (and `lockDedupeKeys` / `lockForDecision` have nothing to do).
 */
import type { ReadTx, Tx, UnitOfWork } from '../../app/ports.ts';
import { TxBase } from '../../app/txBase.ts';
import { runWorksInOrder, settleWorks, type QueuedWork, type WorkOutcome } from '../../app/worksInOrder.ts';
import type { Db } from './openDatabase.ts';
import type { RoutingCache } from './sqliteRoutingCache.ts';

/** The repositories of the connection, shared by every transaction on it. */
export type SqliteRepositories = ReadTx;

export interface SqliteUnitOfWorkOptions {
  /** How long a `soon` write waits for a batch to ride along with before it commits alone; 0: at once. Default 20 ms. */
  soonMaxDelayMs?: number;
  /** Told when an after-commit hook throws (the commit stands, the other hooks still run). */
  onHookError?: (error: unknown) => void;
  /** Told about a transaction that stayed open longer than `slowTransactionMs` (default 1 s): a work awaited something other than the tx. */
  onSlowTransaction?: (openMs: number) => void;
  slowTransactionMs?: number;
  /** The repositories' routing cache: told when a transaction begins, commits or rolls back (a savepoint too). */
  routingCache?: Pick<RoutingCache, 'began' | 'committed' | 'rolledBack'>;
}

type Statements = Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', { run(): unknown }>;

/** A transaction on the connection: savepoints are SQLite's own (nested ones share a name: a stack). */
class SqliteTx extends TxBase {
  constructor(
    repositories: SqliteRepositories,
    shared: Map<symbol, unknown>,
    private readonly sql: Statements,
    private readonly cache: SqliteUnitOfWorkOptions['routingCache'],
  ) {
    super(repositories, shared);
  }

  protected beginSavepoint(): void {
    this.sql.savepoint.run();
  }

  protected releaseSavepoint(): void {
    this.sql.release.run();
  }

  protected rollBackSavepoint(): void {
    this.sql.rollbackTo.run();
    this.sql.release.run();
    this.cache?.rolledBack(false);
  }
}

type Queued = QueuedWork;

export function sqliteUnitOfWork(db: Db, repositories: SqliteRepositories, options: SqliteUnitOfWorkOptions = {}): UnitOfWork {
  const sql: Statements = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT leadrelay'),
    release: db.prepare('RELEASE leadrelay'),
    rollbackTo: db.prepare('ROLLBACK TO leadrelay'),
  };
  const soonMaxDelayMs = options.soonMaxDelayMs ?? 20;
  const slowMs = options.slowTransactionMs ?? 1000;
  let queue: Queued[] = [];
  let riders: Queued[] = [];
  let scheduled = false;
  let riderTimer: NodeJS.Timeout | undefined;
  /** Set while a batch's transaction is open: reads wait for it, so they only ever see committed state. */
  let open: Promise<void> | undefined;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void commitBatch());
  };

  /**
   * The works run one after the other in the open transaction (runWorksInOrder). No savepoint
   * around each work: SQLite truncates its statement journal only when the outermost savepoint
   * ends, so a savepoint around a work would make every savepoint inside it — one per command of a
   * batch of 1,000 expiries — journal its pages again.
   */
  const runAll = (items: Queued[]) => runWorksInOrder(items, (shared) => new SqliteTx(repositories, shared, sql, options.routingCache));
  const settle = (items: Queued[], outcomes: WorkOutcome[]) => settleWorks(items, outcomes, options.onHookError);

  /**
   * One transaction for `items`. A work that throws rolls the transaction back and is rejected
   * alone: the others run again, without it, in a new transaction (a work writes only through its
   * tx and acts only in after-commit hooks, so running it again is safe). Resolves what committed.
   */
  const transact = async (items: Queued[]): Promise<void> => {
    let remaining = items;
    while (remaining.length > 0) {
      let result: Awaited<ReturnType<typeof runAll>>;
      const cache = options.routingCache;
      try {
        sql.begin.run();
        cache?.began();
        result = await runAll(remaining);
        if ('outcomes' in result) {
          sql.commit.run();
          cache?.committed();
        } else {
          sql.rollback.run();
          cache?.rolledBack(true);
        }
      } catch (error) {
        if (db.inTransaction) sql.rollback.run();
        cache?.rolledBack(true);
        for (const item of remaining) item.reject(error);
        return;
      }
      if ('outcomes' in result) return settle(remaining, result.outcomes);
      remaining[result.failed]?.reject(result.error);
      remaining = remaining.filter((_, i) => i !== result.failed);
    }
  };

  const commitBatch = async (): Promise<void> => {
    scheduled = false;
    if (open) return; // the batch in progress schedules the next one when it ends
    const items = [...queue, ...riders];
    queue = [];
    riders = [];
    if (riderTimer) clearTimeout(riderTimer);
    riderTimer = undefined;
    if (items.length === 0) return;
    let done: () => void = () => undefined;
    open = new Promise<void>((resolve) => (done = resolve));
    const openedAt = Date.now();
    try {
      await transact(items);
    } finally {
      open = undefined;
      done();
    }
    const openMs = Date.now() - openedAt;
    if (openMs > slowMs) options.onSlowTransaction?.(openMs);
    if (queue.length > 0) schedule();
    else if (riders.length > 0) armRiders();
  };

  const armRiders = () => {
    if (scheduled || riderTimer) return;
    if (soonMaxDelayMs <= 0) return schedule();
    riderTimer = setTimeout(() => {
      riderTimer = undefined;
      schedule();
    }, soonMaxDelayMs);
    riderTimer.unref();
  };

  const enqueue = <T>(into: 'run' | 'soon', work: (tx: Tx) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const item: Queued = { work, resolve: resolve as (value: unknown) => void, reject };
      if (into === 'run') {
        queue.push(item);
        schedule();
      } else {
        riders.push(item);
        armRiders();
      }
    });

  return {
    run: (work) => enqueue('run', work),
    soon: (work) => enqueue('soon', work),
    async read(work) {
      while (open) await open;
      return work(repositories);
    },
    async flush() {
      if (riders.length > 0) await enqueue('run', async () => undefined);
    },
  };
}
