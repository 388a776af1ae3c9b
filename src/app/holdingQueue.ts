import type { Clock } from '../domain/clock.ts';
import { earliestEligibilityChange } from '../domain/routing/index.ts';
import type { UnitOfWork } from './ports.ts';
import { route, type RouteOutcome, type RoutingContext } from './route.ts';

/**
 * The holding queue: leads nobody could take wait in state `queued` and are offered the moment
 * someone becomes eligible — when an event says so (a rep back, a lead done: `rerouteQueued`), or
 * when time alone may have (away ended, hours started, a daily cap reset: `checkDue`, which the
 * every-second sweep asks).
 */
export function createHoldingQueue(deps: { uow: UnitOfWork; clock: Clock; context: RoutingContext }) {
  const { uow, clock, context } = deps;
  /** When time alone may next make someone eligible; null when the queue is empty. Worked out when asked after it changed. */
  let check: { at: number | null; stale: boolean } = { at: null, stale: false };

  const refresh = async (): Promise<number | null> => {
    const now = clock.now();
    const { settings, routing } = context.compiled();
    const at = await uow.read(async (tx) => {
      if ((await tx.leads.countInState('queued')) === 0) return null;
      const snapshot = { ...(await tx.routing.loadTeamState(settings, now)), ...(await tx.routing.loadLeadState({ id: null, domain: null })) };
      return earliestEligibilityChange({ config: routing, snapshot, now });
    });
    check = { at, stale: false };
    return at;
  };

  return {
    /** A lead was queued (after commit): the next check is worked out when the queue starts (it depends on the reps, not on which leads wait). */
    noteQueued(): void {
      if (check.at === null) check = { at: null, stale: true };
    },

    /** Offers queued leads, oldest first, to whoever is eligible now, in one transaction; how many were offered. */
    async rerouteQueued(): Promise<number> {
      const ids = await uow.read((tx) => tx.leads.idsInState('queued', 10_000));
      const outcomes =
        ids.length === 0
          ? []
          : await uow.run(async (tx) => {
              const routed: RouteOutcome[] = [];
              for (const id of ids) routed.push(await route(context, tx, id));
              return routed;
            });
      await refresh();
      return outcomes.filter((outcome) => outcome.kind !== 'skipped').length;
    },

    /** True when time alone may have made someone eligible for the queue. */
    async checkDue(): Promise<boolean> {
      const at = check.stale ? await refresh() : check.at;
      return at !== null && clock.now() >= at;
    },

    /** When the queue will next be checked (epoch ms); null when nothing waits. */
    async nextCheckAt(): Promise<number | null> {
      return check.stale ? refresh() : check.at;
    },
  };
}
