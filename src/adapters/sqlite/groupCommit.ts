import type { DeferredWrites } from './deferredWrites.ts';
import type { Db } from './openDatabase.ts';

/**
 * Group commit: calls made while the previous commit is being synced to disk run together in one
 * IMMEDIATE transaction and one fsync (the database runs synchronous=FULL), then all resolve. Each
 * call is its own savepoint, so one that throws rolls back alone and rejects alone; the others still
 * commit. The promise resolves only after the commit. Writes queued in `deferred` commit with it.
 */
export function createGroupCommit<Input, Output>(
  db: Db,
  work: (input: Input) => Output,
  /** Wraps the whole batch inside its transaction (e.g. to share state read once across the batch). */
  around: <T>(batch: () => T) => T = (batch) => batch(),
  deferred?: DeferredWrites,
): (input: Input) => Promise<Output> {
  const one = db.transaction(work);
  type Pending = { input: Input; resolve: (output: Output) => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];

  /** Set inside the transaction when deferred writes joined it; told afterwards whether they committed. */
  const joined: { settle: ((committed: boolean, error?: unknown) => void) | undefined } = { settle: undefined };
  const takeJoined = () => joined.settle;
  const runBatch = db.transaction((batch: Pending[]) => {
    const outcomes = around(() =>
      batch.map((item) => {
        try {
          return { ok: true as const, output: one(item.input) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    );
    if (deferred) joined.settle = deferred.runQueued();
    return outcomes;
  });

  const flush = () => {
    const batch = queue;
    queue = [];
    joined.settle = undefined;
    let outcomes: ReturnType<typeof runBatch>;
    try {
      outcomes = runBatch.immediate(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      takeJoined()?.(false, error);
      return;
    }
    takeJoined()?.(true);
    outcomes.forEach((outcome, i) => {
      const item = batch[i];
      if (!item) return;
      if (outcome.ok) item.resolve(outcome.output);
      else item.reject(outcome.error);
    });
  };

  return (input: Input) =>
    new Promise<Output>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ input, resolve, reject });
    });
}
