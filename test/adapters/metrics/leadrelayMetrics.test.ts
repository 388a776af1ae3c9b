import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, webhookHost, type MetricsReaders } from '../../../src/adapters/metrics/leadrelayMetrics.ts';
import type { LeadEvent } from '../../../src/app/leadEvents.ts';
import { sampleValue, samplesNamed } from '../../support/promText.ts';

const T0 = Date.parse('2026-11-24T14:00:00Z');

function setup(readers: Partial<MetricsReaders> = {}) {
  const state = {
    backlog: { pending: 0, oldestAgeSeconds: null as number | null },
    waiting: { received: 0, offered: 0, queued: 0, escalated: 0 },
    failing: [] as { url: string; pending: number; since: number }[],
    now: T0,
    reads: 0,
  };
  const metrics = createMetrics(
    new Registry(),
    {
      outboxBacklog: async () => {
        state.reads += 1;
        return state.backlog;
      },
      waitingLeads: async () => state.waiting,
      failingWebhooks: async () => state.failing,
      now: () => state.now,
      ...readers,
    },
    { version: '9.9.9', mode: 'socket' },
  );
  const scrape = async () => (await metrics.render()).body;
  return { metrics, state, scrape };
}

const event = (fields: Partial<LeadEvent> & Pick<LeadEvent, 'event'>): LeadEvent => ({ leadId: 1, at: T0, ...fields });

