import type { EventBus } from '../../app/events.ts';
import { PRIORITY, type OutboxRow, type Priority, type Store, type Tx } from '../../app/ports.ts';
import type { Clock } from '../../domain/clock.ts';
import { effectLabel } from '../../domain/effects.ts';
import { deliveryTicket } from './deliveryTicket.ts';
import type { Logger } from '../logger.ts';
import type { OutboxLeases } from '../storeBackend.ts';

/**
 * What one delivery attempt did. `commit` records what it learned (a card's ts, a use of a
 * response_url) in the same transaction that records the outcome.
 */
export type DeliveryOutcome = (
  | { ok: true; result?: unknown }
  /** Not attempted: pacing asks to wait (not a failure, no attempt counted). */
  | { ok: false; deferMs: number }
  | { ok: false; retryable: true; error: string; retryAfterMs?: number }
  | { ok: false; retryable: false; error: string }
) & { commit?: (tx: Tx) => Promise<void> };

/** Performs one outbox row's effect. Must not throw for expected failures: it says whether a retry can help. */
export type Deliverer = (row: OutboxRow) => Promise<DeliveryOutcome>;

/** What became of one attempt, as recorded: delivered, postponed by pacing, to be retried, or given up on. */
export type Settlement = { result: 'done' } | { result: 'deferred' } | { result: 'retry'; error: string } | { result: 'failed'; error: string };

export interface OutboxWorkerOptions {
  /** The unit of work records outcomes (`soon`: they ride along with the next commit); the queue hands out due rows. */
  store: Pick<Store, 'uow' | 'outboxQueue'>;
  deliver: Deliverer;
  clock: Clock;
  logger: Logger;
  /** Where the worker tells that it gave up on an effect (`deliveryFailed`): the use cases record it and act on it. */
  events?: EventBus;
  /** This instance's name, for the rows it claims (several instances on PostgreSQL); default `local`. */
  instance?: string;
  /**
   * Whether this instance may deliver now (it holds the instance lease); checked before every chunk,
   * so that an instance that lost the lease stops before another one starts. Default: always.
   */
  mayDeliver?: () => boolean;
  /**
   * The leases of the rows this instance claims (several instances): renewed while the rows are in
   * flight, handed back at a clean stop. Absent (SQLite, one writer): claims last a minute, unrenewed.
   */
  leases?: OutboxLeases;
  /** Told (after commit) what became of every attempt: for the metrics. */
  onSettled?: (row: OutboxRow, settlement: Settlement) => void;
  /** Effects of different leads delivered at once. */
  concurrency?: number;
  /** A retryable effect is given up on this long after it was created. */
  giveUpAfterMs?: number;
}

/** 1 s, 2 s, 4 s … capped at 5 minutes. */
export function backoffMs(failures: number): number {
  return Math.min(1000 * 2 ** Math.max(0, failures - 1), 5 * 60_000);
}

/**
 * Delivers outbox rows after commit: in order per lead (the store hands out only a lead's oldest
 * pending row), different leads in parallel, retrying with backoff that honours Retry-After, giving
 * up on permanent errors (recorded through `onFailed`). `drain()` delivers everything due now and is
 * what tests call with a fake clock; `start()` runs it on wake-ups and timers in production.
 */
