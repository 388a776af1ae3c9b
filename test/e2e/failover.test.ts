/**
 * Failover on PostgreSQL ("killing any instance at any point loses nothing and doubles nothing").
 *
 * Two real bot processes (`src/main.ts`, DATABASE_URL) on one PostgreSQL database, against the Slack
 * stand-in. Slack's requests reach them through a load balancer on loopback (round robin; a
 * connection refused goes to the other instance, as a balancer's health check would have it), and
 * leads are posted to either instance (a lead whose request dies with its instance is posted again
 * to the other, with the same Idempotency-Key). 500 leads and 100 claim clicks are spread over both;
 * at a point drawn from the seed, a few card posts have their answer held back by Slack (so that
 * rows are in flight) and one instance, drawn from the seed too, is killed with SIGKILL. Then:
 *  1. every lead answered 202 (or stored by the killed instance before it could answer: its retry
 *     is answered as a replay) has exactly one offer, and its card was posted exactly once;
 *  2. every claim click that was acknowledged (HTTP 200) made the clicker the owner, and the card
 *     in Slack shows "Claimed by you";
 *  3. nothing was posted twice: no offer card, no note or DM (every post names its offer or its
 *     outbox row in its metadata);
 *  4. the outbox rows the killed instance had leased were taken over by the survivor within 10 s.
 *
 * LEADRELAY_FAILOVER_SEED=<n> replays a run's choices (the kill point, the victim, who gets which
 * request, which cards are clicked); the timing of real processes is not replayed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../../bench/botProcess.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import { BotUnderTest, offerCardsPosted, OFFER_METADATA_TYPE, sleep } from '../support/botUnderTest.ts';
import { eventually } from '../support/eventually.ts';
import { describePostgres, usePostgres } from '../support/postgres.ts';

const SEED = Number(process.env.LEADRELAY_FAILOVER_SEED ?? 20_261_203) >>> 0;
const LEADS = 500;
const CLICKS = 100;
/** Enough reps that Slack's one post per second per DM paces no rep's cards for long. */
const REPS = Array.from({ length: 100 }, (_, i) => `U0REP${String(i + 1).padStart(3, '0')}`);
const MANAGER = 'U0MGR';
/** Requests in flight at once. */
const SENDERS = 8;
const signingSecret = 'failover-signing-secret';
const webhookSecret = 'failover-webhook-secret';
const tag = `[failover test seed ${SEED}; replay with LEADRELAY_FAILOVER_SEED=${SEED}]`;

/** mulberry32, seeded per concern so that one stream's draws do not shift another's. */
function stream(name: string) {
  let a = 0x811c9dc5 ^ SEED;
  for (const char of name) a = Math.imul(a ^ char.charCodeAt(0), 0x01000193);
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { between: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), chance: (p: number) => next() < p };
}

/**
 * Slack's way in: forwards each request to one of the instances (round robin from a seeded start);
 * one that refuses the connection (it is dead, nothing reached it) is skipped. A request that dies
 * on its way (the instance was killed while serving it) is answered 502: Slack shows it failed.
 */
async function startBalancer(upstreams: { port: number; alive: () => boolean }[]) {
  let turn = stream('balancer').between(0, upstreams.length - 1);
  const served = upstreams.map(() => 0);
  const forward = (port: number, req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer } | 'refused' | 'failed'>((resolve) => {
      const out = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', () => resolve('failed'));
      });
      out.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'failed'));
      out.end(body);
    });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      for (let tries = 0; tries < upstreams.length; tries += 1) {
        const index = turn;
        turn = (turn + 1) % upstreams.length;
        const upstream = upstreams[index] as (typeof upstreams)[number];
        if (!upstream.alive()) continue;
        const answer = await forward(upstream.port, req, body);
        if (answer === 'refused') continue;
        if (answer === 'failed') break;
        served[index] = (served[index] ?? 0) + 1;
        res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'application/json' }).end(answer.body);
        return;
      }
      res.writeHead(502).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const pg = usePostgres();
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const textOf = (slack: SlackStandIn, channel: string, ts: string) => {
  const message = slack.message(channel, ts);
  return `${message?.text ?? ''}\n${JSON.stringify(message?.blocks ?? [])}`;
};

