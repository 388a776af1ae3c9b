import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/app/events.ts';
import { PRIORITY, type Priority, type Store } from '../../../src/app/ports.ts';
import type { Effect } from '../../../src/domain/effects.ts';
import { createWebhookDeliverer } from '../../../src/adapters/outbox/deliverWebhook.ts';
import { backoffMs, createOutboxWorker, type Deliverer, type DeliveryOutcome, type Settlement } from '../../../src/adapters/outbox/outboxWorker.ts';
import { verifyWebhookAuth } from '../../../src/adapters/http/webhookSignature.ts';
import { createLogger } from '../../../src/adapters/logger.ts';
import { createCardModels } from '../../../src/adapters/slack/cardModels.ts';
import { createResponseUrlPoster, createSlackCaller } from '../../../src/adapters/slack/deliverSlackCall.ts';
import { createEffectDeliverer } from '../../../src/adapters/slack/deliverEffect.ts';
import { createSlackPacer, type SlackPacer } from '../../../src/adapters/slack/slackPacer.ts';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { routingConfig } from '../../support/routingConfig.ts';
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

/** Delivery through the real switch: Slack messages against `slackApiUrl` (with `pacer`), webhooks signed with the test secret. */
function realDeliverer(store: Store, slackApiUrl: string, pacer?: SlackPacer): Deliverer {
  const call = createSlackCaller({ botToken: 'xoxb-test', slackApiUrl, ...(pacer ? { pacer } : {}), now: () => clock.now() });
  const config = routingConfig();
  return createEffectDeliverer({
    call,
    respond: createResponseUrlPoster(),
    uow: store.uow,
    models: createCardModels({ uow: store.uow, settings: () => config }),
    settings: () => config,
    now: () => clock.now(),
    maybeInFlight: new Set(),
    webhook: createWebhookDeliverer({ secret: () => secret, now: () => clock.now() }),
  });
}

/** A store with two leads, and a worker on it delivering through `deliver` (default: the real deliverer). */
function setup(
  options: {
    slackApiUrl?: string;
    deliver?: Deliverer;
    soonMaxDelayMs?: number;
    concurrency?: number;
    mayDeliver?: () => boolean;
    queue?: (queue: Store['outboxQueue']) => Store['outboxQueue'];
    /** As with several instances: the worker claims one chunk at a time (SQLite ignores the leases themselves). */
    leases?: boolean;
  } = {},
) {
  clock = new FakeClock();
  const db = openDatabase(':memory:');
  db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
  db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)").run();
  const store = sqliteStore(db, { soonMaxDelayMs: options.soonMaxDelayMs ?? 20 });
  const failed: { row: { leadId: number | null; effect: Effect }; error: string }[] = [];
  const events = createEventBus((error) => {
    throw error;
  });
  events.subscribe('deliveryFailed', ({ leadId, effect, error }) => void failed.push({ row: { leadId, effect }, error }));
  const worker = createOutboxWorker({
    store: options.queue ? { uow: store.uow, outboxQueue: options.queue(store.outboxQueue) } : store,
    clock,
    logger: createLogger('silent'),
    deliver: options.deliver ?? realDeliverer(store, options.slackApiUrl ?? 'http://127.0.0.1:9/api/'),
    events,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.mayDeliver ? { mayDeliver: options.mayDeliver } : {}),
    ...(options.leases ? { leases: { leaseMs: 60_000, renew: async () => undefined, release: async () => 0 } } : {}),
  });
  const enqueue = (leadId: number | null, effect: Effect, priority: Priority = PRIORITY.background) => store.uow.run((tx) => tx.outbox.enqueue(leadId, effect, clock.now(), priority));
  const webhook = (url: string, body: unknown, event: 'sequence' | 'lead.claimed' = 'sequence'): Effect => ({ type: 'webhook', event, url, body });
  const state = (id: number) => db.prepare('SELECT state, attempts, next_attempt_at, last_error FROM outbox WHERE id = ?').get(id) as Record<string, unknown>;
  return { db, store, worker, failed, state, enqueue, webhook };
}

/** The queue with its claims counted (and, with `nextDue`, the next due times it answers recorded). */
function countingQueue(counts: { claims: number; nextDue?: (number | null)[] }) {
  return (queue: Store['outboxQueue']): Store['outboxQueue'] => ({
    ...queue,
    async claimDue(request) {
      counts.claims += 1;
      return queue.claimDue(request);
    },
    async nextDueAt(after) {
      const next = await queue.nextDueAt(after);
      counts.nextDue?.push(next);
      return next;
    },
  });
}

