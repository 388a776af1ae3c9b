import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySlackAnswer, createSlackCaller, encodeSlackBody, encodeSlackForm } from '../../../src/adapters/slack/deliverSlackCall.ts';
import { createSlackPacer } from '../../../src/adapters/slack/slackPacer.ts';
import { startSlackStandIn, type SlackStandIn } from '../../../src/sandbox/slackStandIn.ts';

let slack: SlackStandIn | undefined;
let silent: Server | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
  silent?.closeAllConnections();
  await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
  silent = undefined;
});

describe('encodeSlackForm', () => {
  it('sends strings, numbers and booleans as they are and everything else as JSON, leaving out undefined and null', () => {
    const form = new URLSearchParams(encodeSlackForm({ channel: 'U0ALICE', limit: 50, unfurl_links: false, blocks: [{ type: 'divider' }], thread_ts: undefined, x: null }));
    expect([...form]).toEqual([
      ['channel', 'U0ALICE'],
      ['limit', '50'],
      ['unfurl_links', 'false'],
      ['blocks', '[{"type":"divider"}]'],
    ]);
  });
});

describe('encodeSlackBody', () => {
  it('sends the chat.* write methods as JSON and every other method (reads, chat.getPermalink) as a form, leaving out undefined and null', () => {
    const args = { channel: 'U0ALICE', limit: 50, unfurl_links: false, blocks: [{ type: 'divider' }], thread_ts: undefined, x: null };
    const posted = encodeSlackBody('chat.postMessage', args);
    expect(posted.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(posted.body)).toEqual({ channel: 'U0ALICE', limit: 50, unfurl_links: false, blocks: [{ type: 'divider' }] });
    expect(encodeSlackBody('conversations.history', args)).toEqual({ body: encodeSlackForm(args), contentType: 'application/x-www-form-urlencoded' });
    expect(encodeSlackBody('chat.getPermalink', args).contentType).toBe('application/x-www-form-urlencoded');
    expect(encodeSlackBody('chat.update', args).contentType).toBe('application/json; charset=utf-8');
  });
});

describe('classifySlackAnswer', () => {
  it('reads a 429 with Retry-After as rate limited for that long', () => {
    expect(classifySlackAnswer(429, '7', '')).toEqual({ ok: false, retryable: true, error: 'ratelimited', retryAfterMs: 7000 });
    expect(classifySlackAnswer(429, undefined, '')).toMatchObject({ ok: false, retryable: true });
  });

  it('retries server errors and timeouts, not other HTTP failures', () => {
    expect(classifySlackAnswer(503, undefined, '')).toEqual({ ok: false, retryable: true, error: 'HTTP 503' });
    expect(classifySlackAnswer(408, undefined, '')).toEqual({ ok: false, retryable: true, error: 'HTTP 408' });
    expect(classifySlackAnswer(404, undefined, '')).toEqual({ ok: false, retryable: false, error: 'HTTP 404' });
  });

  it('gives up on a permanent Slack error and retries a transient one', () => {
    expect(classifySlackAnswer(200, undefined, '{"ok":false,"error":"channel_not_found"}')).toEqual({ ok: false, retryable: false, error: 'channel_not_found' });
    expect(classifySlackAnswer(200, undefined, '{"ok":false,"error":"internal_error"}')).toEqual({ ok: false, retryable: true, error: 'internal_error' });
    expect(classifySlackAnswer(200, undefined, '<html>')).toMatchObject({ ok: false, retryable: true });
  });

  it('returns the answer of a successful call', () => {
    expect(classifySlackAnswer(200, undefined, '{"ok":true,"ts":"1.2"}')).toEqual({ ok: true, result: { ok: true, ts: '1.2' } });
  });
});

describe('createSlackCaller', () => {
  it('calls the Web API with the bot token and arguments Slack decodes as sent', async () => {
    slack = await startSlackStandIn({ signingSecret: 's', botToken: 'xoxb-caller', socketMode: false, users: ['U0ALICE'] });
    const calls: string[] = [];
    const call = createSlackCaller({ botToken: 'xoxb-caller', slackApiUrl: slack.apiUrl.replace(/\/$/, ''), onCall: (method, outcome) => calls.push(`${method} ${outcome}`) });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*New lead* L-1' } }];
    const posted = await call('chat.postMessage', { channel: 'U0ALICE', text: 'New lead L-1', blocks, metadata: { event_type: 'leadrelay_offer', event_payload: { offer_id: 1 } } });
    expect(posted).toMatchObject({ ok: true, result: { ok: true, channel: slack.dmChannelId('U0ALICE') } });
    const recorded = slack.callsTo('chat.postMessage')[0];
    expect(recorded?.token).toBe('xoxb-caller');
    expect(recorded?.args).toMatchObject({ channel: 'U0ALICE', blocks, metadata: { event_type: 'leadrelay_offer', event_payload: { offer_id: 1 } } });
    expect(slack.lastMessage('U0ALICE')?.text).toBe('New lead L-1');
    expect(calls).toEqual(['chat.postMessage ok']);
  });

  it('classifies what Slack answers: rate limits, server errors, refusals, a dropped connection', async () => {
    slack = await startSlackStandIn({ signingSecret: 's', socketMode: false, users: ['U0ALICE'] });
    const call = createSlackCaller({ botToken: slack.botToken, slackApiUrl: slack.apiUrl });
    slack.fail('chat.postMessage', { status: 429, retryAfter: 3 });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toEqual({ ok: false, retryable: true, error: 'ratelimited', retryAfterMs: 3000 });
    slack.fail('chat.postMessage', { status: 500 });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toEqual({ ok: false, retryable: true, error: 'HTTP 500' });
    slack.fail('chat.postMessage', { error: 'user_not_found' });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toEqual({ ok: false, retryable: false, error: 'user_not_found' });
    slack.fail('chat.postMessage', { network: 'reset' });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toMatchObject({ ok: false, retryable: true });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toMatchObject({ ok: true });
  });

  it('gives up on a call not answered in time, as a failure a retry can fix', async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const call = createSlackCaller({ botToken: 'xoxb-x', slackApiUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/`, timeoutMs: 50 });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toEqual({ ok: false, retryable: true, error: 'no answer from Slack within 50 ms' });
  });

  it('defers a call the pacer holds back, without making it', async () => {
    slack = await startSlackStandIn({ signingSecret: 's', socketMode: false, users: ['U0ALICE'] });
    const pacer = createSlackPacer({ 'chat.postMessage': { rule: { ratePerSecond: 1, burst: 1 }, perChannel: true } });
    const call = createSlackCaller({ botToken: slack.botToken, slackApiUrl: slack.apiUrl, pacer, now: () => 0 });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'a' })).toMatchObject({ ok: true });
    expect(await call('chat.postMessage', { channel: 'U0ALICE', text: 'b' })).toEqual({ ok: false, deferMs: 1000 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});
