import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LEAD_EVENT_NAMES, OFFER_OUTCOMES, type LeadEvent, type LeadEventName, type OfferOutcome } from '../../app/leadEvents.ts';
import { LEAD_SOURCES, type LeadSource } from '../../domain/lead.ts';
import type { WaitingState } from '../../app/ports.ts';

/** How POST /leads answered a lead: 202, 200 duplicate, 400 (JSON that is not a valid lead), 409 (Idempotency-Key reused). */
export const INTAKE_STATUSES = ['accepted', 'duplicate', 'invalid', 'conflict'] as const;
export type IntakeStatus = (typeof INTAKE_STATUSES)[number];

/** What the gauges read from the database when Prometheus scrapes (never on the hot path). */
export interface MetricsReaders {
  outboxBacklog: () => Promise<{ pending: number; oldestAgeSeconds: number | null }>;
  waitingLeads: () => Promise<Record<WaitingState, number>>;
  /** Webhook receivers whose deliveries failed and wait for a retry (the same list /healthz shows). */
  failingWebhooks: () => Promise<{ url: string; pending: number; since: number }[]>;
  now: () => number;
}

/** Seconds: from "at once" through the 5-minute SLA to a day. */
const TIME_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

/** Slack error codes and methods become label values: anything unexpected is folded so a bad answer cannot mint series. */
const boundedLabel = (value: string, pattern: RegExp) => (pattern.test(value) ? value : 'other');
const SLACK_CODE = /^[a-z0-9_]{1,64}$/;
/** A Web API method, or `response_url` for posts to clicks' response URLs. */
const SLACK_METHOD = /^(response_url|[a-zA-Z]+(\.[a-zA-Z]+){1,3})$/;

/** The receiver's host (and port): the URL's path or query may hold a token, the host does not. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * leadrelay's Prometheus metrics on a registry of its own (several bots in one process, as in the
 * tests, never share counters). Counters are told about changes after they commit; gauges
 * (outbox, waiting leads, failing webhooks) are read from the database at scrape time, so intake
 * pays nothing for them. Names follow Prometheus conventions: `_total` counters, `_seconds` units.
 */
