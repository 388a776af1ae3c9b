/**
 * A click and a crash, with the real bot (`src/main.ts`) killed with SIGKILL: a click is
 * acknowledged only once it is stored, and every stored click reaches its card, whatever order the
 * card's post, its record in the database, the click's commit and the crash come in.
 *
 * The gaps are made on purpose, not waited for: the stand-in holds back the answer to a card's post
 * (Slack has the card, the bot cannot record it yet), fails the posts that would show a click (so
 * the kill lands between the commit and the delivery), and the test holds the database's write lock
 * (so the kill lands before the commit).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/botProcess.ts';
import { startSlackStandIn, type SlackStandIn, type StandInMessage } from '../../src/sandbox/slackStandIn.ts';
import { BotUnderTest, OFFER_METADATA_TYPE, sleep } from '../support/botUnderTest.ts';
import { eventually } from '../support/eventually.ts';

const signingSecret = 'click-crash-signing-secret';
const webhookSecret = 'click-crash-webhook-secret';
const CONFIG = `timezone: UTC
sla: { claim_within: 10m, max_offers: 3 }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-click-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'leadrelay.yml'), CONFIG);
  const dbPath = join(dir, 'leadrelay.db');
  const slack = await startSlackStandIn({ signingSecret, users: ['U0ALICE', 'U0BOB', 'U0MGR'], socketMode: false });
  cleanups.push(() => slack.close());
  const bot = new BotUnderTest(await freePort(), {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    LEADRELAY_WEBHOOK_SECRET: webhookSecret,
    LEADRELAY_CONFIG: join(dir, 'leadrelay.yml'),
    LEADRELAY_DB: dbPath,
  });
  cleanups.push(async () => void (await bot.kill9()));
  await bot.start();
  slack.setRequestUrl(`${bot.url}/slack/events`);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  cleanups.push(() => void db.close());

  let n = 0;
  const sendLead = async () => {
    n += 1;
    const response = await fetch(`${bot.url}/leads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `buyer${n}@company${n}.example.com`, name: `Buyer ${n}` }),
    });
    expect(response.status).toBe(202);
    return Number(((await response.json()) as { lead: string }).lead.slice(2));
  };
  const lead = (id: number) => db.prepare('SELECT state, owner_id FROM leads WHERE id = ?').get(id) as { state: string; owner_id: string | null };
  const offerOf = (leadId: number) =>
    db.prepare('SELECT id, rep_id, state, channel_id, message_ts FROM offers WHERE lead_id = ? ORDER BY id DESC LIMIT 1').get(leadId) as
      | { id: number; rep_id: string; state: string; channel_id: string | null; message_ts: string | null }
      | undefined;
  /** The card Slack holds for the lead's offer (found by its metadata: the bot may not know its ts yet). */
  const cardInSlack = (offerId: number) => {
    const posts = slack.callsTo('chat.postMessage').filter((c) => c.ok && (c.args.metadata as { event_type?: string; event_payload?: { offer_id?: number } } | undefined)?.event_payload?.offer_id === offerId);
    return { count: posts.length, message: posts[0] ? slack.message(String(posts[0].response.channel), String(posts[0].response.ts)) : undefined };
  };
  const waitForCard = (offerId: () => number | undefined) =>
    slack.waitUntil(() => {
      const id = offerId();
      return id === undefined ? undefined : cardInSlack(id).message;
    });
  /** Outbox rows still pending; `lane`: of that lane only. */
  const pendingRows = (lane?: string) =>
    db.prepare(`SELECT count(*) AS n, coalesce(min(attempts), 0) AS attempts FROM outbox WHERE state = 'pending' AND (? IS NULL OR lane = ?)`).get(lane ?? null, lane ?? null) as { n: number; attempts: number };
  const shows = (message: StandInMessage | undefined, words: string) => JSON.stringify(message?.blocks ?? []).includes(words);
  const click = (message: StandInMessage, userId: string, actionId = 'claim_lead') =>
    slack.blockAction({ userId, actionId, message: { channel: message.channel, ts: message.ts } });
  return { slack, bot, db, dbPath, sendLead, lead, offerOf, cardInSlack, waitForCard, pendingRows, shows, click };
}