describePostgres('failover: two instances on one PostgreSQL database', () => {
  it(`loses and doubles nothing when one of them is killed with SIGKILL mid-load, and the other takes its leases over within 10 s`, { timeout: 180_000 }, async () => {
    const startedAt = Date.now();
    const database = await pg.database();
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-failover-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'leadrelay.yml'),
      `timezone: UTC
sla: { claim_within: 30m, max_offers: 3 }
managers: [${MANAGER}]
reps:
${REPS.map((id) => `  - { id: ${id}, name: ${id} }`).join('\n')}
teams:
  - { id: sdr, manager: ${MANAGER}, members: [${REPS.join(', ')}] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`,
    );
    const slack = await startSlackStandIn({ signingSecret, users: [...REPS, MANAGER], socketMode: false });
    cleanups.push(() => slack.close());
    const env = {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      LEADRELAY_WEBHOOK_SECRET: webhookSecret,
      LEADRELAY_CONFIG: join(dir, 'leadrelay.yml'),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
    };
    const bots = [new BotUnderTest(await freePort(), env, `${tag} [a]`), new BotUnderTest(await freePort(), env, `${tag} [b]`)] as const;
    for (const bot of bots) cleanups.push(async () => void (await bot.kill9()));
    // Started together: they migrate the new database once between them (the advisory lock).
    await Promise.all(bots.map((bot) => bot.start(30_000)));
    const upAt = Date.now();
    const health = await Promise.all(bots.map(async (bot) => (await (await fetch(`${bot.url}/healthz`)).json()) as { status: string; store: string; instance: string }));
    expect(health.map((h) => [h.status, h.store])).toEqual([
      ['ok', 'postgres'],
      ['ok', 'postgres'],
    ]);
    expect(health[0]?.instance).not.toBe(health[1]?.instance);
    const balancer = await startBalancer(bots.map((bot) => ({ port: bot.port, alive: () => bot.isUp })));
    cleanups.push(() => balancer.close());
    slack.setRequestUrl(`${balancer.url}/slack/events`);

    // The plan, from the seed: each operation a lead (to instance 0 or 1) or a click; the kill after
    // operation `killAfter`, of instance `victim`.
    const plan = stream('plan');
    const operations: ('lead' | 'click')[] = [];
    let leadsLeft = LEADS;
    let clicksLeft = CLICKS;
    while (leadsLeft + clicksLeft > 0) {
      // Clicks need cards: none among the first 50 operations.
      const click = operations.length >= 50 && clicksLeft > 0 && plan.chance(clicksLeft / (leadsLeft + clicksLeft));
      operations.push(click ? 'click' : 'lead');
      if (click) clicksLeft -= 1;
      else leadsLeft -= 1;
    }
    const killAfter = plan.between(150, 400);
    const victimIndex = plan.between(0, 1);
    const victim = bots[victimIndex] as BotUnderTest;
    const survivor = bots[1 - victimIndex] as BotUnderTest;
    const victimName = health[victimIndex]?.instance as string;
    const routing = stream('routing');
    const picking = stream('clicks');

    /** Every lead stored: answered 202, or stored by the killed instance before it could answer (its retry is a replay). */
    const accepted = new Map<number, string>();
    let storedUnanswered = 0;
    const servedLeads = [0, 0];
    let n = 0;
    const sendLead = async (): Promise<void> => {
      n += 1;
      const key = `failover-${SEED}-${n}`;
      const body = JSON.stringify({ email: `buyer${n}@company${n}.example.com`, name: `Buyer ${n}` });
      let target = routing.between(0, 1);
      for (let tries = 0; tries < 6; tries += 1) {
        const bot = bots[target] as BotUnderTest;
        try {
          const response = await fetch(`${bot.url}/leads`, { method: 'POST', headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json', 'idempotency-key': key }, body });
          const answer = (await response.json()) as { lead: string; status: string; matched_by?: string };
          // A retry of a request the killed instance stored but never answered is its replay.
          const replayed = tries > 0 && response.status === 200 && answer.matched_by === 'idempotency_key';
          expect(replayed || response.status === 202, `${tag} lead ${key}: ${response.status} ${JSON.stringify(answer)}`).toBe(true);
          accepted.set(Number(answer.lead.slice(2)), key);
          if (replayed) storedUnanswered += 1;
          servedLeads[target] = (servedLeads[target] ?? 0) + 1;
          return;
        } catch (error) {
          if ((error as { name?: string }).name === 'AssertionError') throw error;
          // The instance died with the request (or before it): the other one takes it, same key.
          target = 1 - target;
        }
      }
      throw new Error(`${tag} lead ${key} was answered by neither instance`);
    };

    const clicked = new Set<number>();
    const clicks: { offerId: number; userId: string; channel: string; ts: string; status: number }[] = [];
    const sendClick = async (): Promise<void> => {
      const card = await eventually(() => {
        const open = offerCardsPosted(slack).filter((c) => !clicked.has(c.offerId));
        return open.length > 0 ? open[picking.between(0, open.length - 1)] : undefined;
      }, 20_000);
      clicked.add(card.offerId);
      const reply = await slack.blockAction({ userId: card.userId, actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      clicks.push({ offerId: card.offerId, userId: card.userId, channel: card.channel, ts: card.ts, status: reply.status });
    };

    // The load, SENDERS requests at a time; the killer waits for its operation.
    let next = 0;
    let done = 0;
    let killed: { at: number; leased: number[] } | undefined;
    let takenOverAt = 0;
    const killing = (async () => {
      await eventually(() => done >= killAfter, 60_000);
      // Slack holds back its answer to the next few card posts (stored, not yet answered): the killed
      // instance has posts in flight that reached Slack. (A delivery waits for the slowest call of its
      // chunk, so the survivor's takeover waits for these too: a second, not Slack's worst.)
      slack.fail('chat.postMessage', { delayMs: 1000 }, { times: 6, when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE });
      const leasedByVictim = async () =>
        (await database.pool.query<{ id: number }>(`SELECT id FROM outbox WHERE state = 'pending' AND leased_by = $1 ORDER BY id`, [victimName])).rows.map((r) => r.id);
      // A few ms more, drawn from the seed, but never before the victim holds something.
      await sleep(stream('kill').between(0, 50));
      await eventually(async () => (await leasedByVictim()).length > 0, 10_000).catch(() => undefined);
      await victim.kill9();
      killed = { at: Date.now(), leased: await leasedByVictim() };
      // 4. From now on: the survivor takes the dead instance's rows over (their leases lapse; nothing hands them back).
      await eventually(async () => (await leasedByVictim()).length === 0, 15_000);
      takenOverAt = Date.now();
    })();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < operations.length) {
          const operation = operations[next] as 'lead' | 'click';
          next += 1;
          await (operation === 'lead' ? sendLead() : sendClick());
          done += 1;
        }
      }),
    );
    const loadDoneAt = Date.now();
    await killing;
    const kill = killed as { at: number; leased: number[] };
    expect(kill.leased.length, `${tag} the victim held no outbox row at the kill`).toBeGreaterThan(0);
    const takeoverMs = takenOverAt - kill.at;
    expect(takeoverMs, `${tag} took over after ${takeoverMs} ms`).toBeLessThan(10_000);
    expect(survivor.isUp).toBe(true);

    // Settled: every card posted and recorded, nothing left to deliver.
    const ids = [...accepted.keys()];
    expect(ids).toHaveLength(LEADS);
    const settled = async () => {
      const { rows } = await database.pool.query<{ cards: number; pending: number }>(
        `SELECT (SELECT count(*) FROM offers WHERE message_ts IS NOT NULL) AS cards, (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending`,
      );
      return rows[0]?.cards === LEADS && rows[0]?.pending === 0;
    };
    // On a loaded machine (the whole suite at once) the survivor may take a while; what is left is said.
    await eventually(settled, 60_000).catch(async (error: unknown) => {
      const left = await database.pool.query(`SELECT id, lead_id, method, attempts, leased_by, lease_until, next_attempt_at, last_error FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 20`);
      const cardless = await database.pool.query(`SELECT (SELECT count(*) FROM offers WHERE message_ts IS NULL) AS cardless, (SELECT count(*) FROM offers) AS offers, (SELECT count(*) FROM leads) AS leads, (SELECT json_object_agg(state, n) FROM (SELECT state, count(*) AS n FROM leads GROUP BY state) s) AS states`);
      throw new Error(`${tag} not settled (${(error as Error).message.slice(0, 40)}…), ${JSON.stringify(cardless.rows[0])}, ${accepted.size} accepted; pending: ${JSON.stringify(left.rows)}\n${survivor.output.slice(-3000)}`);
    });
    const settledAt = Date.now();

    // 1. Every lead answered 202: one offer, whose card was posted once.
    const offers = (await database.pool.query<{ id: number; lead_id: number; message_ts: string | null }>('SELECT id, lead_id, message_ts FROM offers ORDER BY id')).rows;
    const offersOfLead = new Map<number, number[]>();
    for (const offer of offers) offersOfLead.set(offer.lead_id, [...(offersOfLead.get(offer.lead_id) ?? []), offer.id]);
    expect(ids.filter((id) => offersOfLead.get(id)?.length !== 1), `${tag} leads without exactly one offer`).toEqual([]);
    const cards = offerCardsPosted(slack);
    const postsPerOffer = new Map<number, number>();
    for (const card of cards) postsPerOffer.set(card.offerId, (postsPerOffer.get(card.offerId) ?? 0) + 1);
    expect(offers.filter((offer) => postsPerOffer.get(offer.id) !== 1).map((offer) => offer.id), `${tag} offers whose card was not posted exactly once`).toEqual([]);
    expect(offers.filter((offer) => offer.message_ts !== cards.find((card) => card.offerId === offer.id)?.ts).map((o) => o.id), `${tag} offers storing another card than Slack's`).toEqual([]);

    // 2. Every acknowledged claim is the clicker's, and its card says so.
    const acknowledged = clicks.filter((click) => click.status === 200);
    expect(acknowledged.length, `${tag} clicks acknowledged`).toBeGreaterThan(CLICKS - 10);
    const owners = new Map(
      (await database.pool.query<{ id: number; state: string; owner_id: string | null }>(`SELECT o.id, l.state, l.owner_id FROM offers o JOIN leads l ON l.id = o.lead_id`)).rows.map((r) => [r.id, r]),
    );
    for (const click of acknowledged) {
      expect(owners.get(click.offerId), `${tag} offer ${click.offerId} clicked by ${click.userId}`).toMatchObject({ state: 'claimed', owner_id: click.userId });
      expect(textOf(slack, click.channel, click.ts), `${tag} card of offer ${click.offerId}`).toContain('Claimed by you');
    }
    // No claim came from anywhere but a click.
    expect([...owners.values()].filter((o) => o.state === 'claimed').length).toBeLessThanOrEqual(clicks.length);

    // 3. Nothing posted twice: every post carries its offer (cards) or its outbox row (the rest).
    const keys = slack
      .callsTo('chat.postMessage')
      .filter((call) => call.ok)
      .map((call) => {
        const metadata = call.args.metadata as { event_type?: string; event_payload?: { offer_id?: number; outbox_id?: number } } | undefined;
        return `${metadata?.event_type}:${metadata?.event_payload?.offer_id ?? metadata?.event_payload?.outbox_id}`;
      });
    expect(keys.filter((key, i) => keys.indexOf(key) !== i), `${tag} posted twice`).toEqual([]);

    // Both instances served leads and Slack's requests before the kill.
    expect(servedLeads.every((count) => count > 0)).toBe(true);
    expect(balancer.served.every((count) => count > 0)).toBe(true);
    expect(survivor.unexpectedExits()).toEqual([]);
    console.info(
      `failover ${tag}: killed instance ${victimIndex} after ${killAfter} operations holding ${kill.leased.length} rows (${storedUnanswered} leads stored unanswered); taken over in ${takeoverMs} ms; ` +
        `${acknowledged.length}/${clicks.length} clicks acknowledged; leads answered ${servedLeads.join('/')}, Slack requests ${balancer.served.join('/')}; ` +
        `up after ${upAt - startedAt} ms, killed at ${kill.at - startedAt} ms, load sent at ${loadDoneAt - startedAt} ms, settled at ${settledAt - startedAt} ms, ${Date.now() - startedAt} ms in all`,
    );
  });
});
