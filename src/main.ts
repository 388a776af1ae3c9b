/**
 * `npm start`: wiring only. Reads the environment, the config and its company table, opens and
 * migrates the database, starts the bot, reloads the company table on SIGHUP, and shuts down cleanly
 * on SIGTERM/SIGINT. Every start-up problem ends in one clear message naming the variable, file or
 * migration, and exit code 1.
 */
import { relative } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EXAMPLE_CONFIG_PATH, parseEnv } from './config/env.ts';
import { formatConfigErrors, loadConfig } from './config/loadConfig.ts';
import { createLogger } from './adapters/logger.ts';
import { systemClock } from './adapters/systemClock.ts';
import { instanceName } from './adapters/instanceName.ts';
import { openCompanyTable } from './adapters/enrichment/companyTable.ts';
import { resolveSourceSecrets } from './adapters/sources/sourceSecrets.ts';
import { startLeadrelay } from './leadrelay.ts';
import { openPostgresBackend, openSqlite } from './openBackend.ts';
import { startSandbox } from './sandbox/startSandbox.ts';
import { withShortSla } from './sandbox/sandboxDirectory.ts';

/** Sandbox mode with the example config: offers expire after a minute, so the whole cycle shows in minutes. */
const SANDBOX_CLAIM_WITHIN_MS = 60_000;

function fail(lines: string[]): never {
  process.stderr.write(`leadrelay cannot start:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  process.exit(1);
}

const envResult = parseEnv(process.env);
if (!envResult.ok) fail(envResult.errors);
const env = envResult.env;
const configResult = loadConfig(env.configPath);
if (!configResult.ok) fail(formatConfigErrors(env.configPath, configResult.errors).split('\n'));
const companies = openCompanyTable(configResult.config, env.configPath);
if (!companies.ok) fail(companies.errors);
// Each lead source's signing secret, from the variable its secret_env names (the sandbox makes up the missing ones).
const sourceSecrets = resolveSourceSecrets(configResult.config.sources, process.env, { webhookSecret: env.webhookSecret, generate: env.mode === 'sandbox' });
if (!sourceSecrets.ok) fail(sourceSecrets.errors);

// Every line this instance logs names it: with several instances on PostgreSQL their logs interleave.
const instance = instanceName();
const logger = createLogger(env.logLevel).child({ instance });
// A stray rejection in a library callback is logged, never a crash: leads keep flowing.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
// SIGHUP re-reads the enrichment company table (not the config: restart for that); a bad file is
// logged and the previous table stays in use. Listening from before the start, so that a SIGHUP
// sent as soon as the bot says it is running never meets the default action (exit); one that
// arrives while starting is acted on once started.
let hangupWhileStarting = false;
let onHangup: () => void = () => (hangupWhileStarting = true);
process.on('SIGHUP', () => onHangup());
// Likewise SIGTERM/SIGINT: one that arrives while starting stops the bot as soon as it has started.
let stopWhileStarting: string | undefined;
let onStop: (signal: string) => void = (signal) => (stopWhileStarting = signal);
process.on('SIGTERM', () => onStop('SIGTERM'));
process.on('SIGINT', () => onStop('SIGINT'));
// GET /metrics also shows the process: CPU, memory, event-loop lag, GC (process_*, nodejs_*).
const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

// The database: PostgreSQL with DATABASE_URL (every instance serves), else the SQLite file, where
// only the instance holding the lease serves and any other waits on standby.
const opened = await (env.databaseUrl === undefined
  ? openSqlite({ dbPath: env.dbPath, instance, logger, port: env.port, mode: env.mode, stopRequested: () => stopWhileStarting !== undefined })
  : openPostgresBackend(env.databaseUrl, { instance, logger })
).catch((error: unknown): never => fail([(error as Error).message]));
if (opened === 'stopped') {
  logger.info({ signal: stopWhileStarting }, 'stopped while on standby');
  process.exit(0);
}
const { backend } = opened;
logger.info({ event: 'store.opened', store: backend.kind }, backend.kind === 'postgres' ? 'running on PostgreSQL: every instance serves' : 'running on SQLite');
const startFailed = async (error: unknown): Promise<never> => {
  await opened.close().catch(() => undefined);
  fail([(error as Error).message]);
};

let running: { stop(): Promise<void>; reloadCompanies(): void };
if (env.mode === 'sandbox') {
  const example = env.configPath === EXAMPLE_CONFIG_PATH;
  const config = example ? withShortSla(configResult.config, SANDBOX_CLAIM_WITHIN_MS) : configResult.config;
  const configLabel = relative(process.cwd(), env.configPath) || env.configPath;
  const sandbox = await startSandbox({
    env,
    config,
    configLabel,
    ...(config !== configResult.config ? { originalClaimWithinMs: configResult.config.sla.claimWithin } : {}),
    backend,
    clock: systemClock,
    logger,
    companies: companies.file,
    metricsRegistry,
    sourceSecrets: sourceSecrets.secrets,
  }).catch(startFailed);
  running = sandbox;
  const url = `http://localhost:${sandbox.port}/`;
  process.stdout.write(
    [
      '',
      `  leadrelay sandbox: open ${url}`,
      '',
      `  No Slack workspace needed: a built-in Slack stand-in plays Slack, and the page shows each person's`,
      `  DMs with the bot, the escalation channel and App Homes. Config: ${configLabel}${example ? ' (claim_within 1m for the sandbox)' : ''}.`,
      ...(backend.kind === 'postgres'
        ? ["  Leads are kept in PostgreSQL (DATABASE_URL), the stand-in's Slack messages in memory. Send one from your shell:"]
        : sandbox.savedWorkspace === null
          ? ['  Leads are kept in memory (set LEADRELAY_DB to keep them). Send one from your shell:']
          : [
              `  Leads are kept in ${env.dbPath}, the stand-in's Slack messages beside it in ${sandbox.savedWorkspace.path}`,
              `  (${sandbox.savedWorkspace.restored === 'restored' ? 'restored from the last run' : sandbox.savedWorkspace.restored === 'new' ? 'a new workspace' : 'not found: the earlier messages are gone'}). Send a lead from your shell:`,
            ]),
      '',
      `    curl -X POST ${url}leads -H 'Authorization: Bearer ${sandbox.webhookSecret}' \\`,
      `      -H 'Content-Type: application/json' -d '{"email":"jane@acme.com","name":"Jane Doe","score":90}'`,
      '',
      '  To run against Slack instead, see README.md ("Slack setup"). Ctrl-C stops.',
      '',
      '',
    ].join('\n'),
  );
} else {
  running = await startLeadrelay({ env, config: configResult.config, backend, clock: systemClock, logger, companies: companies.file, metricsRegistry, sourceSecrets: sourceSecrets.secrets }).catch(startFailed);
}

let stopping = false;
onHangup = () => {
  if (!stopping) running.reloadCompanies();
};
if (hangupWhileStarting) onHangup();
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  try {
    await running.stop();
  } finally {
    await opened.close().catch((error: unknown) => logger.error({ err: error }, 'closing the database failed'));
    process.exit(0);
  }
};
onStop = (signal) => void shutdown(signal);
if (stopWhileStarting !== undefined) onStop(stopWhileStarting);