describe('createMetrics', () => {
  it('serves the Prometheus text format with the version and mode', async () => {
    const { metrics } = setup();
    const { contentType, body } = await metrics.render();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(body, 'leadrelay_info', { version: '9.9.9', mode: 'socket' })).toBe(1);
    expect(body).toContain('# TYPE leadrelay_leads_received_total counter');
    expect(body).toContain('# TYPE leadrelay_time_to_claim_seconds histogram');
  });

  it('starts every intake, event and offer-outcome series at 0, so rates work before the first lead', async () => {
    const { scrape } = setup();
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'linkedin', status: 'duplicate' })).toBe(0);
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'unknown', status: 'invalid' })).toBe(0);
    expect(sampleValue(text, 'leadrelay_lead_events_total', { event: 'lead.escalated' })).toBe(0);
    expect(samplesNamed(text, 'leadrelay_offers_total').map((s) => s.labels.outcome)).toEqual(['claimed', 'passed', 'expired', 'withdrawn']);
  });

  it('counts leads received by source and status', async () => {
    const { metrics, scrape } = setup();
    metrics.leadReceived('form', 'accepted');
    metrics.leadReceived('form', 'accepted');
    metrics.leadReceived('linkedin', 'duplicate');
    metrics.leadReceived('unknown', 'invalid');
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(2);
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'linkedin', status: 'duplicate' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'unknown', status: 'invalid' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'email', status: 'accepted' })).toBe(0);
  });

  it('times the first offer only: later offers of the same lead are not observed', async () => {
    const { metrics, scrape } = setup();
    metrics.leadEvent(event({ event: 'lead.offered', receivedAt: T0 - 2_000, attempt: 1 }));
    metrics.leadEvent(event({ event: 'lead.offered', receivedAt: T0 - 400_000, attempt: 2 }));
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_count')).toBe(1);
    expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_sum')).toBe(2);
    expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_bucket', { le: '1' })).toBe(0);
    expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_bucket', { le: '5' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_lead_events_total', { event: 'lead.offered' })).toBe(2);
  });

  it('times the claim when the lead gets its first owner, and counts the offer outcome', async () => {
    const { metrics, scrape } = setup();
    metrics.leadEvent(event({ event: 'lead.passed', receivedAt: T0 - 10_000, offerOutcome: 'passed' }));
    metrics.leadEvent(event({ event: 'lead.claimed', receivedAt: T0 - 72_000, offerOutcome: 'claimed', firstOwner: true }));
    metrics.leadEvent(event({ event: 'lead.reassigned', receivedAt: T0 - 900_000 }));
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_count')).toBe(1);
    expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_sum')).toBe(72);
    expect(sampleValue(text, 'leadrelay_offers_total', { outcome: 'claimed' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_offers_total', { outcome: 'passed' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_lead_events_total', { event: 'lead.reassigned' })).toBe(1);
  });

  it('reads the gauges from the database at scrape time, not before', async () => {
    const { state, scrape } = setup();
    expect(state.reads).toBe(0);
    state.backlog = { pending: 7, oldestAgeSeconds: 42 };
    state.waiting = { received: 1, offered: 3, queued: 2, escalated: 1 };
    const text = await scrape();
    expect(state.reads).toBeGreaterThan(0);
    expect(sampleValue(text, 'leadrelay_outbox_pending')).toBe(7);
    expect(sampleValue(text, 'leadrelay_outbox_oldest_age_seconds')).toBe(42);
    expect(sampleValue(text, 'leadrelay_queue_length')).toBe(2);
    expect(sampleValue(text, 'leadrelay_leads_waiting', { state: 'offered' })).toBe(3);

    state.backlog = { pending: 0, oldestAgeSeconds: null };
    const later = await scrape();
    expect(sampleValue(later, 'leadrelay_outbox_pending')).toBe(0);
    expect(sampleValue(later, 'leadrelay_outbox_oldest_age_seconds')).toBe(0);
  });

  it('shows failing webhook receivers by host, adding up URLs on one host, and drops a receiver once it recovers', async () => {
    const { state, scrape } = setup();
    state.failing = [
      { url: 'https://crm.example.com/hooks/a?token=s3cret', pending: 2, since: T0 - 90_000 },
      { url: 'https://crm.example.com/hooks/b', pending: 1, since: T0 - 30_000 },
      { url: 'http://127.0.0.1:8080/nurture', pending: 4, since: T0 - 5_000 },
    ];
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_webhook_failing_deliveries', { host: 'crm.example.com' })).toBe(3);
    expect(sampleValue(text, 'leadrelay_webhook_failing_seconds', { host: 'crm.example.com' })).toBe(90);
    expect(sampleValue(text, 'leadrelay_webhook_failing_deliveries', { host: '127.0.0.1:8080' })).toBe(4);
    expect(text).not.toContain('s3cret');

    state.failing = [{ url: 'http://127.0.0.1:8080/nurture', pending: 1, since: T0 - 5_000 }];
    const later = await scrape();
    expect(samplesNamed(later, 'leadrelay_webhook_failing_deliveries').map((s) => s.labels.host)).toEqual(['127.0.0.1:8080']);
  });

  it('counts webhook attempts by host, event and outcome', async () => {
    const { metrics, scrape } = setup();
    metrics.webhookDelivery('https://crm.example.com/hooks?key=abc', 'lead.claimed', 'retry');
    metrics.webhookDelivery('https://crm.example.com/hooks?key=abc', 'lead.claimed', 'ok');
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_webhook_deliveries_total', { host: 'crm.example.com', event: 'lead.claimed', outcome: 'retry' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_webhook_deliveries_total', { host: 'crm.example.com', event: 'lead.claimed', outcome: 'ok' })).toBe(1);
  });

  it('counts Slack calls by method and code, folding anything unexpected into "other"', async () => {
    const { metrics, scrape } = setup();
    metrics.slackCall('chat.postMessage', 'ok');
    metrics.slackCall('chat.postMessage', 'ratelimited');
    metrics.slackCall('chat.update', 'http_503');
    metrics.slackCall('chat.update', 'Something <weird> from a proxy');
    metrics.slackCall('../etc', 'ok');
    const text = await scrape();
    expect(sampleValue(text, 'leadrelay_slack_api_calls_total', { method: 'chat.postMessage', code: 'ok' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_slack_api_calls_total', { method: 'chat.postMessage', code: 'ratelimited' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_slack_api_calls_total', { method: 'chat.update', code: 'http_503' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_slack_api_calls_total', { method: 'chat.update', code: 'other' })).toBe(1);
    expect(sampleValue(text, 'leadrelay_slack_api_calls_total', { method: 'other', code: 'ok' })).toBe(1);
  });

  it('keeps two bots in one process apart: each has its own registry', async () => {
    const a = setup();
    const b = setup();
    a.metrics.leadReceived('form', 'accepted');
    expect(sampleValue(await a.scrape(), 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(1);
    expect(sampleValue(await b.scrape(), 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(0);
  });
});

describe('webhookHost', () => {
  it('keeps the host and port and drops the path and query, which may hold a token', () => {
    expect(webhookHost('https://hooks.example.com:8443/t/abc?key=1')).toBe('hooks.example.com:8443');
    expect(webhookHost('not a url')).toBe('unknown');
  });
});
