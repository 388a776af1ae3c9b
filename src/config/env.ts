/**
 * The environment variables, validated once at start-up. Which variables are required
 * depends on the run mode, and the mode follows from which Slack tokens are set: none → sandbox,
 * a bot token → HTTP mode, a bot token and an app token → Socket Mode. Every message names the
 * variable and says where to get a value; token values themselves are never echoed.
 */
import { join } from 'node:path';
import { packageRoot } from '../adapters/packageRoot.ts';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type RunMode = 'http' | 'socket' | 'sandbox';

export interface Env {
  mode: RunMode;
  botToken?: string;
  signingSecret?: string;
  appToken?: string;
  /** Always ends with `/`, so method names can be appended. */
  slackApiUrl: string;
  /** 0 asks the OS for a free port (tests). */
  port: number;
  configPath: string;
  dbPath: string;
  /**
   * DATABASE_URL: everything is stored in this PostgreSQL database instead of the SQLite file at
   * `dbPath`, so that several instances can serve at once. Absent: SQLite.
   */
  databaseUrl?: string;
  webhookSecret?: string;
  /** LEADRELAY_PUBLIC_URL without a trailing slash: the base of the URL a provider signs (HubSpot's v3 signature). */
  publicUrl?: string;
  logLevel: LogLevel;
}

/**
 * The example config shipped with the package: sandbox mode runs it when LEADRELAY_CONFIG is not set,
 * so `npm start` on a fresh clone needs no file of your own.
 */
export const EXAMPLE_CONFIG_PATH: string = join(packageRoot(), 'leadrelay.example.yml');

export type EnvResult = { ok: true; env: Env } | { ok: false; errors: string[] };

/** An empty variable (`FOO=` in a .env file) counts as unset. */
function isSet(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function detectMode(env: NodeJS.ProcessEnv): RunMode {
  if (!isSet(env.SLACK_BOT_TOKEN)) return 'sandbox';
  return isSet(env.SLACK_APP_TOKEN) ? 'socket' : 'http';
}

/** An optional variable: unset or empty → undefined, otherwise checked by `schema`. */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === 'string' && isSet(value) ? value.trim() : undefined), schema.optional());
}

/** A required variable, with the message to show when it is missing. */
function required(missing: string) {
  return z.preprocess((value) => (typeof value === 'string' && isSet(value) ? value.trim() : undefined), z.string({ error: missing }));
}

const botToken = z.string().startsWith('xoxb-', {
  error: 'SLACK_BOT_TOKEN must start with "xoxb-" (copy the Bot User OAuth Token from OAuth & Permissions)',
});

const appToken = z.string().startsWith('xapp-', {
  error: 'SLACK_APP_TOKEN must start with "xapp-" (create an app-level token with connections:write under Basic Information → App-Level Tokens)',
});

const slackApiUrl = z
  .url({ protocol: /^https?$/, error: (issue) => `SLACK_API_URL must be an http(s) URL such as https://slack.com/api/ (got ${JSON.stringify(issue.input)})` })
  .transform((url) => (url.endsWith('/') ? url : `${url}/`));

const port = z
  .string()
  .refine((text) => /^\d{1,5}$/.test(text) && Number(text) <= 65_535, {
    error: (issue) => `PORT must be a whole number from 0 to 65535 (got ${JSON.stringify(issue.input)})`,
  })
  .transform(Number);

const publicUrl = z
  .url({ protocol: /^https?$/, error: (issue) => `LEADRELAY_PUBLIC_URL must be the bot's public http(s) URL, e.g. https://leads.example.com (got ${JSON.stringify(issue.input)})` })
  .refine((url) => !/[?#]/.test(url), { error: 'LEADRELAY_PUBLIC_URL must be a base URL without a query or fragment, e.g. https://leads.example.com' })
  .transform((url) => url.replace(/\/+$/, ''));

/**
 * A PostgreSQL connection URL as shown in messages and logs: the password replaced by `***`, so that a
 * URL can be named in an error without leaking it. Text that is not a URL is not shown at all.
 */
export function shownDatabaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(not a URL)';
  }
  if (url.password !== '') url.password = '***';
  // Parameters may carry a password too (?password=…).
  for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, '***');
  return url.toString().replace(/%2A%2A%2A/g, '***');
}

export const DATABASE_URL_EXAMPLE = 'postgres://leadrelay:secret@db.internal:5432/leadrelay';

