import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { join } from 'node:path';
import { packageRoot } from './adapters/packageRoot.ts';
import { createAcceptLead, type RoutingAttempt } from './app/acceptLead.ts';
import type { Config } from './config/schema.ts';
import type { Env } from './config/env.ts';
import type { Clock } from './domain/clock.ts';
import { createHealthzRoute } from './adapters/http/healthzRoute.ts';
import { createLeadsRoute, type LeadAnswer } from './adapters/http/leadsRoute.ts';
import { createHookRoute } from './adapters/http/hooksRoute.ts';
import { compileSourceMapping } from './adapters/sources/compileSourceMapping.ts';
import { createMetricsRoute } from './adapters/http/metricsRoute.ts';
import type { HttpRoute } from './adapters/http/httpRoutes.ts';
import { leadEventLog, type Logger } from './adapters/logger.ts';
import { createMetrics } from './adapters/metrics/leadrelayMetrics.ts';
import { registerLeadsCommand } from './adapters/slack/commands/leadsCommand.ts';
import { registerAwayCommand } from './adapters/slack/commands/awayCommand.ts';
import { registerOwnerCommand } from './adapters/slack/commands/ownerCommand.ts';
import { registerReassignCommand } from './adapters/slack/commands/reassignCommand.ts';
import { createAvailability } from './app/availability.ts';
import { createAccountOwners } from './app/accountOwners.ts';
import { createRecordSignal } from './app/recordSignal.ts';
import { createSignalsRoute } from './adapters/http/signalsRoute.ts';
import { sqliteSignalStore } from './adapters/sqlite/sqliteSignalStore.ts';
import { registerAppHome } from './adapters/slack/appHome.ts';
import { sqliteReadModels } from './adapters/sqlite/sqliteReadModels.ts';
import { createSlackApp } from './adapters/slack/createSlackApp.ts';
import type { Db } from './adapters/sqlite/openDatabase.ts';
import { sqliteLeadStore } from './adapters/sqlite/sqliteLeadStore.ts';
import { sqliteOfferStore } from './adapters/sqlite/sqliteOfferStore.ts';
import { sqliteOutboxStore } from './adapters/sqlite/sqliteOutboxStore.ts';
import { sqliteRoutingStore } from './adapters/sqlite/sqliteRoutingStore.ts';
import { createDeferredWrites } from './adapters/sqlite/deferredWrites.ts';
import { createOutboxWorker } from './adapters/outbox/outboxWorker.ts';
import { createWebhookDeliverer } from './adapters/outbox/deliverWebhook.ts';
import { createResponseUrlPoster, createSlackCaller, createSlackDeliverer } from './adapters/slack/deliverSlackCall.ts';
import { createCardDeliverer } from './adapters/slack/deliverCard.ts';
import { createCardModels } from './adapters/slack/cardModels.ts';
import { createSlackPacer } from './adapters/slack/slackPacer.ts';
import { renderSeenAgain } from './adapters/slack/renderThreadNote.ts';
import { dedupeSlackDeliveries } from './adapters/slack/dedupeDeliveries.ts';
import { registerOfferActions } from './adapters/slack/actions/registerOfferActions.ts';
import { registerFullMessageAction } from './adapters/slack/actions/registerFullMessageAction.ts';
import { createOfferLifecycle } from './app/offerLifecycle.ts';
import { startScheduler } from './adapters/scheduler/startScheduler.ts';
import { createLeadRouter } from './app/routeLead.ts';
import { createLeadEnricher } from './app/enrichLead.ts';
import { openCompanyTable, type CompanyTableFile } from './adapters/enrichment/companyTable.ts';
import { createHttpEnricher } from './adapters/enrichment/httpEnricher.ts';

export const VERSION: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