/** Slack posts that would show a click on a card fail (the connection is reset): nothing shows it until they are cleared. */
function holdCardUpdates(slack: SlackStandIn) {
  const held = [slack.fail('response_url', { network: 'reset' }, { times: Number.POSITIVE_INFINITY }), slack.fail('chat.update', { network: 'reset' }, { times: Number.POSITIVE_INFINITY })];
  return () => held.forEach((fault) => fault.clear());
}

describe('a click and a kill -9', () => {
  it('shows the card claimed after a restart when the kill came between the click\'s commit and its delivery', { timeout: 60_000 }, async () => {
    const t = await start();
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    await eventually(() => t.offerOf(id)?.message_ts !== null, 10_000);
    const release = holdCardUpdates(t.slack);
    const reply = await t.click(card, 'U0ALICE');
    // Acknowledged: so it is stored.
    expect(reply.status).toBe(200);
    expect(t.lead(id)).toEqual({ state: 'claimed', owner_id: 'U0ALICE' });
    expect(t.shows(card, 'claim_lead')).toBe(true);
    await t.bot.kill9();
    release();
    await t.bot.start();
    await t.slack.waitUntil(() => t.shows(card, 'Claimed by you'), { timeoutMs: 10_000 });
    expect(t.shows(card, 'claim_lead')).toBe(false);
    // Replaced through the click's response_url once the bot was back, and the card was never posted again.
    expect(reply.responses.posts.filter((p) => p.status === 200).map((p) => p.body.replace_original)).toEqual([true]);
    expect(t.cardInSlack(t.offerOf(id)?.id ?? 0).count).toBe(1);
  });

  it('leaves the card unclaimed and the click unacknowledged when the kill came before the commit', { timeout: 60_000 }, async () => {
    const t = await start();
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    await eventually(() => t.offerOf(id)?.message_ts !== null, 10_000);
    // The card's delivery is recorded (not only its ts): the write lock below then holds back the click alone.
    await eventually(() => t.pendingRows().n === 0, 10_000);
    // The test takes the database's write lock: the bot cannot commit the click while it holds it.
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    const clicked = t.click(card, 'U0ALICE').then(
      (reply) => ({ answered: true as const, status: reply.status }),
      (error: unknown) => ({ answered: false as const, error: String(error) }),
    );
    // The bot is stuck waiting for the lock (its event loop blocked in the transaction): /healthz stops answering.
    let blocked = false;
    for (let i = 0; i < 200 && !blocked; i += 1) {
      blocked = !(await fetch(`${t.bot.url}/healthz`, { signal: AbortSignal.timeout(300) }).then(() => true, () => false));
      if (!blocked) await sleep(10);
    }
    expect(blocked).toBe(true);
    await t.bot.kill9();
    const outcome = await clicked;
    expect(outcome.answered).toBe(false);
    lock.exec('ROLLBACK');
    lock.close();

    await t.bot.start();
    expect(t.lead(id)).toEqual({ state: 'offered', owner_id: null });
    expect(t.offerOf(id)?.state).toBe('pending');
    // Nothing is left for the bot to send (the outbox is empty, the lead still offered): nothing can change the card now.
    await eventually(() => t.pendingRows().n === 0, 10_000);
    expect(t.shows(card, 'claim_lead')).toBe(true);
    expect(t.slack.responseUrlPosts).toHaveLength(0);
    // The rep clicks again once Slack shows them the error: this time it is stored, and shown.
    const again = await t.click(card, 'U0ALICE');
    expect(again.status).toBe(200);
    await t.slack.waitUntil(() => t.shows(card, 'Claimed by you'));
    expect(t.lead(id)).toEqual({ state: 'claimed', owner_id: 'U0ALICE' });
  });
});