/**
 * What is wrong with a PostgreSQL connection URL given as `name` (DATABASE_URL, --database-url), or
 * null: it must be a postgres:// or postgresql:// URL (libpq's form, with special characters of the
 * password percent-encoded). The text itself is never echoed: it may hold a password.
 */
export function databaseUrlProblem(text: string, name: string): string | null {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Not a URL: said below, without showing it.
  }
  if (url !== null && (url.protocol === 'postgres:' || url.protocol === 'postgresql:')) return null;
  const got = url === null ? 'text that is not a URL (percent-encode special characters of the password, e.g. @ as %40)' : `a ${url.protocol}// URL`;
  return `${name} must be a PostgreSQL URL such as ${DATABASE_URL_EXAMPLE} (postgres:// or postgresql://), got ${got}`;
}

const databaseUrl = z.string().superRefine((text, context) => {
  const problem = databaseUrlProblem(text, 'DATABASE_URL');
  if (problem !== null) context.addIssue({ code: 'custom', message: `${problem}; unset it to use SQLite at LEADRELAY_DB` });
});

const logLevel = z.string().toLowerCase().pipe(
  z.enum(LOG_LEVELS, { error: (issue) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(issue.input)})` }),
);

const MISSING_SIGNING_SECRET =
  'SLACK_SIGNING_SECRET is required in HTTP mode (find it under Basic Information → App Credentials), or set SLACK_APP_TOKEN to use Socket Mode';
const MISSING_WEBHOOK_SECRET =
  'LEADRELAY_WEBHOOK_SECRET is required outside sandbox mode (choose a long random string; lead sources send it as "Authorization: Bearer <secret>")';
const APP_TOKEN_WITHOUT_BOT_TOKEN =
  'SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both (set SLACK_BOT_TOKEN, or unset SLACK_APP_TOKEN to run the sandbox)';

/** The variables each mode reads, with what is required there. */
function schemaFor(mode: RunMode) {
  return z.object({
    SLACK_BOT_TOKEN: optional(botToken),
    SLACK_SIGNING_SECRET: mode === 'http' ? required(MISSING_SIGNING_SECRET) : optional(z.string()),
    SLACK_APP_TOKEN: mode === 'sandbox' ? optional(z.never({ error: APP_TOKEN_WITHOUT_BOT_TOKEN })) : optional(appToken),
    SLACK_API_URL: optional(slackApiUrl),
    PORT: optional(port),
    LEADRELAY_CONFIG: optional(z.string()),
    LEADRELAY_DB: optional(z.string()),
    DATABASE_URL: optional(databaseUrl),
    LEADRELAY_WEBHOOK_SECRET: mode === 'sandbox' ? optional(z.string()) : required(MISSING_WEBHOOK_SECRET),
    LEADRELAY_PUBLIC_URL: optional(publicUrl),
    LOG_LEVEL: optional(logLevel),
  });
}

/**
 * Validates the environment. Returns every problem at once, one message per variable, so a
 * misconfigured deployment is fixed in one round.
 */
export function parseEnv(env: NodeJS.ProcessEnv): EnvResult {
  const mode = detectMode(env);
  const result = schemaFor(mode).safeParse(env);
  if (!result.success) return { ok: false, errors: result.error.issues.map((issue) => issue.message) };
  const vars = result.data;
  return {
    ok: true,
    env: {
      mode,
      botToken: vars.SLACK_BOT_TOKEN,
      signingSecret: vars.SLACK_SIGNING_SECRET,
      appToken: vars.SLACK_APP_TOKEN,
      webhookSecret: vars.LEADRELAY_WEBHOOK_SECRET,
      ...(vars.LEADRELAY_PUBLIC_URL === undefined ? {} : { publicUrl: vars.LEADRELAY_PUBLIC_URL }),
      slackApiUrl: vars.SLACK_API_URL ?? 'https://slack.com/api/',
      port: vars.PORT ?? 3000,
      // The sandbox runs the example config and keeps its leads in memory (like its Slack stand-in)
      // unless told otherwise, so trying leadrelay never writes into a real database.
      configPath: vars.LEADRELAY_CONFIG ?? (mode === 'sandbox' ? EXAMPLE_CONFIG_PATH : './leadrelay.yml'),
      dbPath: vars.LEADRELAY_DB ?? (mode === 'sandbox' ? ':memory:' : './data/leadrelay.db'),
      ...(vars.DATABASE_URL === undefined ? {} : { databaseUrl: vars.DATABASE_URL }),
      logLevel: vars.LOG_LEVEL ?? 'info',
    },
  };
}
