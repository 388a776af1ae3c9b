/**
 * `npm start`: wiring only. Reads the environment, the config and its company table, opens and
 * migrates the database, starts the bot, reloads the company table on SIGHUP, and shuts down cleanly
 * on SIGTERM/SIGINT. Every start-up problem ends in one clear message naming the variable, file or
 * migration, and exit code 1.
 */
import { relative } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EXAMPLE_CONFIG_PATH, parseEnv, shownDatabaseUrl } from './config/env.ts';
import { formatConfigErrors, loadConfig } from './config/loadConfig.ts';
import { createLogger } from './adapters/logger.ts';
import { systemClock } from './adapters/systemClock.ts';
import { openDatabase } from './adapters/sqlite/openDatabase.ts';
import { openCompanyTable } from './adapters/enrichment/companyTable.ts';
import { resolveSourceSecrets } from './adapters/sources/sourceSecrets.ts';
import { startLeadrelay, VERSION } from './leadrelay.ts';
import { sqliteInstanceLease } from './adapters/sqlite/sqliteInstanceLease.ts';
import { startStandbyServer } from './adapters/http/standbyServer.ts';
import { startSandbox } from './sandbox/startSandbox.ts';
import { withShortSla } from './sandbox/sandboxDirectory.ts';

/** How often a waiting instance checks the lease, and how often the holder renews it (it lasts 6 s). */
const LEASE_POLL_MS = 500;
const LEASE_HEARTBEAT_MS = 2000;

/** Sandbox mode with the example config: offers expire after a minute, so the whole cycle shows in minutes. */
const SANDBOX_CLAIM_WITHIN_MS = 60_000;

function fail(lines: string[]): never {
  process.stderr.write(`leadrelay cannot start:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  process.exit(1);
}

const envResult = parseEnv(process.env);
if (!envResult.ok) fail(envResult.errors);
const env = envResult.env;
// The bot itself runs on SQLite until the PostgreSQL store is in: never silently ignore DATABASE_URL.
if (env.databaseUrl !== undefined) {
  fail([
    `DATABASE_URL is set (${shownDatabaseUrl(env.databaseUrl)}), but this version of leadrelay runs the bot on SQLite only: ` +
      'unset DATABASE_URL to run it on SQLite at LEADRELAY_DB (the commands migrate-store, export and backup already work with PostgreSQL)',
  ]);
}

const configResult = loadConfig(env.configPath);
if (!configResult.ok) fail(formatConfigErrors(env.configPath, configResult.errors).split('\n'));
const companies = openCompanyTable(configResult.config, env.configPath);
if (!companies.ok) fail(companies.errors);
// Each lead source's signing secret, from the variable its secret_env names (the sandbox makes up the missing ones).
const sourceSecrets = resolveSourceSecrets(configResult.config.sources, process.env, { webhookSecret: env.webhookSecret, generate: env.mode === 'sandbox' });
if (!sourceSecrets.ok) fail(sourceSecrets.errors);

let db;
try {
  db = openDatabase(env.dbPath);
} catch (error) {
  fail([`database ${env.dbPath}: ${(error as Error).message}`]);
}

const logger = createLogger(env.logLevel);
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
const startFailed = (error: unknown): never => {
  db.close();
  fail([(error as Error).message]);
};

// One writer on SQLite: the instance holding the lease serves; another one started on the same
// database (a rolling deploy, a double start) serves only GET /healthz (503 standby) and takes over
// once the holder stops or dies. Deadlines, the outbox and Slack all wait for the lease.
const lease = sqliteInstanceLease(db);
let attempt = lease.tryAcquire();
if (!attempt.acquired) {
  const describe = (holder: { holder: string; heartbeat_at: number }) => ({ holder: holder.holder, heartbeat_age_ms: Math.max(0, Date.now() - holder.heartbeat_at) });
  logger.info(
    { event: 'lease.standby', instance: lease.holder, ...describe(attempt.holder) },
    'standby: another instance holds the lease on this database; serving only GET /healthz (503 standby) until it stops',
  );
  const standby = await startStandbyServer({ port: env.port, version: VERSION, mode: env.mode, instance: lease.holder, holder: () => lease.current(), now: Date.now }).catch(startFailed);
  let seen = attempt.holder.holder;
  while (!attempt.acquired && stopWhileStarting === undefined) {
    await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
    attempt = lease.tryAcquire();
    if (!attempt.acquired && attempt.holder.holder !== seen) {
      seen = attempt.holder.holder;
      logger.info({ event: 'lease.standby', instance: lease.holder, ...describe(attempt.holder) }, 'standby: the lease moved to another instance');
    }
  }
  await standby.close();
  if (!attempt.acquired) {
    logger.info({ signal: stopWhileStarting }, 'stopped while on standby');
    db.close();
    process.exit(0);
  }
}
logger.info(
  { event: 'lease.acquired', instance: lease.holder, took_over_from: attempt.tookOverFrom?.holder ?? null },
  attempt.tookOverFrom ? 'this instance took over the lease on the database and serves' : 'this instance holds the lease on the database and serves',
);
// The heartbeat. A lease lost to another instance (this process was paused past it) ends this one
// at once: two instances must never deliver side by side.
const heartbeat = setInterval(() => {
  try {
    if (lease.renew()) return;
  } catch (error) {
    logger.warn({ err: error, event: 'lease.renew_failed', instance: lease.holder }, 'renewing the instance lease failed; retrying');
    return;
  }
  logger.error({ event: 'lease.lost', instance: lease.holder, holder: lease.current()?.holder ?? null }, 'this instance lost the lease on the database to another one: stopping now');
  process.exit(1);
}, LEASE_HEARTBEAT_MS);
heartbeat.unref();

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
    db,
    clock: systemClock,
    logger,
    companies: companies.file,
    metricsRegistry,
    lease,
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
      ...(sandbox.savedWorkspace === null
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
  running = await startLeadrelay({ env, config: configResult.config, db, clock: systemClock, logger, companies: companies.file, metricsRegistry, sourceSecrets: sourceSecrets.secrets, lease }).catch(startFailed);
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
    clearInterval(heartbeat);
    // Handing over: a waiting instance takes over at its next poll.
    lease.release();
    logger.info({ event: 'lease.released', instance: lease.holder }, 'instance lease released');
    db.close();
    process.exit(0);
  }
};
onStop = (signal) => void shutdown(signal);
if (stopWhileStarting !== undefined) onStop(stopWhileStarting);
