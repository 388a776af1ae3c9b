/**
 * The composition root's first part: builds the store, the event bus, the use cases, the outbox
 * worker and its deliverers, the deadline scheduler, the HTTP routes, the Slack app and the metrics,
 * and wires the after-commit events to their listeners. Nothing here decides anything: every
 * policy is in a use case (src/app), every technology in an adapter (src/adapters).
 */
import { Registry } from 'prom-client';
import { createAcceptLead } from './app/acceptLead.ts';
import { createAccountOwners } from './app/accountOwners.ts';
import { createAvailability } from './app/availability.ts';
import { createLeadEnricher } from './app/enrichLead.ts';
import { createEventBus, type EventBus } from './app/events.ts';
import { createOfferLifecycle } from './app/offerLifecycle.ts';
import type { Store } from './app/ports.ts';
import { createLeadViews } from './app/readModels.ts';
import { createRecordSignal } from './app/recordSignal.ts';
import { createLeadRouter } from './app/routeLead.ts';
import type { Config } from './config/schema.ts';
import type { Env } from './config/env.ts';
import type { Clock } from './domain/clock.ts';
import { openCompanyTable, type CompanyTableFile } from './adapters/enrichment/companyTable.ts';
import { createHttpEnricher } from './adapters/enrichment/httpEnricher.ts';
import { createHealthzRoute } from './adapters/http/healthzRoute.ts';
import { createHookRoute } from './adapters/http/hooksRoute.ts';
import type { HttpRoute } from './adapters/http/httpRoutes.ts';
import { createLeadsRoute, type LeadAnswer } from './adapters/http/leadsRoute.ts';
import { createMetricsRoute } from './adapters/http/metricsRoute.ts';
import { createSignalsRoute } from './adapters/http/signalsRoute.ts';
import { logLeadEvent, type Logger } from './adapters/logger.ts';
import { createMetrics, type LeadrelayMetrics } from './adapters/metrics/leadrelayMetrics.ts';
import { createWebhookDeliverer } from './adapters/outbox/deliverWebhook.ts';
import { createOutboxWorker } from './adapters/outbox/outboxWorker.ts';
import { createDeadlineScheduler } from './adapters/scheduler/deadlineScheduler.ts';
import { createAppHomePublisher } from './adapters/slack/appHomePublisher.ts';
import { createCardModels } from './adapters/slack/cardModels.ts';
import { createSlackApp } from './adapters/slack/createSlackApp.ts';
import { createResponseUrlPoster, createSlackCaller } from './adapters/slack/deliverSlackCall.ts';
import { createEffectDeliverer } from './adapters/slack/deliverEffect.ts';
import { renderSeenAgain } from './adapters/slack/renderThreadNote.ts';
import { compileSourceMapping } from './adapters/sources/compileSourceMapping.ts';
import type { StoreBackend } from './adapters/storeBackend.ts';

export interface ServicesOptions {
  env: Env;
  config: Config;
  /** The database the bot runs on (SQLite or PostgreSQL), opened and migrated; the caller closes it after stop. */
  backend: StoreBackend;
  clock: Clock;
  logger: Logger;
  version: string;
  /** More HTTP routes on the same port (the sandbox page). */
  extraRoutes?: HttpRoute[];
  /** The company table main.ts opened (a bad file stops start-up); absent: opened here. */
  companies?: CompanyTableFile | null;
  metricsRegistry?: Registry;
  /** The signing secret of each `sources:` entry with a `secret_env`, by source id. */
  sourceSecrets?: Readonly<Record<string, string>>;
}

/** What the bot needs of the environment to talk to Slack (sandbox mode passes its stand-in's: src/sandbox/startSandbox.ts). */
function slackEnv(env: Env) {
  if (env.mode === 'sandbox' || !env.botToken || !env.webhookSecret) throw new Error('SLACK_BOT_TOKEN and LEADRELAY_WEBHOOK_SECRET are required (sandbox mode starts through src/sandbox/startSandbox.ts)');
  return { ...env, mode: env.mode, botToken: env.botToken, webhookSecret: env.webhookSecret };
}

