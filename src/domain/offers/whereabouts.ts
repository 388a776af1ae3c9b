/** Where a lead is now, in the terms cards and stale-click answers use ("Expired — offered to Bob"). Pure. */
import type { LeadState } from '../lead.ts';

export type LeadWhereabouts =
  | { kind: 'offered'; repId: string }
  | { kind: 'claimed'; repId: string }
  | { kind: 'escalated' }
  | { kind: 'queued' }
  | { kind: 'sequence'; sequenceId: string }
  | { kind: 'done'; repId: string | null }
  | { kind: 'owned'; repId: string };

/** From the lead's state, owner and the rep of its pending offer (null when none): null while it has no place yet (received). */
export function whereaboutsOf(
  lead: { state: LeadState; ownerId: string | null; sequenceId: string | null },
  pendingRepId: string | null,
): LeadWhereabouts | null {
  switch (lead.state) {
    case 'offered':
      return pendingRepId ? { kind: 'offered', repId: pendingRepId } : null;
    case 'claimed':
      return lead.ownerId ? { kind: 'claimed', repId: lead.ownerId } : null;
    case 'done':
      return { kind: 'done', repId: lead.ownerId };
    case 'escalated':
      return { kind: 'escalated' };
    case 'queued':
      return { kind: 'queued' };
    case 'in_sequence':
      return lead.sequenceId ? { kind: 'sequence', sequenceId: lead.sequenceId } : null;
    case 'received':
      return null;
  }
}