describe('a click within milliseconds of its card\'s post', () => {
  it('reaches the card when the click came before the post\'s delivery was recorded and the bot died before recording it', { timeout: 60_000 }, async () => {
    const t = await start();
    // Slack stores the card at once but its answer takes 3 s: the bot cannot record the card meanwhile.
    t.slack.fail('chat.postMessage', { delayMs: 3000 }, { when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE });
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    const reply = await t.click(card, 'U0ALICE');
    expect(reply.status).toBe(200);
    expect(t.lead(id)).toEqual({ state: 'claimed', owner_id: 'U0ALICE' });
    // The kill, with the post's answer still on its way.
    await t.bot.kill9();
    await t.bot.start();
    await t.slack.waitUntil(() => t.shows(card, 'Claimed by you'), { timeoutMs: 10_000 });
    expect(t.cardInSlack(t.offerOf(id)?.id ?? 0).count).toBe(1);
    expect(t.offerOf(id)).toMatchObject({ channel_id: card.channel, message_ts: card.ts });
  });

  it('reaches the card when the click came before the post\'s delivery was recorded, and the bot died after recording it but before showing the click', { timeout: 60_000 }, async () => {
    const t = await start();
    t.slack.fail('chat.postMessage', { delayMs: 400 }, { when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE });
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    const release = holdCardUpdates(t.slack);
    const reply = await t.click(card, 'U0ALICE');
    expect(reply.status).toBe(200);
    // The post's answer arrives and is recorded; the click's update cannot get through.
    await eventually(() => t.offerOf(id)?.message_ts !== null, 10_000);
    // The click's update was tried and refused (Slack keeps failing it): it is still pending, retried later.
    await eventually(() => t.pendingRows('card_update').attempts > 0, 10_000);
    expect(t.shows(card, 'claim_lead')).toBe(true);
    await t.bot.kill9();
    release();
    await t.bot.start();
    await t.slack.waitUntil(() => t.shows(card, 'Claimed by you'), { timeoutMs: 10_000 });
    expect(t.cardInSlack(t.offerOf(id)?.id ?? 0).count).toBe(1);
  });

  it('reaches the card when the bot died with the post stored in Slack but not recorded, and the click came after the restart', { timeout: 60_000 }, async () => {
    const t = await start();
    t.slack.fail('chat.postMessage', { delayMs: 3000 }, { when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE });
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    await t.bot.kill9();
    // A click while the bot is down fails (Slack shows the rep an error)…
    await expect(t.click(card, 'U0ALICE')).rejects.toThrow();
    await t.bot.start();
    // …the bot finds the card it posted (no second one) and the rep's next click is shown at once.
    await eventually(() => t.offerOf(id)?.message_ts !== null, 10_000);
    const reply = await t.click(card, 'U0ALICE');
    expect(reply.status).toBe(200);
    await t.slack.waitUntil(() => t.shows(card, 'Claimed by you'));
    expect(t.cardInSlack(t.offerOf(id)?.id ?? 0).count).toBe(1);
  });

  it('reaches the card when the click came after the post\'s delivery was recorded and the bot died before showing it', { timeout: 60_000 }, async () => {
    const t = await start();
    const id = await t.sendLead();
    const card = await t.waitForCard(() => t.offerOf(id)?.id);
    await eventually(() => t.offerOf(id)?.message_ts !== null, 10_000);
    const release = holdCardUpdates(t.slack);
    const reply = await t.click(card, 'U0ALICE', 'pass_lead');
    expect(reply.status).toBe(200);
    await t.bot.kill9();
    release();
    await t.bot.start();
    await t.slack.waitUntil(() => t.shows(card, 'You passed'), { timeoutMs: 10_000 });
    // And the next rep got the lead.
    await eventually(() => t.offerOf(id)?.rep_id === 'U0BOB' && t.offerOf(id)?.message_ts !== null, 10_000);
  });
});
