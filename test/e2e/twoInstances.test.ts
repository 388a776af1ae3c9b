/**
 * One writer on SQLite: two real bot processes (`src/main.ts`) started on one database, as a
 * rolling deploy or a double start does. The second waits on standby (GET /healthz 503
 * `{"status":"standby"}`, nothing else served) while the first serves; the first is killed with
 * SIGKILL with cards still to deliver (Slack failing, or holding back an answer), and the second
 * takes over within 10 s and delivers what was pending, once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/botProcess.ts';
import { startSlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import { BotUnderTest, offerCardsPosted, OFFER_METADATA_TYPE } from '../support/botUnderTest.ts';
import { eventually } from '../support/eventually.ts';

const signingSecret = 'two-instances-signing-secret';
const webhookSecret = 'two-instances-webhook-secret';
const REPS = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN'];

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('two instances on one SQLite database', () => {
  it('keeps the second on standby, gives 20 leads 20 cards, and after a kill -9 of the first the second takes over and delivers what was pending, once', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-two-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'leadrelay.yml'),
      `timezone: UTC
sla: { claim_within: 30m, max_offers: 3 }
managers: [U0MGR]
reps:
${REPS.map((id) => `  - { id: ${id}, name: ${id} }`).join('\n')}
teams:
  - { id: sdr, manager: U0MGR, members: [${REPS.join(', ')}] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`,
    );
    const dbPath = join(dir, 'leadrelay.db');
    const slack = await startSlackStandIn({ signingSecret, users: [...REPS, 'U0MGR'], socketMode: false });
    cleanups.push(() => slack.close());
    const env = {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      LEADRELAY_WEBHOOK_SECRET: webhookSecret,
      LEADRELAY_CONFIG: join(dir, 'leadrelay.yml'),
      LEADRELAY_DB: dbPath,
      LOG_LEVEL: 'info',
    };
    const first = new BotUnderTest(await freePort(), env, '[first]');
    const second = new BotUnderTest(await freePort(), env, '[second]');
    cleanups.push(async () => void (await first.kill9()));
    cleanups.push(async () => void (await second.kill9()));
    await first.start();
    slack.setRequestUrl(`${first.url}/slack/events`);
    await second.start(20_000, { standby: true });

    // The second is on standby: it says so, names the holder, and takes nothing.
    const standby = await fetch(`${second.url}/healthz`);
    expect(standby.status).toBe(503);
    const body = (await standby.json()) as { status: string; instance: string; lease: { holder: string } };
    expect(body.status).toBe('standby');
    const holder = ((await (await fetch(`${first.url}/healthz`)).json()) as { instance: string }).instance;
    expect(body.lease.holder).toBe(holder);
    const refused = await fetch(`${second.url}/leads`, { method: 'POST', headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json' }, body: '{"email":"x@y.example.com"}' });
    expect(refused.status).toBe(503);

    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    cleanups.push(() => void db.close());
    let n = 0;
    const sendLeads = async (url: string, count: number) => {
      const ids: number[] = [];
      for (let i = 0; i < count; i += 1) {
        n += 1;
        const response = await fetch(`${url}/leads`, {
          method: 'POST',
          headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `buyer${n}@company${n}.example.com`, name: `Buyer ${n}` }),
        });
        expect(response.status).toBe(202);
        ids.push(Number(((await response.json()) as { lead: string }).lead.slice(2)));
      }
      return ids;
    };
    const offersWithCard = () => (db.prepare('SELECT count(*) AS n FROM offers WHERE message_ts IS NOT NULL').get() as { n: number }).n;

    // 20 leads: 20 cards, each posted once.
    await sendLeads(first.url, 20);
    await eventually(() => offersWithCard() === 20, 20_000);
    expect(offerCardsPosted(slack)).toHaveLength(20);

    // Cards still to deliver at the kill: Slack refuses posts for a while (5 leads), and holds back
    // the answer to one it stored (so the first instance cannot know it posted it).
    const refusing = slack.fail('chat.postMessage', { status: 500 }, { times: Number.POSITIVE_INFINITY, when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE && args.channel !== 'U0DAN' });
    slack.fail('chat.postMessage', { delayMs: 5000 }, { times: 1, when: (args) => args.channel === 'U0DAN' });
    const pending = await sendLeads(first.url, 5);
    await eventually(() => slack.calls.some((c) => c.injected && c.args.channel === 'U0DAN'), 10_000);
    await eventually(() => slack.calls.filter((c) => c.injected && c.status === 500).length >= 3, 10_000);
    expect(offersWithCard()).toBeLessThan(25);
    await first.kill9();
    const killedAt = Date.now();
    refusing.clear();

    // The second takes over within 10 s and delivers what was pending: every lead has exactly one card.
    const tookMs = await second.whenHealthy(15_000);
    const takeover = Date.now() - killedAt;
    slack.setRequestUrl(`${second.url}/slack/events`);
    expect(takeover).toBeLessThan(10_000);
    await eventually(() => offersWithCard() === 25, 20_000);
    const cards = offerCardsPosted(slack);
    const perOffer = new Map<number, number>();
    for (const card of cards) perOffer.set(card.offerId, (perOffer.get(card.offerId) ?? 0) + 1);
    expect([...perOffer.values()].every((count) => count === 1)).toBe(true);
    expect(perOffer.size).toBe(25);
    const offers = db.prepare('SELECT lead_id, count(*) AS n FROM offers GROUP BY lead_id').all() as { lead_id: number; n: number }[];
    expect(offers.map((o) => o.n)).toEqual(Array(25).fill(1));
    for (const id of pending) expect(offers.some((o) => o.lead_id === id)).toBe(true);

    // Which instance holds the lease is logged, by both.
    expect(first.runs[0]?.output).toContain('"event":"lease.acquired"');
    expect(second.output).toContain('"event":"lease.standby"');
    expect(second.output).toMatch(new RegExp(`"event":"lease.acquired"[^\\n]*"took_over_from":"${holder.replace(/[/.]/g, '\\$&')}"`));
    console.info(`two instances: the standby took over ${takeover} ms after the kill -9 (healthy ${tookMs} ms into the wait); ${cards.length} cards for 25 leads`);
    await second.terminate();
  });

  it('passes the lease on when the holder stops renewing it (a paused process), and the holder stops at once when it wakes up', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-two-paused-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'leadrelay.yml'),
      `timezone: UTC
sla: { claim_within: 30m }
managers: [U0MGR]
reps: [{ id: U0ALICE, name: Alice }]
teams: [{ id: sdr, manager: U0MGR, members: [U0ALICE] }]
rules: [{ name: Everyone, route: { team: sdr } }]
fallback: { team: sdr }
`,
    );
    const slack = await startSlackStandIn({ signingSecret, users: ['U0ALICE', 'U0MGR'], socketMode: false });
    cleanups.push(() => slack.close());
    const env = {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      LEADRELAY_WEBHOOK_SECRET: webhookSecret,
      LEADRELAY_CONFIG: join(dir, 'leadrelay.yml'),
      LEADRELAY_DB: join(dir, 'leadrelay.db'),
      LOG_LEVEL: 'info',
    };
    const first = new BotUnderTest(await freePort(), env, '[first]');
    const second = new BotUnderTest(await freePort(), env, '[second]');
    cleanups.push(async () => void (await first.kill9()));
    cleanups.push(async () => void (await second.kill9()));
    const run = await first.start();
    await second.start(20_000, { standby: true });
    // The holder is alive but paused: its lease must run out before the other one may take over.
    process.kill(run.pid, 'SIGSTOP');
    const pausedAt = Date.now();
    await second.whenHealthy(15_000);
    const takeover = Date.now() - pausedAt;
    expect(takeover).toBeGreaterThan(3000);
    expect(takeover).toBeLessThan(10_000);
    // Woken up, the old holder finds the lease taken and exits without doing anything more.
    process.kill(run.pid, 'SIGCONT');
    await eventually(() => run.exit !== null, 10_000);
    expect(run.exit).toEqual({ code: 1, signal: null });
    expect(run.output).toContain('"event":"lease.lost"');
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    console.info(`two instances: a paused holder's lease passed on after ${takeover} ms`);
    await second.terminate();
  });
});
