import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { databaseUrlProblem, EXAMPLE_CONFIG_PATH, parseEnv, shownDatabaseUrl, type Env } from '../../src/config/env.ts';

const HTTP = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing', LEADRELAY_WEBHOOK_SECRET: 'hooks' };
const SOCKET = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-abc', LEADRELAY_WEBHOOK_SECRET: 'hooks' };

function envOf(vars: NodeJS.ProcessEnv): Env {
  const result = parseEnv(vars);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.env;
}

function errorsOf(vars: NodeJS.ProcessEnv): string[] {
  const result = parseEnv(vars);
  if (result.ok) throw new Error('the environment was accepted');
  return result.errors;
}

describe('parseEnv: modes', () => {
  it('runs the sandbox when there is no bot token: the example config, leads in memory', () => {
    expect(envOf({})).toEqual({
      mode: 'sandbox',
      slackApiUrl: 'https://slack.com/api/',
      port: 3000,
      configPath: EXAMPLE_CONFIG_PATH,
      dbPath: ':memory:',
      logLevel: 'info',
    });
    expect(existsSync(EXAMPLE_CONFIG_PATH)).toBe(true);
    expect(EXAMPLE_CONFIG_PATH.endsWith('/leadrelay.example.yml')).toBe(true);
  });

  it('runs the sandbox on a given config and database', () => {
    expect(envOf({ LEADRELAY_CONFIG: './mine.yml', LEADRELAY_DB: './data/try.db' })).toMatchObject({ mode: 'sandbox', configPath: './mine.yml', dbPath: './data/try.db' });
  });

  it('keeps the production defaults outside the sandbox', () => {
    expect(envOf(HTTP)).toMatchObject({ configPath: './leadrelay.yml', dbPath: './data/leadrelay.db' });
  });

  it('runs in HTTP mode with a bot token and no app token', () => {
    expect(envOf(HTTP)).toMatchObject({ mode: 'http', botToken: 'xoxb-1-2-abc', signingSecret: 'signing', webhookSecret: 'hooks' });
  });

  it('runs in Socket Mode with a bot token and an app token, without a signing secret', () => {
    expect(envOf(SOCKET)).toMatchObject({ mode: 'socket', botToken: 'xoxb-1-2-abc', appToken: 'xapp-1-abc' });
  });

  it('treats empty variables as unset', () => {
    expect(envOf({ SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: ' ', PORT: '' })).toMatchObject({ mode: 'sandbox', port: 3000 });
  });
});