/** The company table and the enrichment it serves (company table, then webhook). */
function buildEnrichment(options: ServicesOptions, webhookSecret: string) {
  let companies = options.companies;
  if (companies === undefined) {
    const opened = openCompanyTable(options.config, options.env.configPath);
    if (!opened.ok) throw new Error(opened.errors.join('\n'));
    companies = opened.file;
  }
  const table = companies;
  const webhook = options.config.enrichment?.webhook;
  const enricher = createLeadEnricher({
    companies: table ? () => table.table() : null,
    webhook: webhook ? createHttpEnricher({ url: webhook, secret: webhookSecret, timeoutMs: options.config.enrichment?.timeout ?? 2000, now: () => options.clock.now() }) : null,
  });
  return { companies: table, enricher };
}

/** The use cases, on the store's ports. */
function buildUseCases(store: Store, events: EventBus, options: ServicesOptions, enricher: ReturnType<typeof createLeadEnricher>) {
  const { clock, logger } = options;
  const settings = () => options.config;
  // Where the store's writes hold the thread (SQLite), routing keeps to a share of the time during
  // a burst, and an arrival while routing is idle is routed with its intake (one commit). On
  // PostgreSQL neither: a batch's time is spent waiting on the server, and an intake's
  // transaction stays short.
  const router = createLeadRouter({ uow: store.uow, clock, settings, events, logger, enricher, arrivals: options.backend.writesOnTheThread ? {} : { routingShare: 1, inline: false } });
  const lifecycle = createOfferLifecycle({ uow: store.uow, router, clock, settings, events, logger });
  return {
    router,
    lifecycle,
    availability: createAvailability({ uow: store.uow, lifecycle, router, clock, events, logger }),
    accountOwners: createAccountOwners({ uow: store.uow, clock, settings, logger }),
    recordSignal: createRecordSignal({ uow: store.uow, router, clock, settings, events }),
    // New leads are answered once stored (and, while routing is idle, routed in the same commit); else routed after the answer in batches of arrivals.
    acceptLead: createAcceptLead({
      uow: store.uow,
      clock,
      config: settings,
      router,
      events,
      onSeenAgain: (tx, leadId, source, now) => lifecycle.noteSeenAgain(tx, leadId, renderSeenAgain(source, now).text, now),
    }),
    views: createLeadViews(store),
  };
}

/** The outbox worker, delivering every effect through one switch (Slack messages, signed webhooks). */
function buildDelivery(store: Store, events: EventBus, metrics: LeadrelayMetrics, options: ServicesOptions, env: ReturnType<typeof slackEnv>, maybeInFlight: ReadonlySet<number>) {
  const { clock, config, backend } = options;
  const call = createSlackCaller({ botToken: env.botToken, slackApiUrl: env.slackApiUrl, pacer: backend.pacer, now: () => clock.now(), onCall: metrics.slackCall });
  const deliver = createEffectDeliverer({
    call,
    respond: createResponseUrlPoster({ onCall: metrics.slackCall }),
    uow: store.uow,
    models: createCardModels({ uow: store.uow, settings: () => config }),
    settings: () => config,
    now: () => clock.now(),
    maybeInFlight,
    // Each CRM webhook may have its own secret; sequences and the rest sign with LEADRELAY_WEBHOOK_SECRET.
    webhook: createWebhookDeliverer({ secret: (url) => config.webhooks.find((w) => w.url === url)?.secret ?? env.webhookSecret, now: () => clock.now() }),
    events,
  });
  return createOutboxWorker({
    store,
    deliver,
    clock,
    logger: options.logger,
    events,
    instance: backend.instance,
    ...(backend.mayDeliver ? { mayDeliver: backend.mayDeliver } : {}),
    ...(backend.outboxLeases ? { leases: backend.outboxLeases } : {}),
    onSettled: (row, settlement) => {
      if (row.effect.type !== 'webhook' || settlement.result === 'deferred') return;
      metrics.webhookDelivery(row.effect.url, row.effect.event, settlement.result === 'done' ? 'ok' : settlement.result);
    },
  });
}

