import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPICallError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

const noRetries = { retries: 0 };
/** WebClient logs Slack's `[ERROR]` response messages; the tests assert on them instead. */
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
const immediateRetry = { retries: 2, minTimeout: 0, maxTimeout: 0 };

/** The fields of the WebClient's coded errors that the tests read. */
type CallError = WebAPICallError & {
  data: { error: string; response_metadata?: { messages?: string[] } };
  retryAfter?: number;
  statusCode?: number;
};

async function callError(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (error) {
    return error as CallError;
  }
  throw new Error('expected the call to fail');
}

describe('Slack stand-in Web API', () => {
  let slack: SlackStandIn;
  let clock: FakeClock;
  let client: WebClient;

  beforeEach(async () => {
    clock = new FakeClock('2026-11-24T14:00:00Z');
    slack = await startSlackStandIn({
      signingSecret: 'unused',
      clock,
      users: [{ id: 'U0ALICE', realName: 'Alice Example', email: 'alice@example.com', tz: 'Europe/Berlin', isAdmin: true }, 'U0BOB'],
    });
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: noRetries, logger: quiet });
  });

  afterEach(async () => {
    await slack.close();
  });

  describe('fault injection', () => {
    it('answers 429 with Retry-After, which a client rejecting rate-limited calls surfaces', async () => {
      const strict = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: noRetries, rejectRateLimitedCalls: true, logger: quiet });
      const fault = slack.fail('chat.postMessage', { status: 429, retryAfter: 7 });

      const error = await callError(strict.chat.postMessage({ channel: 'U0ALICE', text: 'hi' }));
      const next = await strict.chat.postMessage({ channel: 'U0ALICE', text: 'hi again' });

      expect(error.code).toBe(ErrorCode.RateLimitedError);
      expect(error.retryAfter).toBe(7);
      expect(next.ok).toBe(true);
      expect(fault.hits).toBe(1);
      expect(slack.callsTo('chat.postMessage').map((c) => [c.status, c.injected, c.ok])).toEqual([
        [429, true, false],
        [200, false, true],
      ]);
      expect(slack.messages('U0ALICE').map((m) => m.text)).toEqual(['hi again']);
    });

    it('lets a client that honours Retry-After retry and succeed', async () => {
      const patient = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: immediateRetry, logger: quiet });
      slack.fail('chat.postMessage', { status: 429, retryAfter: 0 });

      const result = await patient.chat.postMessage({ channel: 'U0ALICE', text: 'hi' });

      expect(result.ok).toBe(true);
      expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    });

    it('answers a 5xx, and only for calls matching the predicate', async () => {
      slack.fail('chat.postMessage', { status: 503 }, { times: Infinity, when: (args) => args.channel === 'U0BOB' });

      const toAlice = await client.chat.postMessage({ channel: 'U0ALICE', text: 'hi' });
      const error = await callError(client.chat.postMessage({ channel: 'U0BOB', text: 'hi' }));

      expect(toAlice.ok).toBe(true);
      expect(error.code).toBe(ErrorCode.HTTPError);
      expect(error.statusCode).toBe(503);
    });

    it('answers ok:false with a chosen error code, and can drop the connection', async () => {
      slack.fail('views.publish', { error: 'not_enabled' });
      slack.fail('users.info', { network: 'reset' });

      const platform = await callError(client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [] } }));
      const network = await callError(client.users.info({ user: 'U0ALICE' }));

      expect(platform.code).toBe(ErrorCode.PlatformError);
      expect(platform.data.error).toBe('not_enabled');
      expect(network.code).toBe(ErrorCode.RequestError);
    });
  });

  describe('auth', () => {
    it('rejects a wrong token with invalid_auth and a missing one with not_authed', async () => {
      const wrong = new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: noRetries, logger: quiet });
      const anonymous = new WebClient(undefined, { slackApiUrl: slack.apiUrl, retryConfig: noRetries, logger: quiet });

      expect((await callError(wrong.auth.test())).data.error).toBe('invalid_auth');
      expect((await callError(anonymous.auth.test())).data.error).toBe('not_authed');
      expect(await client.auth.test()).toMatchObject({ ok: true, team_id: 'T0TEAM', user_id: 'U0BOT', bot_id: 'B0BOT' });
    });

    it('opens Socket Mode URLs only for the app-level token', async () => {
      const appClient = new WebClient(slack.appToken, { slackApiUrl: slack.apiUrl, retryConfig: noRetries, logger: quiet });

      const opened = await appClient.apps.connections.open();
      const withBotToken = await callError(client.apps.connections.open());

      expect(opened.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${slack.port}/socket\\?ticket=`));
      expect(withBotToken.data.error).toBe('not_allowed_token_type');
    });

    it('refuses apps.connections.open when started with socketMode: false', async () => {
      const httpOnly = await startSlackStandIn({ signingSecret: 'unused', socketMode: false });
      const appClient = new WebClient(httpOnly.appToken, { slackApiUrl: httpOnly.apiUrl, retryConfig: noRetries, logger: quiet });

      const error = await callError(appClient.apps.connections.open());
      await httpOnly.close();

      expect(error.data.error).toBe('socket_mode_not_enabled');
    });

    it('accepts form bodies with the token inside, and JSON bodies with a Bearer header only', async () => {
      const form = await fetch(`${slack.apiUrl}auth.test`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${slack.botToken}`,
      });
      const json = await fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${slack.botToken}` },
        body: JSON.stringify({ channel: 'U0ALICE', text: 'json', blocks: [{ type: 'divider' }] }),
      });
      const tokenInJson = await fetch(`${slack.apiUrl}auth.test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: slack.botToken }),
      });

      expect(await form.json()).toMatchObject({ ok: true });
      expect(await json.json()).toMatchObject({ ok: true, channel: 'D0ALICE' });
      expect(slack.callsTo('chat.postMessage')[0]?.args.blocks).toEqual([{ type: 'divider' }]);
      const badJson = await fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${slack.botToken}` },
        body: '{"channel":',
      });
      expect(await tokenInJson.json()).toEqual({ ok: false, error: 'not_authed' });
      expect(await badJson.json()).toEqual({ ok: false, error: 'invalid_json' });
    });

    it('answers unknown methods with unknown_method', async () => {
      const error = await callError(client.apiCall('leads.route', {}));

      expect(error.data.error).toBe('unknown_method');
    });
  });

  describe('messages', () => {
    it('posts to a user in their stable DM channel with increasing ts from its clock', async () => {
      const first = await client.chat.postMessage({ channel: 'U0ALICE', text: 'one' });
      const second = await client.chat.postMessage({ channel: 'U0ALICE', text: 'two' });
      clock.advance(2_000);
      const third = await client.chat.postMessage({ channel: 'U0ALICE', text: 'three' });
      const opened = await client.conversations.open({ users: 'U0ALICE' });

      expect([first.ts, second.ts, third.ts]).toEqual(['1795528800.000100', '1795528800.000200', '1795528802.000100']);
      expect(first.channel).toBe('D0ALICE');
      expect(opened.channel?.id).toBe('D0ALICE');
      expect(slack.dmChannelId('U0ALICE')).toBe('D0ALICE');
      expect(first.message).toMatchObject({ text: 'one', bot_id: 'B0BOT', user: 'U0BOT', ts: first.ts });
    });

    it('updates a message in place only by its D… channel id and an existing ts', async () => {
      const posted = await client.chat.postMessage({ channel: 'U0ALICE', text: 'offer' });

      const byUserId = await callError(client.chat.update({ channel: 'U0ALICE', ts: String(posted.ts), text: 'claimed' }));
      const unknownTs = await callError(client.chat.update({ channel: 'D0ALICE', ts: '1.000100', text: 'claimed' }));
      const updated = await client.chat.update({ channel: 'D0ALICE', ts: String(posted.ts), text: 'claimed' });

      expect(byUserId.data.error).toBe('channel_not_found');
      expect(unknownTs.data.error).toBe('message_not_found');
      expect(updated).toMatchObject({ ok: true, channel: 'D0ALICE', ts: posted.ts, text: 'claimed' });
      expect(slack.messages('U0ALICE').map((m) => [m.ts, m.text, m.versions.length])).toEqual([[posted.ts, 'claimed', 1]]);
    });

    it('reports channel_not_found, no_text and invalid_blocks like Slack', async () => {
      const unknownUser = await callError(client.chat.postMessage({ channel: 'U0NOBODY', text: 'hi' }));
      const noText = await callError(client.chat.postMessage({ channel: 'U0ALICE', text: '' }));
      const notArray = await callError(client.chat.postMessage({ channel: 'U0ALICE', text: 'x', blocks: 'nope' as never }));
      const duplicate = await callError(
        client.chat.postMessage({
          channel: 'U0ALICE',
          text: 'x',
          blocks: [
            { type: 'section', block_id: 'a', text: { type: 'mrkdwn', text: 'one' } },
            { type: 'section', block_id: 'a', text: { type: 'mrkdwn', text: '' } },
          ],
        }),
      );

      expect(unknownUser.data.error).toBe('channel_not_found');
      expect(noText.data.error).toBe('no_text');
      expect(notArray.data.error).toBe('invalid_blocks');
      expect(duplicate.data.error).toBe('invalid_blocks');
      expect(duplicate.data.response_metadata?.messages).toEqual([
        '[ERROR] duplicate block_id: a [json-pointer:/blocks/1/block_id]',
        '[ERROR] must be more than 0 characters [json-pointer:/blocks/1/text/text]',
      ]);
      expect(slack.messages('U0ALICE')).toEqual([]);
    });

    it('keeps metadata, threads and ephemerals, and lists history newest first', async () => {
      slack.addChannel({ id: 'C0SALESMGR', name: 'sales-managers' });
      const parent = await client.chat.postMessage({
        channel: 'C0SALESMGR',
        text: 'L-17 escalated',
        metadata: { event_type: 'lead_escalated', event_payload: { lead: 'L-17' } },
      });
      await client.chat.postMessage({ channel: 'C0SALESMGR', text: 'reminder', thread_ts: String(parent.ts) });
      await client.chat.postEphemeral({ channel: 'C0SALESMGR', user: 'U0ALICE', text: 'only for Alice' });
      const later = await client.chat.postMessage({ channel: 'C0SALESMGR', text: 'L-18 escalated' });

      const plain = await client.conversations.history({ channel: 'C0SALESMGR' });
      const withMetadata = await client.conversations.history({ channel: 'C0SALESMGR', include_all_metadata: true, limit: 1, latest: String(later.ts) });
      const permalink = await client.chat.getPermalink({ channel: 'C0SALESMGR', message_ts: String(parent.ts) });

      expect(plain.messages?.map((m) => m.text)).toEqual(['L-18 escalated', 'L-17 escalated']);
      expect(plain.messages?.[1]).not.toHaveProperty('metadata');
      expect(plain.messages?.[1]).toMatchObject({ reply_count: 1, thread_ts: parent.ts });
      expect(withMetadata.messages?.[0]?.metadata).toEqual({ event_type: 'lead_escalated', event_payload: { lead: 'L-17' } });
      expect(withMetadata.has_more).toBe(false);
      expect(permalink.permalink).toBe(`https://leadrelay-test.slack.com/archives/C0SALESMGR/p${String(parent.ts).replace('.', '')}`);
      expect(slack.thread('C0SALESMGR', String(parent.ts)).map((m) => m.text)).toEqual(['reminder']);
      expect(slack.ephemerals('U0ALICE').map((m) => [m.channel, m.text])).toEqual([['C0SALESMGR', 'only for Alice']]);
    });

    it('lets waitForCall resolve for a call already recorded and for one still to come', async () => {
      await client.chat.postMessage({ channel: 'U0ALICE', text: 'first' });
      const already = await slack.waitForCall('chat.postMessage');
      const since = slack.calls.length;
      const coming = slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'U0BOB', { since });
      await client.chat.postMessage({ channel: 'U0BOB', text: 'second' });

      expect(already.args.text).toBe('first');
      expect((await coming).args.text).toBe('second');
    });
  });

  describe('users and views', () => {
    it('returns realistic users and Slack error codes for unknown ones', async () => {
      const info = await client.users.info({ user: 'U0ALICE' });
      const byEmail = await client.users.lookupByEmail({ email: 'ALICE@example.com' });
      const unknown = await callError(client.users.info({ user: 'U0NOBODY' }));
      const noEmail = await callError(client.users.lookupByEmail({ email: 'nobody@example.com' }));

      expect(info.user).toMatchObject({
        id: 'U0ALICE',
        name: 'alice',
        real_name: 'Alice Example',
        tz: 'Europe/Berlin',
        tz_offset: 3600,
        is_admin: true,
        is_bot: false,
        profile: { email: 'alice@example.com', real_name: 'Alice Example' },
      });
      expect(byEmail.user?.id).toBe('U0ALICE');
      expect(unknown.data.error).toBe('user_not_found');
      expect(noEmail.data.error).toBe('users_not_found');
    });

    it('stores each user’s home view and wants a valid trigger_id for views.open', async () => {
      await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'My leads' } }] } });
      const modal = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Pass' }, blocks: [] };
      const missing = await callError(client.apiCall('views.open', { view: modal }));
      const forged = await callError(client.views.open({ trigger_id: '1.2.abc', view: modal }));

      expect(slack.homeView('U0ALICE')?.definition.blocks).toMatchObject([{ type: 'section', text: { text: 'My leads' } }]);
      expect(missing.data.error).toBe('invalid_arguments');
      expect(forged.data.error).toBe('invalid_trigger_id');
    });
  });
});
