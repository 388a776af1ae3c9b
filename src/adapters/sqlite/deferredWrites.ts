import type { Db } from './openDatabase.ts';

/**
 * Writes that need not be durable at once, such as marking a delivered outbox row done: they ride
 * along in the next transaction that commits anyway (a group commit of arriving leads takes them in
 * with `runQueued`), and commit on their own after `maxDelayMs` when none comes. Under a steady flow
 * of leads, recording a card's delivery then costs no commit (and no fsync) of its own: its pages
 * are the ones the next lead's commit writes anyway.
 *
 * Each write runs in its own savepoint: one that throws rolls back and rejects alone. The promise
 * resolves after the commit. `maxDelayMs: 0` commits every write at once, in its own transaction.
 */
export function createDeferredWrites(db: Db, options: { maxDelayMs: number }) {
  type Pending = { write: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  const savepoint = db.transaction((write: () => unknown) => write());

  /** Runs the queued writes inside the caller's transaction; returns what to call once it committed (or failed). */
  const runQueued = (): ((committed: boolean, error?: unknown) => void) => {
    const batch = queue;
    queue = [];
    if (timer) clearTimeout(timer);
    timer = undefined;
    const outcomes = batch.map((item) => {
      try {
        return { ok: true as const, value: savepoint(item.write) };
      } catch (error) {
        return { ok: false as const, error };
      }
    });
    return (committed, error) =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i];
        if (!committed) item.reject(error);
        else if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome?.error);
      });
  };

  const commitAlone = () => {
    if (queue.length === 0) return;
    let settle: ((committed: boolean, error?: unknown) => void) | undefined;
    try {
      db.transaction(() => {
        settle = runQueued();
      }).immediate();
    } catch (error) {
      settle?.(false, error);
      return;
    }
    settle?.(true);
  };

  return {
    /** Queues a write; resolves with its result once committed. */
    add<T>(write: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
        if (options.maxDelayMs <= 0) commitAlone();
        else if (!timer) {
          timer = setTimeout(commitAlone, options.maxDelayMs);
          timer.unref();
        }
      });
    },

    runQueued,

    /** Commits what is queued now (at shutdown). */
    flush: commitAlone,

    /** Writes waiting for a commit. */
    get pending(): number {
      return queue.length;
    },
  };
}

export type DeferredWrites = ReturnType<typeof createDeferredWrites>;
