import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { startLeadrelay, type RunningLeadrelay } from '../../src/leadrelay.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../support/slackStandIn.ts';

const signingSecret = 'e2e-signing-secret';
const webhookSecret = 'e2e-webhook-secret';

const exampleConfig = () => {
  const result = loadConfig(new URL('../../leadrelay.example.yml', import.meta.url).pathname);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config;
};

let slack: SlackStandIn | undefined;
let bot: RunningLeadrelay | undefined;
let db: Db | undefined;

afterEach(async () => {
  await bot?.stop();
  await slack?.close();
  db?.close();
  bot = slack = db = undefined;
});

async function start(mode: 'http' | 'socket', beforeStart?: (slack: SlackStandIn) => void) {
  slack = await startSlackStandIn({ signingSecret, users: ['U0ALICE', 'U0MGR', 'U0STRANGER'] });
  beforeStart?.(slack);
  db = openDatabase(':memory:');
  const env: Env = {
    mode,
    botToken: slack.botToken,
    signingSecret: mode === 'http' ? signingSecret : undefined,
    appToken: mode === 'socket' ? slack.appToken : undefined,
    slackApiUrl: slack.apiUrl,
    port: 0,
    configPath: 'leadrelay.example.yml',
    dbPath: ':memory:',
    webhookSecret,
    logLevel: 'silent',
  };
  bot = await startLeadrelay({ env, config: exampleConfig(), db, clock: new FakeClock(), logger: createLogger('silent') });
  const baseUrl = `http://127.0.0.1:${bot.port}`;
  if (mode === 'http') slack.setRequestUrl(`${baseUrl}/slack/events`);
  else await slack.waitForSocketConnection();
  return { slack, baseUrl };
}

const postLead = (baseUrl: string, lead: unknown) =>
  fetch(`${baseUrl}/leads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json' },
    body: JSON.stringify(lead),
  });

describe.each(['http', 'socket'] as const)('the Bolt app in %s mode, through the Slack stand-in', (mode) => {
  it('takes a lead on /leads and shows it to a rep who asks with /leads L-1', async () => {
    const { slack, baseUrl } = await start(mode);
    const response = await postLead(baseUrl, { email: 'jane.doe@acme.com', name: 'Jane Doe', source: 'form', score: 87, company: { name: 'Acme' } });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ lead: 'L-1', status: 'accepted' });

    const reply = await slack.slashCommand({ command: '/leads', text: 'L-1', userId: 'U0ALICE' });
    expect(reply.transport).toBe(mode);
    const body = reply.body as { response_type: string; text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('L-1');
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { text: 'L-1 · Jane Doe' } });
    expect(JSON.stringify(body.blocks)).toContain('received');
  });

  it('answers help with the usage line', async () => {
    const { slack } = await start(mode);
    const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' });
    expect((reply.body as { text: string }).text).toMatch(/^Usage: `\/leads`/);
  });

  it('names an unknown lead reference and changes nothing', async () => {
    const { slack } = await start(mode);
    const reply = await slack.slashCommand({ command: '/leads', text: 'L-999', userId: 'U0MGR' });
    expect((reply.body as { text: string }).text).toContain('There is no lead L-999');
    expect(db?.prepare('SELECT count(*) AS n FROM leads').get()).toEqual({ n: 0 });
  });

  it('refuses people who are not in the config', async () => {
    const { slack } = await start(mode);
    const reply = await slack.slashCommand({ command: '/leads', text: 'L-1', userId: 'U0STRANGER' });
    expect((reply.body as { text: string }).text).toContain("You're not set up in leadrelay");
  });

  it('starts while Slack is unreachable and answers Slack once it is back', async () => {
    const { slack } = await start(mode, (s) => s.fail('auth.test', { status: 500 }));
    const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' });
    expect((reply.body as { text: string }).text).toMatch(/^Usage/);
    expect(slack.callsTo('auth.test').map((call) => call.status)).toEqual([500, 200]);
  });

  it('refuses to start with a token Slack rejects, naming the variable', async () => {
    await expect(start(mode, (s) => s.fail('auth.test', { error: 'invalid_auth' }))).rejects.toThrow(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);
  });

  it('serves /healthz on the same port with the mode', async () => {
    const { baseUrl } = await start(mode);
    const response = await fetch(`${baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', mode, database: 'ok', outbox: { pending: 0 } });
  });
});

describe('HTTP mode', () => {
  it('refuses a Slack request with a bad signature', async () => {
    const { slack } = await start('http');
    const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' }, { signingSecret: 'wrong' });
    expect(reply.status).toBe(401);
  });
});