export interface LeadrelayOptions {
  env: Env;
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Run the every-second scheduler and the outbox timers (default true; tests with a fake clock drive them). */
  timers?: boolean;
  /** More HTTP routes on the same port (the sandbox page). */
  extraRoutes?: HttpRoute[];
  /**
   * The company table of `enrichment.companies`, as main.ts opened it (so a bad file stops start-up
   * with its errors); when absent it is opened here, relative to `env.configPath`'s folder.
   */
  companies?: CompanyTableFile | null;
  /** Where GET /metrics collects from (main.ts adds the process metrics); default a fresh registry of this bot's own. */
  metricsRegistry?: Registry;
  /**
   * The instance lease on the database (one writer on SQLite), held by main.ts: the outbox delivers
   * only while it is held, and /healthz names the instance. Absent (tests): always held.
   */
  lease?: { holder: string; held(): boolean };
  /**
   * The signing secret of each `sources:` entry with a `secret_env`, by source id (main.ts reads them
   * from the environment, see resolveSourceSecrets); a generic source without one uses the webhook secret.
   */
  sourceSecrets?: Readonly<Record<string, string>>;
}

export interface RunningLeadrelay {
  port: number;
  /** The use cases, for tests that drive time with a fake clock. */
  router: ReturnType<typeof createLeadRouter>;
  lifecycle: ReturnType<typeof createOfferLifecycle>;
  availability: ReturnType<typeof createAvailability>;
  outbox: ReturnType<typeof createOutboxWorker>;
  /** Reads `enrichment.companies` again (SIGHUP); a bad file keeps the previous table and says why. */
  reloadCompanies(): { ok: true; size: number } | { ok: false; errors: string[] };
  /** Stops taking requests, finishes in-flight work. The caller closes the database. */
  stop(): Promise<void>;
}

/**
 * Builds the services around an open database and starts serving: the composition root shared by
 * main.ts and the end-to-end tests (which pass a fake clock and the Slack stand-in's URL).
 */
