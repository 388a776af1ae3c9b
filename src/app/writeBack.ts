import type { Config } from '../config/schema.ts';
import type { WebhookEvent } from '../domain/settings.ts';
import { leadRef } from '../domain/lead.ts';
import type { SqliteLeadStore } from '../adapters/sqlite/sqliteLeadStore.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Ownership write-back (`webhooks:`): tells the CRM who owns a lead. Called inside the
 * transaction that changed the lead, so the webhook is delivered after commit through the outbox
 * (signed like requests to POST /leads, retried, in order per lead) and never lost across restarts.
 */
export function enqueueWriteBack(
  deps: { leads: SqliteLeadStore; outbox: SqliteOutboxStore; config: Config },
  leadId: number,
  event: WebhookEvent,
  now: number,
  extra: Record<string, unknown> = {},
): void {
  const targets = deps.config.webhooks.filter((webhook) => webhook.events.includes(event));
  if (targets.length === 0) return;
  const stored = deps.leads.getLead(leadId);
  if (!stored) return;
  const owner = stored.owner_id === null ? null : { slack_id: stored.owner_id, email: deps.config.reps.find((rep) => rep.id === stored.owner_id)?.email ?? null };
  const body = {
    event,
    at: iso(now),
    lead: { ref: leadRef(stored.id), external_id: stored.lead.external_id ?? null, crm_url: stored.lead.crm_url ?? null, state: stored.state },
    owner,
    timings: {
      received_at: iso(stored.received_at),
      first_offered_at: iso(stored.first_offered_at),
      // First ownership: a later /reassign does not move the time to claim.
      claimed_at: iso(stored.first_owned_at),
      owner_since: iso(stored.claimed_at),
      seconds_to_first_offer: stored.first_offered_at === null ? null : Math.round((stored.first_offered_at - stored.received_at) / 1000),
      seconds_to_claim: stored.first_owned_at === null ? null : Math.round((stored.first_owned_at - stored.received_at) / 1000),
    },
    ...extra,
  };
  for (const webhook of targets) deps.outbox.enqueue({ leadId, kind: 'webhook', method: event, payload: { url: webhook.url, body } }, now);
}
