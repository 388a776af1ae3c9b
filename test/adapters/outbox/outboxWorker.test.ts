import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookDeliverer } from '../../../src/adapters/outbox/deliverWebhook.ts';
import { backoffMs, createOutboxWorker, type DeliveryOutcome, type Settlement } from '../../../src/adapters/outbox/outboxWorker.ts';
import { verifyWebhookAuth } from '../../../src/adapters/http/webhookSignature.ts';
import { createLogger } from '../../../src/adapters/logger.ts';
import { createSlackCaller, createSlackDeliverer } from '../../../src/adapters/slack/deliverSlackCall.ts';
import { createSlackPacer } from '../../../src/adapters/slack/slackPacer.ts';
import { createDeferredWrites } from '../../../src/adapters/sqlite/deferredWrites.ts';
import { createGroupCommit } from '../../../src/adapters/sqlite/groupCommit.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { PRIORITY, sqliteOutboxStore, type OutboxRow } from '../../../src/adapters/sqlite/sqliteOutboxStore.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeClock } from '../../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../../src/sandbox/slackStandIn.ts';

const secret = 'outbox-test-secret';

interface Received {
  body: unknown;
  auth: ReturnType<typeof verifyWebhookAuth>;
}

/** A webhook receiver on loopback answering with the statuses it is given, then 200. */
async function startReceiver(statuses: { status: number; headers?: Record<string, string> }[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.push({
        body: JSON.parse(raw.toString()),
        auth: verifyWebhookAuth(
          { timestamp: req.headers['x-leadrelay-timestamp'] as string, signature: req.headers['x-leadrelay-signature'] as string },
          raw,
          secret,
          Math.floor(clock.now() / 1000),
        ),
      });
      const next = statuses.shift() ?? { status: 200 };
      res.writeHead(next.status, next.headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

let clock: FakeClock;
const servers: Server[] = [];
let slack: SlackStandIn | undefined;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await slack?.close();
  slack = undefined;
});

function setup(slackApiUrl = 'http://127.0.0.1:9/api/') {
  clock = new FakeClock();
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
  db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
  const outbox = sqliteOutboxStore(db);
  const failed: { row: OutboxRow; error: string }[] = [];
  const worker = createOutboxWorker({
    outbox,
    clock,
    logger: createLogger('silent'),
    deliverers: {
      webhook: createWebhookDeliverer({ secret: () => secret, now: () => clock.now() }),
      slack: createSlackDeliverer(createSlackCaller({ botToken: 'xoxb-test', slackApiUrl })),
      card: async () => ({ ok: false, retryable: false, error: 'no cards here' }),
    },
    onFailed: (row, error) => failed.push({ row, error }),
  });
  const state = (id: number) => db.prepare('SELECT state, attempts, next_attempt_at, last_error FROM outbox WHERE id = ?').get(id) as Record<string, unknown>;
  return { db, outbox, worker, failed, state };
}

describe('outbox worker', () => {
  it('delivers a webhook signed like requests to POST /leads', async () => {
    const receiver = await startReceiver();
    const t = setup();
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: { hello: 'world' } } }, clock.now());
    expect(await t.worker.drain()).toBe(1);
    expect(receiver.received).toEqual([{ body: { hello: 'world' }, auth: { ok: true, method: 'signature' } }]);
    expect(t.state(id)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('starts no delivery while held (a burst of expiries), and delivers once the hold is released', async () => {
    const receiver = await startReceiver();
    const t = setup();
    t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: { n: 1 } } }, clock.now());
    let release: () => void = () => undefined;
    t.worker.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const draining = t.worker.drain();
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(receiver.received).toEqual([]);
    release();
    expect(await draining).toBe(1);
    expect(receiver.received.map((r) => r.body)).toEqual([{ n: 1 }]);
  });

  it('delivers what a person is waiting for (a click\'s answer) while held, and the background rows once released', async () => {
    const t = setup();
    const delivered: string[] = [];
    const worker = createOutboxWorker({
      outbox: t.outbox,
      clock,
      logger: createLogger('silent'),
      deliverers: {
        webhook: async () => ({ ok: true }),
        slack: async () => ({ ok: true }),
        card: async (row) => {
          delivered.push(String(row.message_key));
          return { ok: true };
        },
      },
    });
    t.outbox.enqueue({ leadId: 1, kind: 'card', method: 'update_offer_card', payload: { offerId: 1 } }, clock.now());
    t.outbox.enqueue({ leadId: 2, kind: 'card', method: 'update_offer_card', payload: { offerId: 2 } }, clock.now(), PRIORITY.waiting);
    let release: () => void = () => undefined;
    worker.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const draining = worker.drain();
    await eventually(() => delivered.length === 1);
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual(['offer:2']);
    release();
    await draining;
    expect(delivered).toEqual(['offer:2', 'offer:1']);
  });

  it('delivers nothing while it may not (the instance lease is not held)', async () => {
    const t = setup();
    let mayDeliver = false;
    const delivered: number[] = [];
    const worker = createOutboxWorker({
      outbox: t.outbox,
      clock,
      logger: createLogger('silent'),
      mayDeliver: () => mayDeliver,
      deliverers: { webhook: async (row) => (delivered.push(row.id), { ok: true }), slack: async () => ({ ok: true }), card: async () => ({ ok: true }) },
    });
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: 'http://127.0.0.1:9/x', body: {} } }, clock.now());
    expect(await worker.drain()).toBe(0);
    mayDeliver = true;
    expect(await worker.drain()).toBe(1);
    expect(delivered).toEqual([id]);
  });

  it('retries a failing receiver with backoff until it succeeds', async () => {
    const receiver = await startReceiver([{ status: 500 }, { status: 503 }]);
    const t = setup();
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: {} } }, clock.now());
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'pending', attempts: 1, next_attempt_at: clock.now() + backoffMs(1), last_error: expect.stringContaining('HTTP 500') });
    await t.worker.drain();
    expect(receiver.received).toHaveLength(1); // not due yet
    clock.advance(backoffMs(1));
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'pending', attempts: 2, next_attempt_at: clock.now() + backoffMs(2) });
    clock.advance(backoffMs(2));
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'done', attempts: 3 });
    expect(receiver.received).toHaveLength(3);
  });

  it('waits as long as Retry-After asks', async () => {
    const receiver = await startReceiver([{ status: 429, headers: { 'retry-after': '30' } }]);
    const t = setup();
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: {} } }, clock.now());
    await t.worker.drain();
    expect(t.state(id).next_attempt_at).toBe(clock.now() + 30_000);
  });

  it('gives up on a receiver that refuses the request, and reports it', async () => {
    const receiver = await startReceiver([{ status: 410 }]);
    const t = setup();
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: {} } }, clock.now());
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'failed' });
    expect(t.failed.map((f) => f.error)).toEqual([expect.stringContaining('HTTP 410')]);
  });

  it('keeps a lead\'s effects in order while retrying, without holding up other leads', async () => {
    const receiver = await startReceiver([{ status: 500 }]);
    const t = setup();
    const first = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: { n: 1 } } }, clock.now());
    const second = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: { n: 2 } } }, clock.now());
    const other = t.outbox.enqueue({ leadId: 2, kind: 'webhook', method: 'sequence', payload: { url: receiver.url, body: { n: 3 } } }, clock.now());
    await t.worker.drain();
    expect(t.state(first).state).toBe('pending');
    expect(t.state(second)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(t.state(other).state).toBe('done');
    clock.advance(backoffMs(1));
    await t.worker.drain();
    expect(receiver.received.map((r) => (r.body as { n: number }).n)).toEqual([1, 3, 1, 2]);
  });

  it('tells onSettled what became of every attempt, once it is committed', async () => {
    clock = new FakeClock();
    const db = openDatabase(':memory:');
    const outbox = sqliteOutboxStore(db);
    const answers: DeliveryOutcome[] = [
      { ok: true },
      { ok: false, deferMs: 500 },
      { ok: false, retryable: true, error: 'HTTP 503 from crm.example.com' },
      { ok: false, retryable: false, error: 'HTTP 400 from crm.example.com' },
    ];
    const ids = answers.map((_, n) => outbox.enqueue({ leadId: null, kind: 'webhook', method: 'lead.claimed', payload: { n } }, clock.now()));
    const settled: [number, Settlement, boolean][] = [];
    const worker = createOutboxWorker({
      outbox,
      clock,
      logger: createLogger('silent'),
      deliverers: {
        webhook: async (row) => answers[(row.payload as { n: number }).n] as DeliveryOutcome,
        slack: async () => ({ ok: true }),
        card: async () => ({ ok: true }),
      },
      onSettled: (row, settlement) => settled.push([row.id, settlement, db.inTransaction]),
    });
    await worker.drain();
    expect(settled).toEqual([
      [ids[0], { result: 'done' }, false],
      [ids[1], { result: 'deferred' }, false],
      [ids[2], { result: 'retry', error: 'HTTP 503 from crm.example.com' }, false],
      [ids[3], { result: 'failed', error: 'HTTP 400 from crm.example.com' }, false],
    ]);
  });

  it('retries a network error', async () => {
    const t = setup();
    const id = t.outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { url: 'http://127.0.0.1:9/closed', body: {} } }, clock.now());
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'pending', last_error: expect.stringContaining('network') });
  });

  it('stops after the chunk in flight, leaving the rest of the outbox for the next start', async () => {
    clock = new FakeClock();
    const db = openDatabase(':memory:');
    const outbox = sqliteOutboxStore(db);
    const release: (() => void)[] = [];
    const worker = createOutboxWorker({
      outbox,
      clock,
      logger: createLogger('silent'),
      concurrency: 2,
      deliverers: {
        webhook: () => new Promise((resolve) => release.push(() => resolve({ ok: true }))),
        slack: async () => ({ ok: true }),
        card: async () => ({ ok: true }),
      },
    });
    for (let i = 0; i < 20; i += 1) outbox.enqueue({ leadId: null, kind: 'webhook', method: 'sequence', payload: {} }, clock.now());
    const draining = worker.drain();
    await eventually(() => release.length === 2);
    const stopped = worker.stop();
    for (const go of release.splice(0)) go();
    await stopped;
    await draining;
    expect(db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`).get()).toEqual({ n: 18 });
  });

  describe('Slack calls', () => {
    it('posts, honours a 429 Retry-After, and retries a 5xx', async () => {
      slack = await startSlackStandIn({ signingSecret: 's', socketMode: false });
      const t = setup(slack.apiUrl);
      slack.fail('chat.postMessage', { status: 429, retryAfter: 7 });
      const id = t.outbox.enqueue({ leadId: 1, kind: 'slack', method: 'chat.postMessage', payload: { channel: 'C0NURTURE', text: 'hi' } }, clock.now());
      await t.worker.drain();
      expect(t.state(id)).toMatchObject({ state: 'pending', next_attempt_at: clock.now() + 7000, last_error: 'ratelimited' });
      slack.fail('chat.postMessage', { status: 500 });
      clock.advance(7000);
      await t.worker.drain();
      expect(t.state(id)).toMatchObject({ state: 'pending', last_error: 'HTTP 500' });
      clock.advance(backoffMs(2));
      await t.worker.drain();
      expect(t.state(id).state).toBe('done');
      expect(slack.messages('C0NURTURE').map((m) => m.text)).toEqual(['hi']);
    });

    it('paces a burst to one channel by booking each row a slot: every waiting row is deferred once, not at every token', async () => {
      slack = await startSlackStandIn({ signingSecret: 's', socketMode: false });
      clock = new FakeClock();
      const db = openDatabase(':memory:');
      const insertLead = db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)");
      const outbox = sqliteOutboxStore(db);
      const pacer = createSlackPacer({ 'chat.postMessage': { rule: { ratePerSecond: 1, burst: 1 }, perChannel: true } });
      let waits = 0;
      const counting = { ...pacer, reserve: (...args: Parameters<typeof pacer.reserve>) => { const wait = pacer.reserve(...args); if (wait > 0) waits += 1; return wait; } };
      const worker = createOutboxWorker({
        outbox,
        clock,
        logger: createLogger('silent'),
        deliverers: {
          slack: createSlackDeliverer(createSlackCaller({ botToken: slack.botToken, slackApiUrl: slack.apiUrl, pacer: counting, now: () => clock.now() })),
          webhook: async () => ({ ok: true }),
          card: async () => ({ ok: true }),
        },
      });
      // Five leads' notes to one channel at once (different leads: no ordering between them).
      for (let i = 1; i <= 5; i += 1) {
        insertLead.run();
        outbox.enqueue({ leadId: i, kind: 'slack', method: 'chat.postMessage', payload: { channel: 'C0BUSY', text: `note ${i}` } }, clock.now());
      }
      for (let second = 0; second < 5; second += 1) {
        await worker.drain();
        expect(slack.messages('C0BUSY')).toHaveLength(second + 1);
        clock.advance(1000);
      }
      expect(slack.messages('C0BUSY').map((m) => m.text).sort()).toEqual(['note 1', 'note 2', 'note 3', 'note 4', 'note 5']);
      // Four rows had to wait, once each (without slots: 4 + 3 + 2 + 1 = 10 deferrals).
      expect(waits).toBe(4);
      db.close();
    });

    it('gives up on a permanent Slack error such as channel_not_found', async () => {
      slack = await startSlackStandIn({ signingSecret: 's', socketMode: false });
      const t = setup(slack.apiUrl);
      slack.fail('chat.postMessage', { error: 'channel_not_found' });
      const id = t.outbox.enqueue({ leadId: 1, kind: 'slack', method: 'chat.postMessage', payload: { channel: 'C0GONE', text: 'hi' } }, clock.now());
      await t.worker.drain();
      expect(t.state(id)).toMatchObject({ state: 'failed', last_error: 'channel_not_found' });
      expect(t.failed).toHaveLength(1);
    });
  });
});

describe('outbox worker recording deliveries with the next commit', () => {
  function deferredSetup() {
    clock = new FakeClock();
    const db = openDatabase(':memory:');
    db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
    const outbox = sqliteOutboxStore(db);
    const deferred = createDeferredWrites(db, { maxDelayMs: 60_000 });
    const delivered: number[] = [];
    const worker = createOutboxWorker({
      outbox,
      clock,
      logger: createLogger('silent'),
      deferred,
      deliverers: {
        webhook: async (row) => {
          delivered.push(row.id);
          return { ok: true };
        },
        slack: async () => ({ ok: true }),
        card: async () => ({ ok: true }),
      },
    });
    // Another use case's group commit (an arriving lead's), which the recordings join.
    const commit = createGroupCommit(db, () => undefined, undefined, deferred);
    const state = (id: number) => (db.prepare('SELECT state FROM outbox WHERE id = ?').get(id) as { state: string }).state;
    const enqueue = (n: number) => outbox.enqueue({ leadId: 1, kind: 'webhook', method: 'sequence', payload: { n } }, clock.now());
    return { worker, deferred, delivered, commit, state, enqueue };
  }

  it('keeps a delivered row pending, and the lead\'s next effect waiting, until a commit records it; then goes on', async () => {
    const t = deferredSetup();
    const first = t.enqueue(1);
    const second = t.enqueue(2);
    t.worker.start();
    await eventually(() => t.delivered.length === 1 && t.deferred.pending === 1);
    expect(t.state(first)).toBe('pending'); // delivered, not recorded yet: not delivered again
    expect(t.delivered).toEqual([first]);
    await t.commit(undefined);
    await eventually(() => t.delivered.length === 2);
    expect(t.state(first)).toBe('done');
    expect(t.delivered).toEqual([first, second]);
    await t.worker.stop(); // records what was delivered
    expect(t.state(second)).toBe('done');
  });

  it('records before returning when drained directly (timers off), delivering what that unblocks', async () => {
    const t = deferredSetup();
    const first = t.enqueue(1);
    const second = t.enqueue(2);
    expect(await t.worker.drain()).toBe(2);
    expect([t.state(first), t.state(second)]).toEqual(['done', 'done']);
  });
});