export async function startLeadrelay(options: LeadrelayOptions): Promise<RunningLeadrelay> {
  const { env, db, clock, logger } = options;
  if (env.mode === 'sandbox') throw new Error('sandbox mode is not available yet: set SLACK_BOT_TOKEN');
  if (!env.botToken || !env.webhookSecret) throw new Error('SLACK_BOT_TOKEN and LEADRELAY_WEBHOOK_SECRET are required');
  const config = () => options.config;
  let companies = options.companies;
  if (companies === undefined) {
    const opened = openCompanyTable(options.config, env.configPath);
    if (!opened.ok) throw new Error(opened.errors.join('\n'));
    companies = opened.file;
  }
  const companyTable = companies;
  const enrichmentWebhook = options.config.enrichment?.webhook;
  const enricher = createLeadEnricher({
    companies: companyTable ? () => companyTable.table() : null,
    webhook: enrichmentWebhook
      ? createHttpEnricher({ url: enrichmentWebhook, secret: env.webhookSecret, timeoutMs: options.config.enrichment?.timeout ?? 2000, now: () => clock.now() })
      : null,
  });
  const leads = sqliteLeadStore(db);
  const outbox = sqliteOutboxStore(db);
  const webhookSecret = env.webhookSecret;
  let shuttingDown = false;

  const metrics = createMetrics(
    options.metricsRegistry ?? new Registry(),
    {
      outboxBacklog: () => outbox.backlog(clock.now()),
      waitingLeads: () => leads.countWaiting(),
      failingWebhooks: () => outbox.failingWebhooks(),
      now: () => clock.now(),
    },
    { version: VERSION, mode: env.mode },
  );
  // The use cases log each committed change of a lead (one line each), then tell the metrics.
  const onLeadEvent = metrics.leadEvent;
  const tellIntake = leadEventLog(logger, onLeadEvent);
  const onLeadAnswered = (answer: LeadAnswer) => {
    metrics.leadReceived(answer.source, answer.status);
    const at = clock.now();
    if (answer.status === 'accepted') tellIntake({ event: 'lead.received', leadId: answer.leadId, at, receivedAt: at, by: 'api', source: answer.source });
    else if (answer.status === 'duplicate') tellIntake({ event: 'lead.duplicate', leadId: answer.leadId, at, by: 'api', source: answer.source, reason: answer.reason });
  };

  const offers = sqliteOfferStore(db);
  const call = createSlackCaller({ botToken: env.botToken, slackApiUrl: env.slackApiUrl, pacer: createSlackPacer(), now: () => clock.now(), onCall: metrics.slackCall });
  // Rows pending at start may have reached Slack just before a crash: their cards are looked up before being posted again.
  const maybeInFlight = new Set(outbox.pendingIds());
  let lifecycle: ReturnType<typeof createOfferLifecycle> | undefined = undefined;
  // Bound once the App Home is registered (it needs the Bolt app, which needs the routes).
  let touchHome: (userId: string) => void = () => undefined;
  // Delivered outbox rows are recorded with the next commit that happens anyway (an arriving lead's),
  // or on their own within 20 ms: under a steady flow of leads a card's delivery costs no fsync.
  const deferred = createDeferredWrites(db, { maxDelayMs: 20 });
  const lease = options.lease;
  const worker = createOutboxWorker({
    outbox,
    deferred,
    clock,
    logger,
    ...(lease ? { mayDeliver: () => lease.held() } : {}),
    deliverers: {
      slack: createSlackDeliverer(call),
      card: createCardDeliverer({
        call,
        respond: createResponseUrlPoster({ onCall: metrics.slackCall }),
        responseUrls: outbox,
        leads,
        offers,
        models: createCardModels({ db, leads, offers, config }),
        config,
        now: () => clock.now(),
        maybeInFlight,
        touched: (userId) => touchHome(userId),
      }),
      // Each CRM webhook may have its own secret; sequences and the rest sign with LEADRELAY_WEBHOOK_SECRET.
      webhook: createWebhookDeliverer({ secret: (url) => config().webhooks.find((w) => w.url === url)?.secret ?? webhookSecret, now: () => clock.now() }),
    },
    onSettled: (row, settlement) => {
      if (row.kind !== 'webhook' || settlement.result === 'deferred') return;
      metrics.webhookDelivery((row.payload as { url: string }).url, row.method, settlement.result === 'done' ? 'ok' : settlement.result);
    },
    onFailed: (row, error) => {
      if (row.lead_id !== null) leads.appendHistory(row.lead_id, clock.now(), 'system', 'delivery_failed', { method: row.method, error });
      if (row.kind === 'card' && row.method === 'post_offer_card') lifecycle?.offerUndeliverable(Number((row.payload as { offerId: number }).offerId));
    },
  });
  const router = createLeadRouter({
    db,
    leads,
    offers,
    routing: sqliteRoutingStore(db),
    outbox,
    clock,
    config,
    logger,
    onLeadEvent,
    onEffects: () => worker.wake(),
    enricher,
  });
  const recordSignal = createRecordSignal({ db, leads, offers, signals: sqliteSignalStore(db), outbox, router, clock, config, logger, onLeadEvent, onEffects: () => worker.wake() });
  lifecycle = createOfferLifecycle({ db, leads, offers, outbox, router, clock, config, logger, onLeadEvent, onEffects: () => worker.wake() });
  /** Enrichment and routing under way (stop waits for them). */
  const routing = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const pending = work.finally(() => routing.delete(pending));
    routing.add(pending);
  };
  const routeAccepted = (leadId: number) =>
    track(router.routeSoon(leadId).catch((error: unknown) => logger.error({ err: error, lead: `L-${leadId}` }, 'routing failed; the lead stays received and is retried at the next start')));

  // One intake for POST /leads and every /hooks/<id>: the same validation, dedupe, storage and routing.
  const intake = {
    acceptLead: createAcceptLead({
      db,
      leads,
      clock,
      config,
      // New leads are routed in the commit that stores them, unless enrichment comes first.
      ...(enricher.configured ? {} : { router }),
      deferred,
      onSeenAgain: (leadId, source, now) => {
        lifecycle?.noteSeenAgain(leadId, renderSeenAgain(source, now).text, now);
        worker.wake();
      },
    }),
    onAnswered: onLeadAnswered,
    onAccepted: (leadId: number, routing: RoutingAttempt | undefined) => {
      // Routed in the commit that stored it, unless enrichment must come first (it is network I/O,
      // never inside a transaction): then it is enriched and routed now, after the answer.
      if (routing?.ok) router.committed(leadId, routing.outcome);
      else {
        if (routing) logger.error({ err: routing.error, lead: `L-${leadId}` }, 'routing in the accepting commit failed; routing the lead again');
        routeAccepted(leadId);
      }
    },
  };
  const hookRoutes: HttpRoute[] = options.config.sources.map((source) => {
    const secret = options.sourceSecrets?.[source.id] ?? (source.secret_env === undefined ? env.webhookSecret : undefined);
    if (secret === undefined) throw new Error(`${source.secret_env} is not set: source "${source.id}" cannot check the requests to /hooks/${source.id}`);
    return {
      method: 'POST',
      path: `/hooks/${source.id}`,
      // Compiled once, here: a request only evaluates it.
      handler: createHookRoute({ ...intake, mapping: compileSourceMapping(source), secret, publicUrl: env.publicUrl, clock, logger }),
    };
  });

  const routes: HttpRoute[] = [
    {
      method: 'POST',
      path: '/leads',
      handler: createLeadsRoute({ webhookSecret: env.webhookSecret, clock, ...intake }),
    },
    ...hookRoutes,
    {
      method: 'POST',
      path: '/signals',
      handler: createSignalsRoute({
        webhookSecret: env.webhookSecret,
        clock,
        recordSignal,
      }),
    },
    {
      method: 'GET',
      path: '/healthz',
      handler: createHealthzRoute({
        version: VERSION,
        mode: env.mode,
        ...(lease ? { instance: lease.holder } : {}),
        outboxBacklog: () => outbox.backlog(clock.now()),
        failingWebhooks: () => outbox.failingWebhooks(),
        now: () => clock.now(),
        shuttingDown: () => shuttingDown,
      }),
    },
    ...(options.extraRoutes ?? []),
    { method: 'GET', path: '/metrics', handler: createMetricsRoute(metrics.render) },
  ];

  const slack = createSlackApp({
    mode: env.mode,
    botToken: env.botToken,
    signingSecret: env.signingSecret,
    appToken: env.appToken,
    slackApiUrl: env.slackApiUrl,
    port: env.port,
    routes,
    logger,
    onSlackCall: metrics.slackCall,
  });
  const people = config;
  dedupeSlackDeliveries(slack.app, { db, clock });
  const readModels = sqliteReadModels(db);
  const availability = createAvailability({ db, outbox, lifecycle, router, clock, logger, onEffects: () => worker.wake() });
  const home = registerAppHome(slack.app, { config, readModels, availability, lifecycle, clock, logger, botToken: env.botToken });
  touchHome = home.touched;
  registerLeadsCommand(slack.app, { logger, config, leads, readModels, lifecycle, clock, touched: home.touched });
  registerAwayCommand(slack.app, { logger, config, availability, clock, touched: home.touched });
  registerReassignCommand(slack.app, { logger, config, lifecycle, leads });
  registerOwnerCommand(slack.app, { logger, config, accountOwners: createAccountOwners({ db, clock, config, logger }) });
  registerOfferActions(slack.app, { lifecycle, people, logger, touched: home.touched });
  registerFullMessageAction(slack.app, { leads, logger });

  // Leads answered 202 before a crash but not yet routed are enriched and routed (in the background:
  // an enrichment webhook may take up to its timeout), and the holding queue comes first.
  // Deadlines live in the database: offers that expired while the bot was down are acted on now.
  track(router.routeReceived().catch((error: unknown) => logger.error({ err: error }, 'routing the leads received before the restart failed; retried at the next start')));
  lifecycle.expireDue();
  availability.returnDue();
  router.rerouteQueued();
  const timers = options.timers ?? true;
  const offerLifecycle = lifecycle;
  // Besides the every-second sweep, a timer fires at the next deadline itself, so an offer expires
  // within milliseconds of it rather than up to a second late.
  let deadlineTimer: NodeJS.Timeout | undefined;
  // One run of due expiries at a time, yielding between batches of 1,000 (see expireDueSoon); the timer and the
  // sweep join the run under way rather than start a second one.
  let expiring: Promise<number> | undefined;
  const expireSoon = () => {
    if (expiring) return expiring;
    expiring = offerLifecycle.expireDueSoon().finally(() => {
      expiring = undefined;
    });
    // The cards the burst causes wait until it is done, so that they do not slow it down.
    worker.holdUntil(expiring);
    return expiring;
  };
  const armDeadlineTimer = () => {
    if (!timers || shuttingDown) return;
    if (deadlineTimer) clearTimeout(deadlineTimer);
    const next = offerLifecycle.nextDeadlineAt();
    if (next === null) return;
    deadlineTimer = setTimeout(() => {
      void expireSoon()
        .catch((error: unknown) => logger.error({ err: error }, 'expiring offers failed'))
        .finally(armDeadlineTimer);
    }, Math.min(Math.max(0, next - clock.now()), 60_000));
    deadlineTimer.unref();
  };
  // Clicks' response URLs Slack no longer takes (30 minutes) are dropped, every ten minutes.
  let responseUrlsSweptAt = 0;
  const forgetResponseUrls = () => {
    const now = clock.now();
    if (now - responseUrlsSweptAt < 10 * 60_000) return;
    responseUrlsSweptAt = now;
    outbox.forgetExpiredResponseUrls(now);
  };
  const scheduler = timers
    ? startScheduler(
        [
          {
            name: 'deadlines',
            run: async () => {
              try {
                await expireSoon();
              } finally {
                armDeadlineTimer();
              }
            },
          },
          { name: 'reminders', run: () => void offerLifecycle.remindDue() },
          { name: 'escalation-repings', run: () => void offerLifecycle.repingDue() },
          { name: 'away-returns', run: () => void availability.returnDue() },
          { name: 'app-home', run: () => home.flush() },
          { name: 'response-urls', run: () => void forgetResponseUrls() },
          { name: 'holding-queue', run: () => void (router.queueCheckDue() && router.rerouteQueued()) },
        ],
        logger,
      )
    : undefined;
  if (timers) {
    worker.start();
    armDeadlineTimer();
  }

  const port = await slack.start();
  logger.info({ mode: env.mode, port, version: VERSION }, 'leadrelay is running');
  return {
    port,
    router,
    lifecycle: offerLifecycle,
    availability,
    outbox: worker,
    reloadCompanies() {
      if (!companyTable) {
        logger.info({ event: 'companies.reload_skipped' }, 'no company table to reload (enrichment.companies is not set)');
        return { ok: false, errors: ['enrichment.companies is not set in the config'] };
      }
      const result = companyTable.reload();
      if (result.ok) logger.info({ event: 'companies.reloaded', file: companyTable.shownAs, companies: result.size }, 'company table reloaded');
      else logger.error({ event: 'companies.reload_failed', file: companyTable.shownAs, errors: result.errors }, 'company table NOT reloaded: the previous one stays in use');
      return result;
    },
    async stop() {
      shuttingDown = true;
      await slack.stop();
      // Enrichment and routing under way, and a run of expiries, finish before the database closes.
      await Promise.all(routing);
      if (deadlineTimer) clearTimeout(deadlineTimer);
      await expiring?.catch(() => 0);
      await scheduler?.stop();
      await worker.stop();
      logger.info('leadrelay stopped');
    },
  };
}
