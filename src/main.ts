/**
 * `npm start`: wiring only. Reads the environment and the config, opens and migrates the database,
 * starts the bot, and shuts it down cleanly on SIGTERM/SIGINT. Every start-up problem ends in one
 * clear message naming the variable, file or migration, and exit code 1.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parseEnv } from './config/env.ts';
import { formatConfigErrors, loadConfig } from './config/loadConfig.ts';
import { createLogger } from './adapters/logger.ts';
import { systemClock } from './adapters/systemClock.ts';
import { openDatabase } from './adapters/sqlite/openDatabase.ts';
import { startLeadrelay } from './leadrelay.ts';

function fail(lines: string[]): never {
  process.stderr.write(`leadrelay cannot start:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  process.exit(1);
}

const envResult = parseEnv(process.env);
if (!envResult.ok) fail(envResult.errors);
const env = envResult.env;

if (env.mode === 'sandbox') {
  fail([
    'SLACK_BOT_TOKEN is not set. Sandbox mode (no Slack workspace needed) is not available in this version yet.',
    'To run against Slack: create the app from manifest.yml (see README.md, "Slack setup"), then set',
    '  SLACK_BOT_TOKEN=xoxb-…            (OAuth & Permissions → Bot User OAuth Token)',
    '  SLACK_SIGNING_SECRET=…            (Basic Information → App Credentials) for HTTP mode, or',
    '  SLACK_APP_TOKEN=xapp-…            (Basic Information → App-Level Tokens, scope connections:write) for Socket Mode',
    '  LEADRELAY_WEBHOOK_SECRET=…        (any long random string; your lead sources send it)',
  ]);
}

const configResult = loadConfig(env.configPath);
if (!configResult.ok) fail(formatConfigErrors(env.configPath, configResult.errors).split('\n'));

let db;
try {
  db = openDatabase(env.dbPath);
} catch (error) {
  fail([`database ${env.dbPath}: ${(error as Error).message}`]);
}

const logger = createLogger(env.logLevel);
// A stray rejection in a library callback is logged, never a crash: leads keep flowing.
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
// GET /metrics also shows the process: CPU, memory, event-loop lag, GC (process_*, nodejs_*).
const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
const running = await startLeadrelay({ env, config: configResult.config, db, clock: systemClock, logger, metricsRegistry }).catch((error: unknown) => {
  db.close();
  fail([(error as Error).message]);
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  try {
    await running.stop();
  } finally {
    db.close();
    process.exit(0);
  }
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