export function createOutboxWorker(options: OutboxWorkerOptions) {
  const { store, deliver, clock, logger } = options;
  const { uow, outboxQueue } = store;
  const instance = options.instance ?? 'local';
  const concurrency = options.concurrency ?? 8;
  const giveUpAfterMs = options.giveUpAfterMs ?? 24 * 60 * 60_000;
  const inFlight = new Set<number>();
  /**
   * Claims are numbered as they start, and so are the releases of rows once their outcome is
   * recorded: a claim that started before a row's record committed may come back after it with the
   * row (the database answered the claim first, the record's commit reached this process first), and
   * must not deliver it again. `settledAt` keeps, while any claim is running, when each row was
   * released.
   */
  let sequence = 0;
  const claimsRunning = new Set<number>();
  const settledAt = new Map<number, number>();
  /** The last claim came back with rows recorded while it ran. */
  let staleClaim = false;
  /** The last claim came back with as many rows as it asked for: more may be due. */
  let fullClaim = false;
  /**
   * The time of the last claim: every row due by then that could go was taken (or is in flight, or
   * waits behind an earlier row of its lane, and goes when that one is recorded). The timer looks
   * only for rows due after it, so it never spins on rows the worker cannot take.
   */
  let claimedUpTo = Number.MIN_SAFE_INTEGER;
  const leaseMs = options.leases?.leaseMs ?? 60_000;
  /**
   * Chunks claimed per query. One writer claims four (one query for several chunks); with several
   * instances a claimed row is kept from the others until delivered, so an instance claims only the
   * chunk it delivers now: the rest stays free for the other instances, and a dead instance's rows,
   * once its leases lapse, are picked up at the next chunk rather than after four.
   */
  const claimAhead = options.leases ? 1 : 4;
  /** Rows claimed and not yet recorded (delivered or waiting for their chunk): their leases are renewed. */
  const claimed = new Set<number>();
  let renewTimer: NodeJS.Timeout | undefined;
  let draining: Promise<number> | undefined;
  /** While set, no new chunk starts (see holdUntil). */
  let held: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopping = false;
  let wakeScheduled = false;

  /** How a row is named in the log: its id, lead and effect type (never its payload). */
  const described = (row: OutboxRow) => ({ outbox: row.id, lead: row.leadId === null ? undefined : `L-${row.leadId}`, method: effectLabel(row.effect) });

  /** Records a delivery's outcome (inside the caller's transaction). */
  const settle = async (tx: Tx, row: OutboxRow, outcome: DeliveryOutcome, now: number): Promise<Settlement> => {
    await outcome.commit?.(tx);
    if (outcome.ok) {
      // An update that a newer change joined during its delivery stays pending and goes again.
      await tx.outbox.markDone(row, outcome.result, now);
      return { result: 'done' };
    }
    if ('deferMs' in outcome) {
      await tx.outbox.defer(row.id, now + outcome.deferMs);
      return { result: 'deferred' };
    }
    const failures = row.attempts + 1;
    if (outcome.retryable && now - row.createdAt < giveUpAfterMs) {
      const wait = Math.max(outcome.retryAfterMs ?? 0, backoffMs(failures));
      await tx.outbox.markRetry(row.id, outcome.error, now + wait);
      logger.warn({ ...described(row), error: outcome.error, retryInMs: wait }, 'delivery failed, will retry');
      return { result: 'retry', error: outcome.error };
    }
    await tx.outbox.markFailed(row.id, outcome.error, now);
    logger.error({ ...described(row), error: outcome.error }, 'delivery given up');
    return { result: 'failed', error: outcome.error };
  };

  const attemptDelivery = async (row: OutboxRow): Promise<DeliveryOutcome> => {
    try {
      return await deliveryTicket.run(row.id, () => deliver(row));
    } catch (error) {
      return { ok: false, retryable: true, error: (error as Error).message };
    }
  };

  /** Tells what became of each row, once its outcome is committed; resolves once what a failure causes (the next rep's offer) is done. */
  const reportSettled = async (rows: OutboxRow[], settled: Settlement[]) => {
    const failures: Promise<void>[] = [];
    rows.forEach((row, i) => {
      const settlement = settled[i] as Settlement;
      options.onSettled?.(row, settlement);
      if (settlement.result === 'failed' && options.events) failures.push(options.events.publish({ type: 'deliveryFailed', leadId: row.leadId, effect: row.effect, error: settlement.error }));
    });
    await Promise.all(failures);
  };

  /** Outcomes waiting for a deferred commit. */
  const recording = new Set<Promise<unknown>>();

  /** Delivers a chunk in parallel, then records all outcomes in one transaction (one fsync, not one per row). */
  const deliverChunk = async (rows: OutboxRow[]) => {
    for (const row of rows) inFlight.add(row.id);
    const release = () => {
      for (const row of rows) {
        inFlight.delete(row.id);
        claimed.delete(row.id);
        if (claimsRunning.size > 0) settledAt.set(row.id, ++sequence);
      }
    };
    try {
      const outcomes = await Promise.all(rows.map(attemptDelivery));
      const now = clock.now();
      // Recorded with the next commit that happens anyway (an arriving lead's), or on their own soon
      // after: until then the rows stay pending (a lead's next effect waits) and are not delivered again.
      const leadIds = [...new Set(rows.flatMap((row) => (row.leadId === null ? [] : [row.leadId])))];
      /** Whether a row of these leads is still pending once they are recorded: one that waited behind them may be due. */
      let leadsPending = true;
      const recorded: Promise<void> = uow
        .soon(async (tx) => {
          const settled: Settlement[] = [];
          for (const [i, row] of rows.entries()) settled.push(await settle(tx, row, outcomes[i] as DeliveryOutcome, now));
          leadsPending = await tx.outbox.hasPendingOfLeads(leadIds);
          return settled;
        })
        .then(
          (settled) => {
            release();
            return reportSettled(rows, settled);
          },
          (error: unknown) => {
            // Not recorded: the rows stay pending and are looked up before being sent again.
            leadsPending = true;
            release();
            logger.error({ err: error, outbox: rows.map((row) => row.id) }, 'recording deliveries failed');
          },
        )
        .finally(() => {
          recording.delete(recorded);
          if (!running) return;
          // The leads' next effects may be due now: claim again. Else nothing waited behind these
          // rows, and only the timer may need to move (a row deferred or retried comes due later).
          if (leadsPending) setImmediate(() => void drain());
          else if (!draining) schedule();
        });
      recording.add(recorded);
    } catch (error) {
      release();
      throw error;
    }
  };

  /**
   * Due rows, claimed for this instance: for `leaseMs`, renewed while they are in flight (several
   * instances); a minute otherwise, far longer than a delivery takes. Claimed rows that a chunk does
   * not take now (their lead's earlier row is in flight, or this instance stops) keep their lease
   * until it lapses or the stop hands it back.
   */
  const claim = async (limit: number, maxPriority: Priority = PRIORITY.background): Promise<OutboxRow[]> => {
    const started = ++sequence;
    claimsRunning.add(started);
    let rows: OutboxRow[];
    const now = clock.now();
    try {
      rows = await outboxQueue.claimDue({ now, limit, maxPriority, instance, leaseMs });
    } finally {
      claimsRunning.delete(started);
    }
    // A claim of what people wait for only (a burst holds the rest) leaves other rows due.
    if (maxPriority >= PRIORITY.background) claimedUpTo = now;
    fullClaim = rows.length >= limit;
    // Rows this instance is delivering (read again: SQLite ignores leases, PostgreSQL hands an
    // instance its own), and rows whose outcome was recorded after this claim started, are not new.
    const fresh = rows.filter((row) => !inFlight.has(row.id) && !((settledAt.get(row.id) ?? 0) > started));
    // A row recorded meanwhile may be due again (an update a newer change joined): claim again.
    staleClaim = rows.some((row) => (settledAt.get(row.id) ?? 0) > started);
    if (claimsRunning.size === 0) settledAt.clear();
    for (const row of fresh) claimed.add(row.id);
    return fresh;
  };

  /** Extends the leases of the rows this instance holds (all of them: one statement), while it holds any. */
  const renewLeases = async () => {
    const leases = options.leases;
    if (!leases || claimed.size === 0) return;
    try {
      await leases.renew(clock.now());
    } catch (error) {
      logger.warn({ err: error, event: 'outbox.lease_renew_failed', instance }, 'renewing the outbox leases failed; retrying');
    }
  };

  /** Resolves at the next wake() (new effects committed). */
  let woken: { promise: Promise<void>; resolve: () => void } | undefined;
  const nextWake = () => {
    if (!woken) {
      let resolve = () => undefined as void;
      const promise = new Promise<void>((r) => (resolve = r));
      woken = { promise, resolve };
    }
    return woken.promise;
  };

  const drainOnce = async (): Promise<number> => {
    let delivered = 0;
    for (;;) {
      // Shutting down: finish the chunk in flight, leave the rest in the outbox for the next start.
      if (stopping) return delivered;
      // Not (or no longer) the instance that holds the lease: deliver nothing (and look again at the next due time, or in a second).
      if (options.mayDeliver && !options.mayDeliver()) {
        claimedUpTo = clock.now();
        return delivered;
      }
      // Held (a burst of expiries is being processed): only what a person is waiting for goes (the
      // answer to a click); the rest waits until the burst is done.
      if (held !== undefined) {
        const waiting = await claim(concurrency, PRIORITY.waiting);
        if (waiting.length === 0 && staleClaim) continue;
        if (waiting.length === 0) {
          await Promise.race([held, nextWake()]);
          continue;
        }
        await deliverChunk(waiting);
        delivered += waiting.length;
        continue;
      }
      // Rows delivered but not yet recorded (their outcome waits for the next commit) are still
      // pending in the database, so a query now would read them again: once a few chunks' worth are
      // waiting, record them first. Without this, fast outcomes (a pacing deferral takes no I/O)
      // piled up by the thousand and every query read them all again.
      if (inFlight.size >= concurrency * 4 && recording.size > 0) {
        await uow.flush();
        await Promise.all(recording);
        continue;
      }
      const rows = await claim(concurrency * claimAhead + inFlight.size);
      if (rows.length === 0 && staleClaim) continue;
      if (rows.length === 0) return delivered;
      const more = fullClaim || staleClaim;
      for (let i = 0; i < rows.length && !stopping; i += concurrency) {
        const chunk = rows.slice(i, i + concurrency);
        await deliverChunk(chunk);
        delivered += chunk.length;
      }
      // The claim took every row due that could go: another now would read only the rows in flight.
      // What comes due next is told (a commit's wake, a recorded delivery) or timed (schedule).
      if (!more) return delivered;
    }
  };

  /** Delivers every effect that is due now, including effects that become due as earlier ones of the same lead finish. */
  const drain = async (): Promise<number> => {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      let total = 0;
      do {
        again = false;
        total += await drainOnce();
        // Called directly (no timers running, as tests with a fake clock do): what was delivered is
        // recorded before returning, and the leads' effects it unblocked are delivered too.
        if (!running && recording.size > 0) {
          await uow.flush();
          await Promise.all(recording);
          again = true;
        }
      } while (again);
      return total;
    })();
    try {
      return await draining;
    } finally {
      draining = undefined;
      schedule();
    }
  };

  /**
   * Arms a timer for the next row due after the last claim (at most a second away, so rows written
   * by other processes are seen). Rows due by then that the claim left are in flight or wait behind
   * their lane's earlier row: recording a delivery drains again, the timer need not.
   */
  function schedule() {
    // A wake-up is on its way (new rows committed): its drain ends by arming the timer. Arming it
    // now would find those rows due and drain a second time for them.
    if (!running || wakeScheduled) return;
    if (timer) clearTimeout(timer);
    void outboxQueue.nextDueAt(claimedUpTo).then((next) => {
      if (!running) return;
      if (timer) clearTimeout(timer);
      const wait = next === null ? 1000 : Math.min(1000, Math.max(0, next - clock.now()));
      timer = setTimeout(() => void drain(), wait);
      timer.unref();
    });
  }

  return {
    drain,
    /** Call after committing new effects. Deferred, so a caller still inside a transaction never has its rows delivered before they commit. */
    wake() {
      if (!running || wakeScheduled) return;
      // One wake-up per turn of the event loop, however many commits asked for it (a batch of 1,000
      // expiries asks 2,000 times).
      wakeScheduled = true;
      setImmediate(() => {
        wakeScheduled = false;
        const wakeUp = woken;
        woken = undefined;
        wakeUp?.resolve();
        void drain();
      });
    },

    /**
     * Starts no new deliveries until `work` settles (chunks in flight finish), then carries on. For
     * bursts that yield to the event loop so that requests are answered: the outbox's own work then
     * waits rather than slowing the burst down.
     */
    holdUntil(work: Promise<unknown>): void {
      const hold: Promise<void> = work.then(
        () => undefined,
        () => undefined,
      );
      held = hold;
      void hold.then(() => {
        if (held === hold) held = undefined;
      });
    },
    start() {
      running = true;
      if (options.leases) {
        // Three renewals per lease: one that fails or comes late still keeps the rows.
        renewTimer = setInterval(() => void renewLeases(), Math.max(100, Math.floor(leaseMs / 3)));
        renewTimer.unref();
      }
      void drain();
    },
    /**
     * Stops the timers and waits for the deliveries in flight (not for the whole outbox), records
     * them, and hands this instance's leases back: another instance takes the rows at once.
     */
    async stop() {
      running = false;
      stopping = true;
      if (timer) clearTimeout(timer);
      if (draining) await draining;
      await uow.flush();
      await Promise.all(recording);
      if (renewTimer) clearInterval(renewTimer);
      if (options.leases) {
        const released = await options.leases.release();
        claimed.clear();
        logger.info({ event: 'outbox.leases_released', instance, rows: released }, 'outbox leases handed back');
      }
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
