/**
 * Sandbox mode: the real bot in HTTP mode against the built-in Slack stand-in, with the
 * page at `/` on the bot's own port. The bot talks to the stand-in exactly as to Slack (Web API over
 * HTTP with its bot token; signed requests to its `/slack/events`), so everything seen on the page
 * went through the production code paths.
 */
import { randomBytes } from 'node:crypto';
import type { Env } from '../config/env.ts';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../adapters/logger.ts';
import type { StoreBackend } from '../adapters/storeBackend.ts';
import { LEAD_STATES } from '../domain/lead.ts';
import { startLeadrelay, type RunningLeadrelay } from '../leadrelay.ts';
import type { CompanyTableFile } from '../adapters/enrichment/companyTable.ts';
import type { Registry } from 'prom-client';
import { formatDuration } from '../domain/duration.ts';
import { sandboxWorkspace } from './sandboxDirectory.ts';
import { keepWorkspace, savedWorkspacePath, type WorkspaceKeeper } from './savedWorkspace.ts';
import { SandboxEvents, sandboxRoutes } from './sandboxRoutes.ts';
import { isSamplePreset, sendSampleHook } from './sampleHooks.ts';
import { resolveSourceSecrets } from '../adapters/sources/sourceSecrets.ts';
import { startSlackStandIn, type SlackStandIn } from './slackStandIn.ts';

export interface SandboxOptions {
  /** The environment (mode `sandbox`): PORT, LEADRELAY_WEBHOOK_SECRET (generated when unset), LOG_LEVEL. */
  env: Env;
  config: Config;
  /** As the person gave it (shown on the page). */
  configLabel: string;
  /** Set when the SLA was shortened for the sandbox: what it was. */
  originalClaimWithinMs?: number;
  /** The database the bot runs on (see LeadrelayOptions.backend); the caller closes it after stop. */
  backend: StoreBackend;
  clock: Clock;
  logger: Logger;
  /** Default true; tests with a fake clock drive the timers themselves. */
  timers?: boolean;
  /** The enrichment company table as main.ts opened it (see LeadrelayOptions.companies). */
  companies?: CompanyTableFile | null;
  /** Where GET /metrics collects from (see LeadrelayOptions.metricsRegistry). */
  metricsRegistry?: Registry;
  /** The lead sources' signing secrets by source id (main.ts generates the ones not set). */
  sourceSecrets?: Readonly<Record<string, string>>;
}

export interface RunningSandbox {
  port: number;
  /** The generated (or given) secret the page and curl use for POST /leads. */
  webhookSecret: string;
  slack: SlackStandIn;
  bot: RunningLeadrelay;
  /** Where the stand-in's workspace is kept (beside LEADRELAY_DB), and whether it was restored; null in memory. */
  savedWorkspace: { path: string; restored: WorkspaceKeeper['restored'] } | null;
  /** SIGHUP: re-reads the enrichment company table. */
  reloadCompanies(): void;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const { env, config, clock, logger } = options;
  const signingSecret = randomBytes(16).toString('hex');
  const webhookSecret = env.webhookSecret ?? randomBytes(18).toString('base64url');
  const seed = sandboxWorkspace(config);
  const slack = await startSlackStandIn({
    signingSecret,
    botToken: `xoxb-sandbox-${randomBytes(6).toString('hex')}`,
    teamName: 'leadrelay sandbox',
    teamDomain: 'leadrelay-sandbox',
    users: seed.users,
    channels: seed.channels.map((c) => ({ id: c.id, name: c.name })),
    socketMode: false,
    // Messages carry the sandbox's clock, so the page's times agree with the cards' deadlines; requests
    // are stamped with real time, since Bolt checks signatures against its own real clock.
    clock,
    requestClock: { now: () => Date.now() },
  });
  // Kept beside the SQLite file. On PostgreSQL each instance would run a stand-in of its own: in memory.
  const workspacePath = options.backend.kind === 'sqlite' ? savedWorkspacePath(env.dbPath) : null;
  const hasLeads = async () => {
    const counts = await options.backend.store.uow.read((tx) => Promise.all(LEAD_STATES.map((state) => tx.leads.countInState(state))));
    return counts.some((n) => n > 0);
  };
  // Restored before the bot starts, so that the deliveries it resumes find their messages.
  const keeper = workspacePath === null ? null : keepWorkspace(slack, workspacePath, await hasLeads(), logger);
  const events = new SandboxEvents(slack);
  const claimWithin = formatDuration(config.sla.claimWithin);
  const sla = options.originalClaimWithinMs === undefined ? `claim within ${claimWithin}` : `claim within ${claimWithin} (shortened from ${formatDuration(options.originalClaimWithinMs)} for the sandbox)`;
  // Every source with its secret: as given (main.ts reads them from the environment), else made up
  // like the webhook secret; a generic source without secret_env checks the webhook secret.
  const madeUp = resolveSourceSecrets(config.sources, {}, { webhookSecret, generate: true });
  const sourceSecrets = { ...(madeUp.ok ? madeUp.secrets : {}), ...options.sourceSecrets };
  const sources = config.sources.map((source) => ({ source, secret: sourceSecrets[source.id] ?? webhookSecret }));
  let botUrl = '';
  const hooks = {
    sources: sources.map(({ source, secret }) => ({ id: source.id, preset: source.preset, secret_env: source.secret_env ?? 'LEADRELAY_WEBHOOK_SECRET', secret })),
    send: (preset: string) => {
      const found = sources.find(({ source }) => source.preset === preset);
      if (!found || !isSamplePreset(found.source.preset)) return undefined;
      const source = { ...found.source, preset: found.source.preset };
      return sendSampleHook(source, found.secret, { baseUrl: botUrl, publicUrl: env.publicUrl, nowMs: clock.now(), stamp: Date.now().toString(36).slice(-6) });
    },
  };
  const routes = sandboxRoutes({ slack, directory: seed, info: { config: options.configLabel, sla, webhookSecret }, now: () => clock.now(), hooks }, events);
  let bot: RunningLeadrelay;
  try {
    bot = await startLeadrelay({
      env: { ...env, mode: 'http', botToken: slack.botToken, signingSecret, slackApiUrl: slack.apiUrl, webhookSecret },
      config,
      backend: options.backend,
      clock,
      logger,
      ...(options.timers !== undefined ? { timers: options.timers } : {}),
      ...(options.companies !== undefined ? { companies: options.companies } : {}),
      ...(options.metricsRegistry !== undefined ? { metricsRegistry: options.metricsRegistry } : {}),
      sourceSecrets,
      extraRoutes: routes,
    });
  } catch (error) {
    events.close();
    keeper?.close();
    await slack.close();
    throw error;
  }
  slack.setRequestUrl(`http://127.0.0.1:${bot.port}/slack/events`);
  botUrl = `http://127.0.0.1:${bot.port}`;
  return {
    port: bot.port,
    webhookSecret,
    slack,
    bot,
    savedWorkspace: keeper === null || workspacePath === null ? null : { path: workspacePath, restored: keeper.restored },
    reloadCompanies: () => bot.reloadCompanies(),
    async stop() {
      events.close();
      await bot.stop();
      keeper?.flush();
      keeper?.close();
      await slack.close();
    },
  };
}
