import type { Clock } from '../domain/clock.ts';
import type { EventBus } from './events.ts';
import type { Logger } from './logger.ts';
import type { OfferLifecycle } from './offerLifecycle.ts';
import type { Away, UnitOfWork } from './ports.ts';
import { routingInputsChanged } from './route.ts';
import type { LeadRouter } from './routeLead.ts';

export type AwayState = { away: false } | ({ away: true } & Away);

/**
 * Availability (`/away`, App Home toggle): a rep away is out of rotation; going away moves their
 * pending offers to the next rep at once, in the same transaction; coming back (by hand or at the
 * time they gave) offers them queued leads. Runtime state wins over the config file.
 */
export function createAvailability(deps: {
  uow: UnitOfWork;
  lifecycle: Pick<OfferLifecycle, 'withdrawOffersOf'>;
  router: Pick<LeadRouter, 'rerouteQueued'>;
  clock: Clock;
  events: EventBus;
  logger: Logger;
}) {
  const { uow, lifecycle, router, clock, events, logger } = deps;

  /** Back in rotation now; queued leads are offered once that is committed. */
  const comeBack = async (repId: string, by: string, notify: boolean): Promise<boolean> => {
    const changed = await uow.run(async (tx) => {
      const now = clock.now();
      if (!(await tx.availability.setBack(repId, now, by))) return false;
      routingInputsChanged(tx);
      if (notify) await tx.outbox.enqueue(null, { type: 'post_message', channel: repId, text: "👋 You're back in rotation: new leads can come your way again." }, now);
      tx.afterCommit(() => {
        logger.info({ rep: repId, event: 'rep.back', by }, 'rep back in rotation');
        events.publish({ type: 'effectsQueued' });
        events.publish({ type: 'homeTouched', userId: repId });
      });
      return true;
    });
    if (changed) await router.rerouteQueued();
    return changed;
  };

  return {
    async state(repId: string): Promise<AwayState> {
      const away = await uow.read((tx) => tx.availability.awayOf(repId, clock.now()));
      return away === null ? { away: false } : { away: true, until: away.until };
    },

    /** Takes the rep out of rotation until `until` (null: until they come back); returns how many offers moved on. */
    setAway(repId: string, until: number | null, by: string): Promise<number> {
      return uow.run(async (tx) => {
        await tx.availability.setAway(repId, until, clock.now(), by);
        routingInputsChanged(tx);
        const moved = await lifecycle.withdrawOffersOf(tx, repId, by);
        // After the real commit: the withdrawals' own hooks (the next reps' offers) run with these.
        tx.afterCommit(() => {
          logger.info({ rep: repId, event: 'rep.away', by, until }, 'rep away');
          events.publish({ type: 'effectsQueued' });
          events.publish({ type: 'homeTouched', userId: repId });
        });
        return moved;
      });
    },

    /** Back in rotation now; queued leads are offered at once. False when the rep was not away. */
    setBack: (repId: string, by: string) => comeBack(repId, by, false),

    /** The automatic return: reps whose away time has passed are back, told by DM. */
    async returnDue(): Promise<number> {
      const due = await uow.read((tx) => tx.availability.returnsDue(clock.now()));
      let back = 0;
      for (const repId of due) if (await comeBack(repId, 'system', true)) back += 1;
      return back;
    },
  };
}

export type Availability = ReturnType<typeof createAvailability>;
