/**
 * The composition root's last part: recovery at start (leads received but not routed, deadlines
 * that passed while the bot was down, away times that ended, the holding queue), the timers (the
 * outbox, the deadline timer and the every-second sweep), serving, and stopping in order.
 */
import { startScheduler } from './adapters/scheduler/startScheduler.ts';
import type { Services } from './buildServices.ts';

/** Clicks' response URLs Slack no longer takes (30 minutes) are dropped this often. */
const RESPONSE_URL_SWEEP_MS = 10 * 60_000;

/**
 * Leads accepted (202) but still `received` this long after are routed by the sweep: their
 * instance died with them waiting in its memory (several instances on PostgreSQL: another instance
 * routes them), or their routing failed. An instance routes its own arrivals within milliseconds.
 */
const RECEIVED_STALE_MS = 10_000;
/** How often the sweep looks for them. */
const RECEIVED_SWEEP_MS = 5_000;

/** The every-second sweep's jobs besides the deadlines: reminders, re-pings, returns, App Homes, response URLs, the holding queue. */
function sweepJobs(services: Services) {
  const { lifecycle, availability, router, home, store, clock } = services;
  let responseUrlsSweptAt = 0;
  let receivedSweptAt = 0;
  return [
    services.deadlines.job,
    { name: 'reminders', run: async () => void (await lifecycle.remindDue()) },
    { name: 'escalation-repings', run: async () => void (await lifecycle.repingDue()) },
    { name: 'away-returns', run: async () => void (await availability.returnDue()) },
    { name: 'app-home', run: () => home.flush() },
    {
      name: 'response-urls',
      run: async () => {
        const now = clock.now();
        if (now - responseUrlsSweptAt < RESPONSE_URL_SWEEP_MS) return;
        responseUrlsSweptAt = now;
        await store.uow.run((tx) => tx.outbox.forgetExpiredResponseUrls(now));
      },
    },
    {
      name: 'received-leads',
      run: async () => {
        const now = clock.now();
        if (now - receivedSweptAt < RECEIVED_SWEEP_MS) return;
        receivedSweptAt = now;
        const routed = await router.routeReceived({ receivedBefore: now - RECEIVED_STALE_MS });
        if (routed > 0) services.logger.warn({ event: 'leads.routed_late', leads: routed }, 'routed leads that were accepted but not routed (their instance stopped before routing them, or routing failed)');
      },
    },
    { name: 'holding-queue', run: async () => void ((await router.queueCheckDue()) && (await router.rerouteQueued())) },
  ];
}

/**
 * Starts the bot: recovers, arms the timers (unless `timers` is false: tests with a fake clock drive
 * them), and serves; resolves with the port once requests can be served.
 */
export async function startRuntime(services: Services, options: { timers: boolean; version: string }) {
  const { router, deadlines, availability, worker, slack, logger } = services;
  // Leads answered 202 before a crash but not yet routed are enriched and routed (in the background:
  // an enrichment webhook may take up to its timeout); deadlines live in the database: offers that
  // expired while the bot was down are acted on now; then the holding queue.
  const recovering = router.routeReceived().catch((error: unknown) => logger.error({ err: error }, 'routing the leads received before the restart failed; retried at the next start'));
  await deadlines.expireDue();
  await availability.returnDue();
  await router.rerouteQueued();
  const scheduler = options.timers ? startScheduler(sweepJobs(services), logger) : undefined;
  if (options.timers) {
    worker.start();
    await deadlines.start();
  }
  const port = await slack.start();
  logger.info({ mode: services.mode, port, version: options.version }, 'leadrelay is running');
  return {
    port,
    /** Stops taking requests, finishes in-flight work (routing, a run of expiries, deliveries). The caller closes the database. */
    async stop(): Promise<void> {
      services.beginShutdown();
      await slack.stop();
      await recovering;
      await router.idle();
      await deadlines.stop();
      await scheduler?.stop();
      await worker.stop();
      logger.info('leadrelay stopped');
    },
  };
}
