import type { Db } from './openDatabase.ts';

/**
 * Group commit: calls made while the previous commit is being synced to disk run together in one
 * IMMEDIATE transaction and one fsync (the database runs synchronous=FULL), then all resolve. Each
 * call is its own savepoint, so one that throws rolls back alone and rejects alone; the others still
 * commit. The promise resolves only after the commit.
 */
export function createGroupCommit<Input, Output>(
  db: Db,
  work: (input: Input) => Output,
  /** Wraps the whole batch inside its transaction (e.g. to share state read once across the batch). */
  around: <T>(batch: () => T) => T = (batch) => batch(),
): (input: Input) => Promise<Output> {
  const one = db.transaction(work);
  type Pending = { input: Input; resolve: (output: Output) => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];

  const runBatch = db.transaction((batch: Pending[]) =>
    around(() =>
      batch.map((item) => {
        try {
          return { ok: true as const, output: one(item.input) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    ),
  );

  const flush = () => {
    const batch = queue;
    queue = [];
    let outcomes: ReturnType<typeof runBatch>;
    try {
      outcomes = runBatch.immediate(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
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
