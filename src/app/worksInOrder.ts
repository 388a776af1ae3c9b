import type { TxBase } from './txBase.ts';
import type { Tx } from './ports.ts';

/**
 * Group commit, the part every store shares: works given to `run` together are run one after the
 * other in ONE transaction, each with a tx of its own that shares the transaction's scratch memory,
 * and once it committed each work's hooks run and its promise resolves, in the order given. A
 * store supplies the transaction (begin, commit, rollback) and what to do when a work throws.
 */
export interface QueuedWork {
  work: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface WorkOutcome {
  value: unknown;
  hooks: (() => void)[];
}

/**
 * Runs the works one after the other in the open transaction (`txFor` makes each one's tx on the
 * shared scratch memory); stops at the first that throws and says which.
 */
export async function runWorksInOrder(
  items: readonly QueuedWork[],
  txFor: (shared: Map<symbol, unknown>) => TxBase,
): Promise<{ outcomes: WorkOutcome[] } | { failed: number; error: unknown }> {
  const shared = new Map<symbol, unknown>();
  const outcomes: WorkOutcome[] = [];
  for (const [i, item] of items.entries()) {
    const tx = txFor(shared);
    try {
      outcomes.push({ value: await item.work(tx), hooks: tx.hooks });
    } catch (error) {
      return { failed: i, error };
    }
  }
  return { outcomes };
}

/** After the commit: each work's after-commit hooks in order (one that throws is told, the rest still run), then its promise resolved. */
export function settleWorks(items: readonly QueuedWork[], outcomes: readonly WorkOutcome[], onHookError?: (error: unknown) => void): void {
  items.forEach((item, i) => {
    const outcome = outcomes[i] as WorkOutcome;
    for (const hook of outcome.hooks) {
      try {
        hook();
      } catch (error) {
        onHookError?.(error);
      }
    }
    item.resolve(outcome.value);
  });
}
