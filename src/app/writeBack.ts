import { leadRef } from '../domain/lead.ts';
import type { Settings, WebhookEvent } from '../domain/settings.ts';
import type { Tx } from './ports.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Ownership write-back (`webhooks:`): tells the CRM who owns a lead. Runs inside the transaction
 * that changed the lead, so the webhook is delivered after commit through the outbox (signed like
 * requests to POST /leads, retried, in order per receiver) and never lost across restarts.
 */
export async function enqueueWriteBack(tx: Tx, settings: Settings, leadId: number, event: WebhookEvent, now: number, extra: Record<string, unknown> = {}): Promise<void> {
  const targets = settings.webhooks.filter((webhook) => webhook.events.includes(event));
  if (targets.length === 0) return;
  const stored = await tx.leads.get(leadId);
  if (!stored) return;
  const owner = stored.ownerId === null ? null : { slack_id: stored.ownerId, email: settings.reps.find((rep) => rep.id === stored.ownerId)?.email ?? null };
  const body = {
    event,
    at: iso(now),
    lead: { ref: leadRef(stored.id), external_id: stored.lead.external_id ?? null, crm_url: stored.lead.crm_url ?? null, state: stored.state },
    owner,
    timings: {
      received_at: iso(stored.receivedAt),
      first_offered_at: iso(stored.firstOfferedAt),
      // First ownership: a later /reassign does not move the time to claim.
      claimed_at: iso(stored.firstOwnedAt),
      owner_since: iso(stored.claimedAt),
      seconds_to_first_offer: stored.firstOfferedAt === null ? null : Math.round((stored.firstOfferedAt - stored.receivedAt) / 1000),
      seconds_to_claim: stored.firstOwnedAt === null ? null : Math.round((stored.firstOwnedAt - stored.receivedAt) / 1000),
    },
    ...extra,
  };
  for (const webhook of targets) await tx.outbox.enqueue(leadId, { type: 'webhook', event, url: webhook.url, body }, now);
}
