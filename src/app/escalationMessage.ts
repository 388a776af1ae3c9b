import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';

/**
 * A lead needs a manager (again): its escalation message is posted, or, when it already has one
 * (it was queued before, or escalated and then offered again), that message is brought up to date
 * in place and the manager is pinged in its thread, so that a lead never has two escalation
 * messages saying different things. Runs inside the caller's transaction.
 */
export function enqueueEscalationMessage(deps: { leads: SqliteLeadStore; outbox: SqliteOutboxStore }, leadId: number, now: number): void {
  const { leads, outbox } = deps;
  const posted = leads.escalation(leadId)?.escalation_ts != null;
  if (!posted && !outbox.hasPending('post_escalation', { leadId })) {
    outbox.enqueue({ leadId, kind: 'card', method: 'post_escalation', payload: { leadId } }, now);
    return;
  }
  // The pending post renders the current state when it goes; the update carries what changes after.
  outbox.enqueue({ leadId, kind: 'card', method: 'update_escalation', payload: { leadId } }, now);
  if (posted) outbox.enqueue({ leadId, kind: 'card', method: 'reping_escalation', payload: { leadId } }, now);
}
