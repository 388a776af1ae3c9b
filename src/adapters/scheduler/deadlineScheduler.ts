/**
 * What happens at a deadline, in one place: a precise timer at the next pending offer's deadline
 * (so an offer expires within milliseconds of it, not up to a second late), the every-second
 * sweep's deadline job (deadlines live in the database: a restart, a clock jump or another
 * instance's offers are caught by it), batching (one transaction per batch of offers, yielding to
 * the event loop between batches), and the outbox hold during a burst (the cards the burst causes
 * wait until it is done, so they do not slow it down). The deadlines themselves are the domain's
 * (src/domain/offers/deadlines.ts); expiring an offer is the offer lifecycle's.
 */
import type { OfferLifecycle } from '../../app/offerLifecycle.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../logger.ts';
import type { OutboxWorker } from '../outbox/outboxWorker.ts';
import type { ScheduledJob } from './startScheduler.ts';

/** Offers expired per transaction. */
export const EXPIRY_BATCH = 1000;

/** The longest the precise timer waits: the sweep catches anything it would miss beyond that. */
const MAX_TIMER_MS = 60_000;

export function createDeadlineScheduler(deps: {
  lifecycle: Pick<OfferLifecycle, 'expireBatch' | 'nextDeadlineAt'>;
  worker: Pick<OutboxWorker, 'holdUntil'>;
  clock: Clock;
  logger: Logger;
}) {
  const { lifecycle, worker, clock, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  /** The run of due expiries under way: the timer and the sweep join it rather than start a second one. */
  let expiring: Promise<number> | undefined;

  /**
   * Expires every offer past its deadline, a batch of `batchSize` at a time, each batch in one
   * transaction; how many moved on. With `yieldBetweenBatches` the event loop runs between batches,
   * so a burst (thousands at once) never keeps Slack's interactions (acked within 3 s), intake or
   * /healthz waiting for the whole burst.
   */
  const expireDue = async (options: { yieldBetweenBatches?: boolean; batchSize?: number } = {}): Promise<number> => {
    let expired = 0;
    for (;;) {
      const progress = await lifecycle.expireBatch(options.batchSize ?? EXPIRY_BATCH);
      expired += progress;
      if (progress === 0) return expired;
      if (options.yieldBetweenBatches) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  /** What the timers run: one run at a time, yielding between batches, the outbox held until it is done. */
  const expireSoon = (): Promise<number> => {
    if (expiring) return expiring;
    const run = expireDue({ yieldBetweenBatches: true }).finally(() => {
      expiring = undefined;
    });
    expiring = run;
    worker.holdUntil(run);
    return run;
  };

  /** Arms the precise timer at the next deadline. */
  const arm = async (): Promise<void> => {
    if (!running) return;
    const next = await lifecycle.nextDeadlineAt();
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (next === null) return;
    timer = setTimeout(() => {
      void expireSoon()
        .catch((error: unknown) => logger.error({ err: error }, 'expiring offers failed'))
        .finally(() => void arm());
    }, Math.min(Math.max(0, next - clock.now()), MAX_TIMER_MS));
    timer.unref();
  };

  /** The every-second sweep's job: expires what is due, then re-arms the timer (new offers may have come due sooner). */
  const job: ScheduledJob = {
    name: 'deadlines',
    run: async () => {
      try {
        await expireSoon();
      } finally {
        await arm();
      }
    },
  };

  return {
    expireDue,
    job,
    /** Starts the precise timer (the sweep is started with the other jobs). */
    async start(): Promise<void> {
      running = true;
      await arm();
    },
    /**
     * Arms the timer again at the next deadline, now: another instance wrote an offer whose deadline
     * may come before the one the timer waits for (the sweep would catch it within a second).
     */
    rearm(): void {
      void arm().catch((error: unknown) => logger.error({ err: error }, 'arming the deadline timer failed'));
    },
    /** Stops the timer; a run of expiries under way finishes. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      await expiring?.catch(() => 0);
    },
  };
}

export type DeadlineScheduler = ReturnType<typeof createDeadlineScheduler>;