export function createMetrics(registry: Registry, readers: MetricsReaders, info: { version: string; mode: string }) {
  const registers = [registry];

  new Gauge({ name: 'leadrelay_info', help: 'Always 1: the running version and Slack mode.', labelNames: ['version', 'mode'], registers }).set(info, 1);

  const received = new Counter({
    name: 'leadrelay_leads_received_total',
    help: 'Leads POSTed to /leads, by source and by how they were answered (accepted, duplicate, invalid, conflict).',
    labelNames: ['source', 'status'],
    registers,
  });
  const leadEvents = new Counter({
    name: 'leadrelay_lead_events_total',
    help: 'Committed lead state changes, by event (the same events as the log lines).',
    labelNames: ['event'],
    registers,
  });
  const offers = new Counter({
    name: 'leadrelay_offers_total',
    help: 'Offers that ended, by outcome: claimed, passed, expired, withdrawn (rep went away, lead reassigned).',
    labelNames: ['outcome'],
    registers,
  });
  const timeToFirstOffer = new Histogram({
    name: 'leadrelay_time_to_first_offer_seconds',
    help: 'From a lead being received to its first offer to a rep (holding-queue time included).',
    buckets: TIME_BUCKETS,
    registers,
  });
  const timeToClaim = new Histogram({
    name: 'leadrelay_time_to_claim_seconds',
    help: 'From a lead being received to its first owner (a claim, or a manager taking or assigning it).',
    buckets: TIME_BUCKETS,
    registers,
  });
  const slackCalls = new Counter({
    name: 'leadrelay_slack_api_calls_total',
    help: 'Slack Web API calls (and posts to response URLs, method response_url) by method and result code: ok, or the error (ratelimited, channel_not_found, used_url, http_503, request_error, ...).',
    labelNames: ['method', 'code'],
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'leadrelay_webhook_deliveries_total',
    help: 'Webhook delivery attempts (CRM write-back, sequences) by receiver host, event and outcome: ok, retry, failed (given up).',
    labelNames: ['host', 'event', 'outcome'],
    registers,
  });

  /** What the gauges show, read from the store once per scrape (several gauges share each query), before the gauges collect. */
  const readState = async () => ({
    backlog: await readers.outboxBacklog(),
    waiting: await readers.waitingLeads(),
    failing: failingByHost(await readers.failingWebhooks()),
    now: readers.now(),
  });
  /** The last scrape's reading (before the first: nothing pending, nothing waiting). */
  let scraped: Awaited<ReturnType<typeof readState>> = {
    backlog: { pending: 0, oldestAgeSeconds: null },
    waiting: { received: 0, offered: 0, queued: 0, escalated: 0 },
    failing: new Map(),
    now: 0,
  };
  const state = () => scraped;

  new Gauge({
    name: 'leadrelay_outbox_pending',
    help: 'Slack calls and webhooks committed and not yet delivered.',
    registers,
    collect() {
      this.set(state().backlog.pending);
    },
  });
  new Gauge({
    name: 'leadrelay_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered outbox row; 0 when the outbox is empty.',
    registers,
    collect() {
      this.set(state().backlog.oldestAgeSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'leadrelay_leads_waiting',
    help: 'Leads without an owner, by state: received (not yet routed), offered, queued (nobody eligible), escalated.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const [waiting, count] of Object.entries(state().waiting)) this.set({ state: waiting }, count);
    },
  });
  new Gauge({
    name: 'leadrelay_queue_length',
    help: 'Leads in the holding queue: nobody eligible, waiting for a rep to become available.',
    registers,
    collect() {
      this.set(state().waiting.queued);
    },
  });
  new Gauge({
    name: 'leadrelay_webhook_failing_deliveries',
    help: 'Deliveries waiting for a retry at a webhook receiver whose deliveries are failing, by host.',
    labelNames: ['host'],
    registers,
    collect() {
      this.reset();
      for (const [host, { pending }] of state().failing) this.set({ host }, pending);
    },
  });
  new Gauge({
    name: 'leadrelay_webhook_failing_seconds',
    help: 'How long a webhook receiver has been failing (age of its oldest delivery waiting for a retry), by host.',
    labelNames: ['host'],
    registers,
    collect() {
      this.reset();
      const { failing, now } = state();
      for (const [host, { since }] of failing) this.set({ host }, Math.max(0, Math.round((now - since) / 1000)));
    },
  });

  /** The failing receivers by host: several URLs on one host add up, and the oldest failure counts. */
  function failingByHost(receivers: { url: string; pending: number; since: number }[]): Map<string, { pending: number; since: number }> {
    const byHost = new Map<string, { pending: number; since: number }>();
    for (const receiver of receivers) {
      const host = webhookHost(receiver.url);
      const seen = byHost.get(host);
      byHost.set(host, seen ? { pending: seen.pending + receiver.pending, since: Math.min(seen.since, receiver.since) } : { pending: receiver.pending, since: receiver.since });
    }
    return byHost;
  }

  // Series that exist from the start (at 0), so rates and alerts work before the first event; and
  // children bound once, so counting on the intake path is a property lookup and an addition.
  const atZero = (child: Counter.Internal) => {
    child.inc(0);
    return child;
  };
  const receivedChildren = new Map<string, Counter.Internal>();
  for (const source of [...LEAD_SOURCES, 'unknown']) {
    for (const status of INTAKE_STATUSES) receivedChildren.set(`${source} ${status}`, atZero(received.labels({ source, status })));
  }
  const eventChildren = new Map<LeadEventName, Counter.Internal>(LEAD_EVENT_NAMES.map((event) => [event, atZero(leadEvents.labels({ event }))]));
  const offerChildren = new Map<OfferOutcome, Counter.Internal>(OFFER_OUTCOMES.map((outcome) => [outcome, atZero(offers.labels({ outcome }))]));

  return {
    registry,

    /** A lead POSTed to /leads was answered; `unknown` source when the body was not a valid lead. */
    leadReceived(source: LeadSource | 'unknown', status: IntakeStatus): void {
      receivedChildren.get(`${source} ${status}`)?.inc();
    },

    /** A committed lead event: counted, and timed when it is the lead's first offer or first owner. */
    leadEvent(event: LeadEvent): void {
      eventChildren.get(event.event)?.inc();
      if (event.offerOutcome) offerChildren.get(event.offerOutcome)?.inc();
      if (event.receivedAt === undefined) return;
      const seconds = Math.max(0, (event.at - event.receivedAt) / 1000);
      if (event.event === 'lead.offered' && event.attempt === 1) timeToFirstOffer.observe(seconds);
      if (event.firstOwner) timeToClaim.observe(seconds);
    },

    slackCall(method: string, code: string): void {
      slackCalls.inc({ method: boundedLabel(method, SLACK_METHOD), code: boundedLabel(code, SLACK_CODE) });
    },

    webhookDelivery(url: string, event: string, outcome: 'ok' | 'retry' | 'failed'): void {
      webhookDeliveries.inc({ host: webhookHost(url), event, outcome });
    },

    /** The text format Prometheus scrapes, and its content type; the gauges' queries run once per call. */
    async render(): Promise<{ contentType: string; body: string }> {
      scraped = await readState();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type LeadrelayMetrics = ReturnType<typeof createMetrics>;