describe('parseEnv: values', () => {
  it('reads the port, and 0 for an ephemeral one', () => {
    expect(envOf({ PORT: '8080' }).port).toBe(8080);
    expect(envOf({ PORT: '0' }).port).toBe(0);
  });

  it('ends the Slack API URL with a slash', () => {
    expect(envOf({ SLACK_API_URL: 'http://127.0.0.1:4010/api' }).slackApiUrl).toBe('http://127.0.0.1:4010/api/');
    expect(envOf({ SLACK_API_URL: 'http://127.0.0.1:4010/api/' }).slackApiUrl).toBe('http://127.0.0.1:4010/api/');
  });

  it('reads the config and database paths', () => {
    expect(envOf({ LEADRELAY_CONFIG: '/etc/leadrelay.yml', LEADRELAY_DB: ':memory:' })).toMatchObject({
      configPath: '/etc/leadrelay.yml',
      dbPath: ':memory:',
    });
  });

  it('reads the log level in any case', () => {
    expect(envOf({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
  });

  it('reads LEADRELAY_PUBLIC_URL (the URL HubSpot signs) without its trailing slash', () => {
    expect(envOf({ ...HTTP, LEADRELAY_PUBLIC_URL: 'https://leads.example.com/' }).publicUrl).toBe('https://leads.example.com');
    expect(envOf({ ...HTTP, LEADRELAY_PUBLIC_URL: 'https://example.com/leadrelay' }).publicUrl).toBe('https://example.com/leadrelay');
    expect(envOf(HTTP)).not.toHaveProperty('publicUrl');
  });

  it('rejects a LEADRELAY_PUBLIC_URL that is not a base URL', () => {
    expect(errorsOf({ ...HTTP, LEADRELAY_PUBLIC_URL: 'leads.example.com' })).toEqual([
      'LEADRELAY_PUBLIC_URL must be the bot\'s public http(s) URL, e.g. https://leads.example.com (got "leads.example.com")',
    ]);
    expect(errorsOf({ ...HTTP, LEADRELAY_PUBLIC_URL: 'https://leads.example.com/?a=1' })).toEqual([
      'LEADRELAY_PUBLIC_URL must be a base URL without a query or fragment, e.g. https://leads.example.com',
    ]);
  });
});

describe('parseEnv: DATABASE_URL', () => {
  it('stores in SQLite at LEADRELAY_DB when DATABASE_URL is not set (or empty)', () => {
    expect(envOf(HTTP)).not.toHaveProperty('databaseUrl');
    expect(envOf({ ...HTTP, DATABASE_URL: ' ' })).not.toHaveProperty('databaseUrl');
    expect(envOf({ ...HTTP, LEADRELAY_DB: '/var/lib/leadrelay.db' })).toMatchObject({ dbPath: '/var/lib/leadrelay.db' });
  });

  it.each([
    'postgres://leadrelay:secret@db.internal:5432/leadrelay',
    'postgresql://leadrelay@db.internal/leadrelay?sslmode=require',
    'postgres:///leadrelay?host=/var/run/postgresql',
    'postgres://leadrelay:p%40ss@127.0.0.1/leadrelay',
  ])('reads the PostgreSQL URL %s', (url) => {
    expect(envOf({ ...HTTP, DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(envOf({ DATABASE_URL: ` ${url} ` }).databaseUrl).toBe(url);
  });

  it.each([
    ['mysql://root@db/leadrelay', 'a mysql:// URL'],
    ['sqlite:./data/leadrelay.db', 'a sqlite:// URL'],
    ['db.internal:5432/leadrelay', 'a db.internal:// URL'],
    ['leadrelay', 'text that is not a URL (percent-encode special characters of the password, e.g. @ as %40)'],
  ])('rejects %j with one message naming DATABASE_URL', (url, got) => {
    expect(errorsOf({ ...HTTP, DATABASE_URL: url })).toEqual([
      `DATABASE_URL must be a PostgreSQL URL such as postgres://leadrelay:secret@db.internal:5432/leadrelay (postgres:// or postgresql://), got ${got}; unset it to use SQLite at LEADRELAY_DB`,
    ]);
  });

  it('never echoes the URL it refuses: it may hold a password', () => {
    const errors = errorsOf({ ...HTTP, DATABASE_URL: 'mysql://root:hunter2@db/leadrelay' });
    expect(errors.join('\n')).not.toContain('hunter2');
    expect(databaseUrlProblem('postgres//root:hunter2@db', '--database-url')).not.toContain('hunter2');
    expect(databaseUrlProblem('postgres//root:hunter2@db', '--database-url')).toMatch(/^--database-url must be a PostgreSQL URL/);
  });

  it('shows a URL with its password hidden', () => {
    expect(shownDatabaseUrl('postgres://leadrelay:hunter2@db.internal:5432/leadrelay')).toBe('postgres://leadrelay:***@db.internal:5432/leadrelay');
    expect(shownDatabaseUrl('postgres://db.internal/leadrelay?user=lr&password=hunter2')).toBe('postgres://db.internal/leadrelay?user=lr&password=***');
    expect(shownDatabaseUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(shownDatabaseUrl('not a url hunter2')).toBe('(not a URL)');
  });
});

describe('parseEnv: errors', () => {
  it('requires the signing secret in HTTP mode and says where to find it', () => {
    expect(errorsOf({ ...HTTP, SLACK_SIGNING_SECRET: undefined })).toEqual([
      'SLACK_SIGNING_SECRET is required in HTTP mode (find it under Basic Information → App Credentials), or set SLACK_APP_TOKEN to use Socket Mode',
    ]);
  });

  it('requires the webhook secret outside sandbox mode', () => {
    expect(errorsOf({ ...SOCKET, LEADRELAY_WEBHOOK_SECRET: undefined })).toEqual([
      'LEADRELAY_WEBHOOK_SECRET is required outside sandbox mode (choose a long random string; lead sources send it as "Authorization: Bearer <secret>")',
    ]);
  });

  it('rejects a bot token that is not a bot token, without echoing it', () => {
    const errors = errorsOf({ ...HTTP, SLACK_BOT_TOKEN: 'xoxp-user-token' });
    expect(errors).toEqual(['SLACK_BOT_TOKEN must start with "xoxb-" (copy the Bot User OAuth Token from OAuth & Permissions)']);
    expect(errors.join('\n')).not.toContain('xoxp-user-token');
  });

  it('rejects an app token that is not an app token', () => {
    expect(errorsOf({ ...SOCKET, SLACK_APP_TOKEN: 'xoxb-wrong' })).toEqual([
      'SLACK_APP_TOKEN must start with "xapp-" (create an app-level token with connections:write under Basic Information → App-Level Tokens)',
    ]);
  });

  it('rejects an app token without a bot token', () => {
    expect(errorsOf({ SLACK_APP_TOKEN: 'xapp-1-abc' })).toEqual([
      'SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both (set SLACK_BOT_TOKEN, or unset SLACK_APP_TOKEN to run the sandbox)',
    ]);
  });

  it.each(['http', '65536', '-1', '3.5', 'abc'])('rejects the port %j', (port) => {
    expect(errorsOf({ PORT: port })).toEqual([`PORT must be a whole number from 0 to 65535 (got "${port}")`]);
  });

  it.each(['ftp://slack.example.com/api/', 'not a url'])('rejects the Slack API URL %j', (url) => {
    expect(errorsOf({ SLACK_API_URL: url })).toEqual([`SLACK_API_URL must be an http(s) URL such as https://slack.com/api/ (got "${url}")`]);
  });

  it('rejects an unknown log level', () => {
    expect(errorsOf({ LOG_LEVEL: 'verbose' })).toEqual(['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")']);
  });

  it('reports every problem at once', () => {
    expect(errorsOf({ SLACK_BOT_TOKEN: 'xoxb-1', PORT: 'x', LOG_LEVEL: 'loud' })).toHaveLength(4);
  });
});
