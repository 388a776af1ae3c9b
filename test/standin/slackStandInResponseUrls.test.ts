/**
 * The stand-in's response_url semantics and rate limits, as Slack documents them: a response_url
 * takes up to 5 posts within 30 minutes of the interaction (docs.slack.dev/interactivity/
 * handling-user-interaction#message_responses), `replace_original` replaces the message clicked;
 * posting is limited to about one message per second per channel and chat.update is Tier 3
 * (docs.slack.dev/apis/web-api/rate-limits), 429 + Retry-After beyond.
 */
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import { createRateLimiter } from '../../src/sandbox/slackRateLimits.ts';

const signingSecret = 'standin-response-url-secret';
let slack: SlackStandIn | undefined;
let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  await slack?.close();
  app = undefined;
  slack = undefined;
});

/** A Bolt app that acks a click on `claim_lead` and keeps its response_url for the test. */
async function start(clock: FakeClock, options: { rateLimits?: 'enforce' } = {}) {
  const standIn = await startSlackStandIn({ signingSecret, users: ['U0ALICE'], socketMode: false, clock, ...options });
  slack = standIn;
  const urls: string[] = [];
  const bolt = new App({ token: standIn.botToken, signingSecret, clientOptions: { slackApiUrl: standIn.apiUrl }, logLevel: LogLevel.ERROR });
  bolt.action('claim_lead', async ({ ack, body }) => {
    await ack();
    urls.push((body as { response_url: string }).response_url);
  });
  app = bolt;
  const server = await bolt.start({ port: 0, host: '127.0.0.1' });
  standIn.setRequestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  const card = await bolt.client.chat.postMessage({
    channel: 'U0ALICE',
    text: 'New lead',
    blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'claim_lead', text: { type: 'plain_text', text: 'Claim' }, value: 'x' }] }],
  });
  const clickCard = async () => {
    await standIn.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: 'U0ALICE', ts: String(card.ts) }, requireElement: false });
    return urls.at(-1) as string;
  };
  const post = (url: string, body: Record<string, unknown>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  return { slack: standIn, bolt, card, clickCard, post };
}

const replacement = (text: string) => ({ replace_original: true, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

describe('response URLs in the Slack stand-in', () => {
  it('replaces the clicked message, up to 5 times; the 6th post is refused with used_url and changes nothing', async () => {
    const t = await start(new FakeClock(Date.now()));
    const url = await t.clickCard();
    for (let i = 1; i <= 5; i += 1) expect(await t.post(url, replacement(`version ${i}`))).toEqual({ status: 200, body: { ok: true } });
    expect(await t.post(url, replacement('version 6'))).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    const message = t.slack.message('U0ALICE', String(t.card.ts));
    expect(message?.text).toBe('version 5');
    expect(message?.versions).toHaveLength(5);
  });

  it('refuses a post more than 30 minutes after the click with expired_url', async () => {
    const clock = new FakeClock(Date.now());
    const t = await start(clock);
    const url = await t.clickCard();
    clock.advance(30 * 60_000);
    expect((await t.post(url, replacement('just in time'))).status).toBe(200);
    clock.advance(1);
    expect(await t.post(url, replacement('too late'))).toEqual({ status: 404, body: { ok: false, error: 'expired_url' } });
    expect(t.slack.message('U0ALICE', String(t.card.ts))?.text).toBe('just in time');
  });

  it('can fail a response_url post on purpose (not counted as a use), or hold back its answer', async () => {
    const t = await start(new FakeClock(Date.now()));
    const url = await t.clickCard();
    t.slack.fail('response_url', { status: 503 });
    expect((await t.post(url, replacement('refused'))).status).toBe(503);
    expect(t.slack.message('U0ALICE', String(t.card.ts))?.text).toBe('New lead');
    t.slack.fail('response_url', { network: 'reset' });
    await expect(t.post(url, replacement('reset'))).rejects.toThrow();
    t.slack.fail('response_url', { delayMs: 200 });
    const started = performance.now();
    expect((await t.post(url, replacement('slow'))).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    for (let i = 2; i <= 5; i += 1) expect((await t.post(url, replacement(`version ${i}`))).status).toBe(200);
    expect(t.slack.responseUrlPosts.map((p) => [p.status, p.injected === true])).toEqual([[503, true], [0, true], [200, false], [200, false], [200, false], [200, false], [200, false]]);
  });

  it('holds back the answer to a Web API call that it has already carried out (delayMs)', async () => {
    const t = await start(new FakeClock(Date.now()));
    t.slack.fail('chat.postMessage', { delayMs: 300 });
    const posting = t.bolt.client.chat.postMessage({ channel: 'U0ALICE', text: 'second' });
    await t.slack.waitUntil(() => t.slack.messages('U0ALICE').some((m) => m.text === 'second'));
    const answer = await posting;
    expect(answer.ok).toBe(true);
    expect(t.slack.callsTo('chat.postMessage').at(-1)).toMatchObject({ ok: true, injected: true });
  });
});

describe('Slack\'s rate limits in the stand-in', () => {
  it('refuses chat.update beyond Tier 3 (a burst of 20, then ~50 a minute) with 429 and Retry-After', async () => {
    const clock = new FakeClock(Date.now());
    const t = await start(clock, { rateLimits: 'enforce' });
    const update = () => fetch(`${t.slack.apiUrl}chat.update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.slack.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'D0ALICE', ts: t.card.ts, text: 'updated' }),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i += 1) statuses.push((await update()).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    const refused = await update();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    clock.advance(1200);
    expect((await update()).status).toBe(200);
    expect(t.slack.rateLimitStats.overLimit).toEqual({ 'chat.update': 2 });
  });

  it('limits posting per channel: a burst of three, then about one a second; other methods are not limited here', () => {
    const limiter = createRateLimiter({ mode: 'enforce' });
    expect([0, 0, 0].map(() => limiter.take('chat.postMessage', 'D0ALICE', 0).over)).toEqual([false, false, false]);
    expect(limiter.take('chat.postMessage', 'D0ALICE', 0)).toMatchObject({ over: true, retryAfterSeconds: 1 });
    expect(limiter.take('chat.postMessage', 'D0BOB', 0).over).toBe(false);
    expect(limiter.take('chat.postMessage', 'D0ALICE', 1000).over).toBe(false);
    expect(limiter.take('conversations.history', 'D0ALICE', 0).over).toBe(false);
  });
});