describe('outbox worker', () => {
  it('delivers a webhook signed like requests to POST /leads', async () => {
    const receiver = await startReceiver();
    const t = setup();
    const id = await t.enqueue(1, t.webhook(receiver.url, { hello: 'world' }));
    expect(await t.worker.drain()).toBe(1);
    expect(receiver.received).toEqual([{ body: { hello: 'world' }, auth: { ok: true, method: 'signature' } }]);
    expect(t.state(id)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('does not deliver again a row recorded done while a claim that read it still pending was on its way back', async () => {
    // Several instances on PostgreSQL: the claim's answer and the record's commit travel on two
    // connections, and the commit may be seen first. Here the second claim reads the row while its
    // delivery is being recorded, and answers only once the record has committed. (One chunk of one
    // row per claim, as several instances claim: the first claim came back full, so the worker
    // claims again at once, while the record is on its way.)
    const receiver = await startReceiver();
    let claims = 0;
    let id = 0;
    const t = setup({
      concurrency: 1,
      leases: true,
      queue: (queue) => ({
        ...queue,
        async claimDue(request) {
          const rows = await queue.claimDue(request);
          claims += 1;
          if (claims === 2) {
            expect(rows.map((row) => row.id)).toEqual([id]);
            await eventually(() => t.state(id).state === 'done');
            await new Promise((resolve) => setImmediate(resolve));
          }
          return rows;
        },
      }),
    });
    id = await t.enqueue(1, t.webhook(receiver.url, { once: true }));
    await t.worker.drain();
    expect(claims).toBeGreaterThan(2);
    expect(receiver.received).toHaveLength(1);
    expect(t.state(id)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('starts no delivery while held (a burst of expiries), and delivers once the hold is released', async () => {
    const receiver = await startReceiver();
    const t = setup();
    await t.enqueue(1, t.webhook(receiver.url, { n: 1 }));
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
    const delivered: string[] = [];
    const t = setup({
      deliver: async (row) => {
        delivered.push(String(row.messageKey));
        return { ok: true };
      },
    });
    await t.enqueue(1, { type: 'update_offer_card', offerId: 1 });
    await t.enqueue(2, { type: 'update_offer_card', offerId: 2 }, PRIORITY.waiting);
    let release: () => void = () => undefined;
    t.worker.holdUntil(new Promise<void>((resolve) => (release = resolve)));
    const draining = t.worker.drain();
    await eventually(() => delivered.length === 1);
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual(['offer:2']);
    release();
    await draining;
    expect(delivered).toEqual(['offer:2', 'offer:1']);
  });

  it('delivers nothing while it may not (the instance lease is not held)', async () => {
    let mayDeliver = false;
    const delivered: number[] = [];
    const t = setup({ mayDeliver: () => mayDeliver, deliver: async (row) => (delivered.push(row.id), { ok: true }) });
    const id = await t.enqueue(1, t.webhook('http://127.0.0.1:9/x', {}));
    expect(await t.worker.drain()).toBe(0);
    mayDeliver = true;
    expect(await t.worker.drain()).toBe(1);
    expect(delivered).toEqual([id]);
  });

  it('retries a failing receiver with backoff until it succeeds', async () => {
    const receiver = await startReceiver([{ status: 500 }, { status: 503 }]);
    const t = setup();
    const id = await t.enqueue(1, t.webhook(receiver.url, {}));
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
    const id = await t.enqueue(1, t.webhook(receiver.url, {}));
    await t.worker.drain();
    expect(t.state(id).next_attempt_at).toBe(clock.now() + 30_000);
  });

  it('gives up on a receiver that refuses the request, and reports it', async () => {
    const receiver = await startReceiver([{ status: 410 }]);
    const t = setup();
    const id = await t.enqueue(1, t.webhook(receiver.url, {}));
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'failed' });
    expect(t.failed.map((f) => f.error)).toEqual([expect.stringContaining('HTTP 410')]);
  });

  it('keeps a lead\'s effects in order while retrying, without holding up other leads', async () => {
    const receiver = await startReceiver([{ status: 500 }]);
    const t = setup();
    const first = await t.enqueue(1, t.webhook(receiver.url, { n: 1 }));
    const second = await t.enqueue(1, t.webhook(receiver.url, { n: 2 }));
    const other = await t.enqueue(2, t.webhook(receiver.url, { n: 3 }));
    await t.worker.drain();
    expect(t.state(first).state).toBe('pending');
    expect(t.state(second)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(t.state(other).state).toBe('done');
    clock.advance(backoffMs(1));
    await t.worker.drain();
    expect(receiver.received.map((r) => (r.body as { n: number }).n)).toEqual([1, 3, 1, 2]);
  });

  it('claims once per delivery when the claim took every due row: no second claim reads the rows in flight again', async () => {
    const receiver = await startReceiver();
    const counts = { claims: 0 };
    const t = setup({ queue: countingQueue(counts) });
    await t.enqueue(1, t.webhook(receiver.url, { n: 1 }));
    await t.enqueue(2, t.webhook(receiver.url, { n: 2 }));
    expect(await t.worker.drain()).toBe(2);
    // The claim that delivered both, and the one after their record that found nothing left.
    expect(counts.claims).toBe(2);
  });

  it('claims nothing more after recording a delivery when no row of its lead waits (a steady flow of cards: one claim a card)', async () => {
    const receiver = await startReceiver();
    const counts = { claims: 0 };
    const t = setup({ soonMaxDelayMs: 0, queue: countingQueue(counts) });
    t.worker.start();
    await eventually(() => counts.claims === 1); // the start's drain: nothing due
    const id = await t.enqueue(1, t.webhook(receiver.url, { n: 1 }));
    t.worker.wake();
    await eventually(() => t.state(id).state === 'done');
    for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(counts.claims).toBe(2);
    await t.worker.stop();
  });

  it('claims once a card when each delivery is recorded with the next lead\'s commit (the timer is not armed for rows whose wake-up is on its way)', async () => {
    const receiver = await startReceiver();
    const counts = { claims: 0 };
    const t = setup({ soonMaxDelayMs: 60_000, queue: countingQueue(counts) });
    // A use case's commit: its row, and the wake-up its after-commit event gives the worker.
    const commitRow = (leadId: number, n: number) =>
      t.store.uow.run(async (tx) => {
        const id = await tx.outbox.enqueue(leadId, t.webhook(receiver.url, { n }), clock.now());
        tx.afterCommit(() => t.worker.wake());
        return id;
      });
    t.worker.start();
    await eventually(() => counts.claims === 1); // the start's drain: nothing due
    const first = await commitRow(1, 1);
    await eventually(() => receiver.received.length === 1);
    for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
    // 5 ms later, the second lead's commit carries the first delivery's record.
    clock.advance(5);
    const second = await commitRow(2, 2);
    await eventually(() => receiver.received.length === 2 && t.state(first).state === 'done');
    for (let i = 0; i < 10; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(counts.claims).toBe(3);
    await t.worker.stop();
    expect(t.state(second).state).toBe('done');
  });

  it('arms its timer at the retry of a lane\'s earlier row, not at once for the row waiting behind it (no spinning while a receiver fails)', async () => {
    const receiver = await startReceiver([{ status: 500 }]);
    const counts = { claims: 0, nextDue: [] as (number | null)[] };
    const asked = counts.nextDue;
    const t = setup({ queue: countingQueue(counts) });
    await t.enqueue(1, t.webhook(receiver.url, { n: 1 }));
    await t.enqueue(1, t.webhook(receiver.url, { n: 2 }));
    const failedAt = clock.now();
    t.worker.start();
    await eventually(() => receiver.received.length === 1 && asked.includes(failedAt + backoffMs(1)));
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    // The second row is due by the clock but waits behind the first: the timer looks past it.
    expect(asked.every((next) => next === null || next > failedAt)).toBe(true);
    expect(counts.claims).toBeLessThanOrEqual(3);
    await t.worker.stop();
  });

  it('tells onSettled what became of every attempt, once it is committed', async () => {
    clock = new FakeClock();
    const db = openDatabase(':memory:');
    const store = sqliteStore(db);
    const answers: DeliveryOutcome[] = [
      { ok: true },
      { ok: false, deferMs: 500 },
      { ok: false, retryable: true, error: 'HTTP 503 from crm.example.com' },
      { ok: false, retryable: false, error: 'HTTP 400 from crm.example.com' },
    ];
    const ids = [];
    for (let n = 0; n < answers.length; n += 1) ids.push(await store.uow.run((tx) => tx.outbox.enqueue(null, { type: 'webhook', event: 'lead.claimed', url: 'https://crm.example.com/hook', body: { n } }, clock.now())));
    const settled: [number, Settlement, boolean][] = [];
    const worker = createOutboxWorker({
      store,
      clock,
      logger: createLogger('silent'),
      deliver: async (row) => answers[(row.effect as { body: { n: number } }).body.n] as DeliveryOutcome,
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
    const id = await t.enqueue(1, t.webhook('http://127.0.0.1:9/closed', {}));
    await t.worker.drain();
    expect(t.state(id)).toMatchObject({ state: 'pending', last_error: expect.stringContaining('network') });
  });

  it('stops after the chunk in flight, leaving the rest of the outbox for the next start', async () => {
    const release: (() => void)[] = [];
    const t = setup({ concurrency: 2, deliver: () => new Promise((resolve) => release.push(() => resolve({ ok: true }))) });
    for (let i = 0; i < 20; i += 1) await t.enqueue(null, t.webhook('http://127.0.0.1:9/x', { i }));
    const draining = t.worker.drain();
    await eventually(() => release.length === 2);
    const stopped = t.worker.stop();
    for (const go of release.splice(0)) go();
    await stopped;
    await draining;
    expect(t.db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`).get()).toEqual({ n: 18 });
  });

  // Leadrelay's Slack messages through the real deliverer (a plain message is the simplest of them).
  describe('Slack calls', () => {
    it('posts, honours a 429 Retry-After, and retries a 5xx', async () => {
      slack = await startSlackStandIn({ signingSecret: 's', socketMode: false });
      const t = setup({ slackApiUrl: slack.apiUrl });
      slack.fail('chat.postMessage', { status: 429, retryAfter: 7 });
      const id = await t.enqueue(1, { type: 'post_message', channel: 'C0NURTURE', text: 'hi' });
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
      const pacer = createSlackPacer({ 'chat.postMessage': { rule: { ratePerSecond: 1, burst: 1 }, perChannel: true } });
      let waits = 0;
      const counting = { ...pacer, reserve: (...args: Parameters<typeof pacer.reserve>) => { const wait = pacer.reserve(...args); if (wait > 0) waits += 1; return wait; } };
      let deliver: Deliverer = async () => ({ ok: true });
      const t = setup({ deliver: (row) => deliver(row) });
      deliver = realDeliverer(t.store, slack.apiUrl, counting);
      const insertLead = t.db.prepare("INSERT INTO leads (source, payload, received_at, updated_at) VALUES ('form', '{}', 0, 0)");
      // Five leads' messages to one channel at once (different leads: no ordering between them).
      for (let i = 1; i <= 5; i += 1) {
        insertLead.run();
        await t.enqueue(i + 2, { type: 'post_message', channel: 'C0BUSY', text: `note ${i}` });
      }
      for (let second = 0; second < 5; second += 1) {
        await t.worker.drain();
        expect(slack.messages('C0BUSY')).toHaveLength(second + 1);
        clock.advance(1000);
      }
      expect(slack.messages('C0BUSY').map((m) => m.text).sort()).toEqual(['note 1', 'note 2', 'note 3', 'note 4', 'note 5']);
      // Four rows had to wait, once each (without slots: 4 + 3 + 2 + 1 = 10 deferrals).
      expect(waits).toBe(4);
      t.db.close();
    });

    it('gives up on a permanent Slack error such as channel_not_found', async () => {
      slack = await startSlackStandIn({ signingSecret: 's', socketMode: false });
      const t = setup({ slackApiUrl: slack.apiUrl });
      slack.fail('chat.postMessage', { error: 'channel_not_found' });
      const id = await t.enqueue(1, { type: 'post_message', channel: 'C0GONE', text: 'hi' });
      await t.worker.drain();
      expect(t.state(id)).toMatchObject({ state: 'failed', last_error: 'channel_not_found' });
      expect(t.failed).toHaveLength(1);
    });
  });
});

describe('outbox worker recording deliveries with the next commit', () => {
  function deferredSetup() {
    const delivered: number[] = [];
    const t = setup({
      soonMaxDelayMs: 60_000,
      deliver: async (row) => {
        delivered.push(row.id);
        return { ok: true };
      },
    });
    // Another use case's transaction (an arriving lead's), which the recordings join.
    const commit = () => t.store.uow.run(async () => undefined);
    const state = (id: number) => (t.db.prepare('SELECT state FROM outbox WHERE id = ?').get(id) as { state: string }).state;
    const enqueue = (n: number) => t.enqueue(1, t.webhook('http://127.0.0.1:9/x', { n }));
    return { worker: t.worker, delivered, commit, state, enqueue };
  }

  it('keeps a delivered row pending, and the lead\'s next effect waiting, until a commit records it; then goes on', async () => {
    const t = deferredSetup();
    const first = await t.enqueue(1);
    const second = await t.enqueue(2);
    t.worker.start();
    await eventually(() => t.delivered.length === 1);
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(t.state(first)).toBe('pending'); // delivered, not recorded yet: not delivered again
    expect(t.delivered).toEqual([first]);
    await t.commit();
    await eventually(() => t.delivered.length === 2);
    expect(t.state(first)).toBe('done');
    expect(t.delivered).toEqual([first, second]);
    await t.worker.stop(); // records what was delivered
    expect(t.state(second)).toBe('done');
  });

  it('records before returning when drained directly (timers off), delivering what that unblocks', async () => {
    const t = deferredSetup();
    const first = await t.enqueue(1);
    const second = await t.enqueue(2);
    expect(await t.worker.drain()).toBe(2);
    expect([t.state(first), t.state(second)]).toEqual(['done', 'done']);
  });
});
