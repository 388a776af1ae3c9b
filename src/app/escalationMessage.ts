import type { Tx } from './ports.ts';

/**
 * A lead needs a manager (again): its escalation message is posted, or, when it already has one
 * (it was queued before, or escalated and then offered again), that message is brought up to date
 * in place and the manager is pinged in its thread, so that a lead never has two escalation
 * messages saying different things. Runs inside the caller's transaction.
 */
export async function enqueueEscalationMessage(tx: Tx, leadId: number, now: number): Promise<void> {
  const posted = (await tx.leads.escalation(leadId))?.ts != null;
  if (!posted && !(await tx.outbox.hasPending({ type: 'post_escalation', leadId }))) {
    await tx.outbox.enqueue(leadId, { type: 'post_escalation', leadId }, now);
    return;
  }
  // The pending post renders the current state when it goes; the update carries what changes after.
  await tx.outbox.enqueue(leadId, { type: 'update_escalation', leadId }, now);
  if (posted) await tx.outbox.enqueue(leadId, { type: 'reping_escalation', leadId }, now);
}
