/**
 * The deadlines of the offer lifecycle, computed from the SLA and the time of the event: when an
 * offer expires and when its reminder goes, and when an escalation nobody handled is pinged again.
 * The one place that turns `sla:` into instants; the scheduler (src/adapters/scheduler) acts on
 * them. Pure.
 */
import type { Sla } from '../settings.ts';

/** An offer made at `offeredAt`: it expires at `deadlineAt`; its reminder (if the SLA has one) goes at `remindAt`. */
export function offerDeadlines(sla: Sla, offeredAt: number): { deadlineAt: number; remindAt: number | null } {
  return {
    deadlineAt: offeredAt + sla.claimWithin,
    remindAt: sla.remindAt === undefined ? null : offeredAt + Math.round(sla.claimWithin * sla.remindAt),
  };
}

/** An escalation pinged (or re-pinged) at `now` is pinged again after another `claimWithin` while nobody handles it. */
export function nextEscalationPingAt(sla: Sla, now: number): number {
  return now + sla.claimWithin;
}