/** POST /leads, POST /hooks/<id> (one intake), POST /signals, GET /healthz, GET /metrics, and the extra routes. */
function buildRoutes(services: { store: Store; metrics: LeadrelayMetrics; useCases: ReturnType<typeof buildUseCases>; shuttingDown: () => boolean }, options: ServicesOptions, env: ReturnType<typeof slackEnv>): HttpRoute[] {
  const { store, metrics, useCases } = services;
  const { clock, logger } = options;
  const intake = { acceptLead: useCases.acceptLead, onAnswered: (answer: LeadAnswer) => metrics.leadReceived(answer.source, answer.status) };
  const hooks = options.config.sources.map((source): HttpRoute => {
    const secret = options.sourceSecrets?.[source.id] ?? (source.secret_env === undefined ? env.webhookSecret : undefined);
    if (secret === undefined) throw new Error(`${source.secret_env} is not set: source "${source.id}" cannot check the requests to /hooks/${source.id}`);
    // Compiled once, here: a request only evaluates it.
    return { method: 'POST', path: `/hooks/${source.id}`, handler: createHookRoute({ ...intake, mapping: compileSourceMapping(source), secret, publicUrl: env.publicUrl, clock, logger }) };
  });
  const health = createHealthzRoute({
    version: options.version,
    mode: env.mode,
    store: options.backend.kind,
    instance: options.backend.instance,
    outboxBacklog: () => store.outboxQueue.backlog(clock.now()),
    failingWebhooks: () => store.outboxQueue.failingWebhooks(),
    now: () => clock.now(),
    shuttingDown: services.shuttingDown,
  });
  return [
    { method: 'POST', path: '/leads', handler: createLeadsRoute({ webhookSecret: env.webhookSecret, clock, ...intake }) },
    ...hooks,
    { method: 'POST', path: '/signals', handler: createSignalsRoute({ webhookSecret: env.webhookSecret, clock, recordSignal: useCases.recordSignal }) },
    { method: 'GET', path: '/healthz', handler: health },
    ...(options.extraRoutes ?? []),
    { method: 'GET', path: '/metrics', handler: createMetricsRoute(metrics.render) },
  ];
}

/** Builds everything the bot runs. */
export async function buildServices(options: ServicesOptions) {
  const { clock, logger } = options;
  const env = slackEnv(options.env);
  const { backend } = options;
  const { store } = backend;
  const events = createEventBus((error, event) => logger.error({ err: error, event: event.type }, 'an after-commit listener failed'));
  const reading = () => store.uow.read((tx) => tx.leads.countWaiting());
  const metrics = createMetrics(
    options.metricsRegistry ?? new Registry(),
    { outboxBacklog: () => store.outboxQueue.backlog(clock.now()), waitingLeads: reading, failingWebhooks: () => store.outboxQueue.failingWebhooks(), now: () => clock.now() },
    { version: options.version, mode: env.mode },
  );
  const { companies, enricher } = buildEnrichment(options, env.webhookSecret);
  const useCases = buildUseCases(store, events, options, enricher);
  // Rows pending at start may have reached Slack just before a crash: their messages are looked up before being posted again.
  const maybeInFlight = new Set(await store.outboxQueue.pendingIds());
  const worker = buildDelivery(store, events, metrics, options, env, maybeInFlight);
  const deadlines = createDeadlineScheduler({ lifecycle: useCases.lifecycle, worker, clock, logger });
  let shuttingDown = false;
  const routes = buildRoutes({ store, metrics, useCases, shuttingDown: () => shuttingDown }, options, env);
  const slack = createSlackApp({ mode: env.mode, botToken: env.botToken, signingSecret: env.signingSecret, appToken: env.appToken, slackApiUrl: env.slackApiUrl, port: env.port, routes, logger, onSlackCall: metrics.slackCall });
  const home = createAppHomePublisher(slack.app, { settings: () => options.config, views: useCases.views, clock, logger, botToken: env.botToken, registry: backend.appHomes });

  // After commit: each change of a lead is logged (one line) and counted; new effects wake the
  // outbox; changed state republishes App Homes.
  events.subscribe('leadChanged', ({ event }) => {
    logLeadEvent(logger, event);
    metrics.leadEvent(event);
  });
  events.subscribe('effectsQueued', () => worker.wake());
  events.subscribe('homeTouched', ({ userId }) => home.touched(userId));
  // Another instance wrote outbox rows or an offer with a deadline (several instances on PostgreSQL).
  backend.wakeups?.onOutbox(() => worker.wake());
  backend.wakeups?.onDeadline(() => deadlines.rearm());

  return {
    ...useCases,
    mode: env.mode,
    backend,
    settings: () => options.config,
    clock,
    logger,
    store,
    events,
    metrics,
    worker,
    deadlines,
    slack,
    home,
    companies,
    /** From now on /healthz says `shutting_down`. */
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}

export type Services = Awaited<ReturnType<typeof buildServices>>;
