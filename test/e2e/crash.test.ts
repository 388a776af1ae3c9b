/**
 * Crash test ("a crash (kill -9) at any point loses nothing and doubles nothing").
 *
 * Runs the real bot (`src/main.ts`) as a child process against the Slack stand-in (HTTP mode), with
 * 20 reps in two round-robin teams and a 2 s claim window, so that expiries happen during the run on
 * the bot's own clock. While 150 leads arrive in waves and reps click Claim / Pass on their cards (or
 * let them expire), the bot is killed with SIGKILL 3 to 5 times and restarted on the same port: once
 * the instant Slack stores an offer card (before the answer leaves: the post in flight), once the
 * instant Slack stores an escalation, and otherwise a little after a card was answered, a few ms into a
 * wave of leads, around a deadline, or anywhere. Then the test stops disturbing it, waits until it has
 * settled, stops it cleanly (SIGTERM) and checks:
 *  1. every lead answered 202 is in the database and was routed;
 *  2. every lead has exactly one current holder (one pending offer, an owner, or an escalation), and
 *     never two owners; claims and passes only come from clicks;
 *  3. no offer card (and no escalation) was posted twice, and the card an offer stores is the one in Slack;
 *  4. no deadline was lost: every offer was resolved within 1.5 s of its deadline, or of the first
 *     moment after it that the bot was up (a deadline that passed while it was down: after restart);
 *  5. every lead's history matches its offers;
 *  6. every stored claim and pass is shown on its card ("Claimed by you", "You passed"), including
 *     clicks that came within milliseconds of the card's post (before its answer was recorded: a
 *     third of the card posts are answered 40 ms late), with kills in between (one kill comes right
 *     after such a click is acknowledged, before the card shows it).
 *
 * Every random choice comes from a PRNG seeded with the seed named in every failure message
 * (LEADRELAY_CRASH_SEED=<n> replays it; the kill schedule and each card's fate are the same, the
 * timing of real processes is not). LEADRELAY_CRASH_KILLS=<n> overrides the number of kills,
 * LEADRELAY_CRASH_DEBUG=1 logs the phases.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/botProcess.ts';
import { startSlackStandIn, type ApiCall } from '../../src/sandbox/slackStandIn.ts';
import { BotUnderTest, buttonValue, offerCardsPosted, OFFER_METADATA_TYPE, sleep, type PostedCard, type Run } from '../support/botUnderTest.ts';

const SEED = Number(process.env.LEADRELAY_CRASH_SEED ?? 20_261_124) >>> 0;
const LEADS = 150;
const REPS = Array.from({ length: 20 }, (_, i) => `U0REP${String(i + 1).padStart(2, '0')}`);
const MANAGER = 'U0MGR';
const ESCALATION_CHANNEL = 'C0ESC';
const CLAIM_WITHIN_MS = 2000;
const MAX_OFFERS = 3;
/** The sweep acts within about a second; this much lateness is allowed (deadlines are acted on within 1 s). */
const DEADLINE_SLACK_MS = 1500;
const signingSecret = 'crash-signing-secret';
const webhookSecret = 'crash-webhook-secret';

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed with its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Random {
  /** A whole number from min to max, both included. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
}

/**
 * An independent stream per concern (the killer, the sender, each lead, each card), all derived from
 * SEED: what one of them draws does not shift the others, so the kill schedule and every card's fate
 * replay the same under another run's timing.
 */
function stream(name: string): Random {
  let hash = 0x811c9dc5 ^ SEED;
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  const next = mulberry32(hash);
  return {
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
  };
}
function shuffle<T>(items: T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.between(0, i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
const debug = process.env.LEADRELAY_CRASH_DEBUG ? (...args: unknown[]) => console.info(new Date().toISOString(), ...args) : () => undefined;
const tag = `[crash test seed ${SEED}; replay with LEADRELAY_CRASH_SEED=${SEED}]`;

function configYaml(): string {
  const east = REPS.slice(0, 10);
  const west = REPS.slice(10);
  return `timezone: UTC
sla: { claim_within: ${CLAIM_WITHIN_MS / 1000}s, max_offers: ${MAX_OFFERS} }
escalation: { channel: ${ESCALATION_CHANNEL} }
managers: [${MANAGER}]
reps:
${REPS.map((id, i) => `  - { id: ${id}, name: Rep ${i + 1} }`).join('\n')}
teams:
  - { id: east, manager: ${MANAGER}, members: [${east.join(', ')}] }
  - { id: west, manager: ${MANAGER}, members: [${west.join(', ')}] }
rules:
  - { name: Hot, when: { score: { gte: 50 } }, route: { team: west } }
fallback: { team: east }
`;
}

type KillMode = 'leads' | 'card' | 'card-answered' | 'escalation' | 'deadline' | 'anytime' | 'instant-click';

interface Click {
  offerId: number;
  userId: string;
  action: 'claim_lead' | 'pass_lead';
  stale: boolean;
  /** A second click after the first one failed while the bot was down. */
  retry: boolean;
  at: number;
  outcome: 'answered' | 'network_error' | 'pending';
  status?: number;
}

// ---- the database, read-only beside the bot ------------------------------------------------------

interface LeadRow {
  id: number;
  state: string;
  owner_id: string | null;
}
interface OfferRow {
  id: number;
  lead_id: number;
  rep_id: string;
  attempt: number;
  state: string;
  offered_at: number;
  deadline_at: number;
  resolved_at: number | null;
  channel_id: string | null;
  message_ts: string | null;
}
interface OutboxRowView {
  id: number;
  lead_id: number | null;
  method: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  payload: string;
  last_error: string | null;
  result: string | null;
}

function snapshot(db: Database.Database) {
  return db.transaction(() => ({
    at: Date.now(),
    leads: db.prepare('SELECT id, state, owner_id FROM leads ORDER BY id').all() as LeadRow[],
    offers: db.prepare('SELECT id, lead_id, rep_id, attempt, state, offered_at, deadline_at, resolved_at, channel_id, message_ts FROM offers ORDER BY id').all() as OfferRow[],
    history: db.prepare('SELECT lead_id, event FROM lead_history ORDER BY id').all() as { lead_id: number; event: string }[],
    outbox: db.prepare('SELECT id, lead_id, method, state, attempts, next_attempt_at, payload, last_error, result FROM outbox ORDER BY id').all() as OutboxRowView[],
  }))();
}
type Snapshot = ReturnType<typeof snapshot>;

const groupBy = <T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> => {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
};

// ---- the test ---------------------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('crash safety, the real process killed with SIGKILL', () => {
  it('loses no lead, doubles no card and no owner, and keeps every deadline across kill -9 restarts', { timeout: 90_000 }, async () => {
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'leadrelay-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const configPath = join(dir, 'leadrelay.yml');
    const dbPath = join(dir, 'leadrelay.db');
    writeFileSync(configPath, configYaml());

    const slack = await startSlackStandIn({ signingSecret, users: [...REPS, MANAGER], socketMode: false });
    cleanups.push(() => slack.close());
    const port = await freePort();
    const bot = new BotUnderTest(
      port,
      {
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        LEADRELAY_WEBHOOK_SECRET: webhookSecret,
        LEADRELAY_CONFIG: configPath,
        LEADRELAY_DB: dbPath,
      },
      tag,
    );
    cleanups.push(async () => void (await bot.kill9()));
    await bot.start();
    slack.setRequestUrl(`${bot.url}/slack/events`);
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    cleanups.push(() => void db.close());

    // ---- the burst: leads, clicks and kills at once -------------------------------------------------
    /** Lead number → its reference, for every lead the bot accepted (202, or the replay of a 202 lost in a crash). */
    const answered = new Map<number, { ref: string; status: number; matchedBy?: string }>();
    const leadProblems: string[] = [];
    let sending = true;
    let killing = true;

    const postLead = async (n: number) => {
      const random = stream(`lead:${n}`);
      const body = JSON.stringify({
        source: 'form',
        email: `buyer${n}@company${n}.example.com`,
        name: `Buyer ${n}`,
        company: { name: `Company ${n}` },
        score: random.between(0, 100),
      });
      for (let attempt = 1; attempt <= 40; attempt++) {
        await bot.whenUp();
        let response: Response;
        try {
          response = await fetch(`${bot.url}/leads`, {
            method: 'POST',
            headers: { authorization: `Bearer ${webhookSecret}`, 'content-type': 'application/json', 'idempotency-key': `crash-${SEED}-${n}` },
            body,
            signal: AbortSignal.timeout(10_000),
          });
        } catch {
          // The bot died with the request open: the lead may or may not be stored. Send it again, like a
          // lead source would; the Idempotency-Key makes the replay safe.
          await sleep(random.between(5, 50));
          continue;
        }
        const answer = (await response.json().catch(() => ({}))) as { lead?: string; status?: string; matched_by?: string };
        if (response.status === 202 && answer.lead) {
          answered.set(n, { ref: answer.lead, status: 202 });
          return;
        }
        if (response.status === 200 && answer.status === 'duplicate' && answer.lead) {
          // Accepted before a crash whose 202 never reached us: it must be known by its Idempotency-Key.
          answered.set(n, { ref: answer.lead, status: 200, ...(answer.matched_by ? { matchedBy: answer.matched_by } : {}) });
          if (answer.matched_by !== 'idempotency_key') leadProblems.push(`lead ${n}: replay matched by ${answer.matched_by}, not by its Idempotency-Key`);
          return;
        }
        leadProblems.push(`lead ${n}: unexpected answer ${response.status} ${JSON.stringify(answer)}`);
        return;
      }
      leadProblems.push(`lead ${n}: never answered after 40 attempts`);
    };

    const posts: Promise<void>[] = [];
    let sent = 0;
    /** Sends up to `count` more leads at once, without waiting for the answers. */
    const sendWave = (count: number) => {
      for (let i = 0; i < count && sent < LEADS; i++) posts.push(postLead(++sent));
    };
    const sender = (async () => {
      const random = stream('sender');
      try {
        while (sent < LEADS) {
          sendWave(random.between(1, 3));
          await sleep(random.between(50, 250));
        }
        await Promise.all(posts);
      } finally {
        sending = false;
      }
    })();

    const clicks: Click[] = [];
    const clickPromises: Promise<void>[] = [];
    const seenCards = new Set<number>();
    const planned: { card: PostedCard; action: 'claim_lead' | 'pass_lead'; at: number; twice: boolean; random: Random }[] = [];
    const click = (card: PostedCard, action: 'claim_lead' | 'pass_lead', random: Random, retry = false) => {
      const live = slack.message(card.channel, card.ts);
      const current = buttonValue(live?.blocks, action);
      const stale = current === undefined;
      // A card already updated has no button: half of the time, click the copy another client still shows.
      if (stale && random.chance(0.5)) return;
      const value = current ?? buttonValue(card.call.args.blocks, action);
      if (value === undefined) return;
      const record: Click = { offerId: card.offerId, userId: card.userId, action, stale, retry, at: Date.now(), outcome: 'pending' };
      clicks.push(record);
      clickPromises.push(
        slack
          .blockAction({ userId: card.userId, actionId: action, message: { channel: card.channel, ts: card.ts }, requireElement: false, value })
          .then((reply) => {
            record.outcome = 'answered';
            record.status = reply.status;
          })
          .catch(async (error: unknown) => {
            // The bot was down or died mid-request: Slack shows the user an error, and half of them
            // click again once it is back (by then the offer may have expired at start-up).
            record.outcome = 'network_error';
            debug('click failed', bot.isUp, (error as Error).message);
            if (retry || !random.chance(0.5) || !(sending || killing)) return;
            await bot.whenUp();
            await sleep(random.between(0, 500));
            click(card, action, random, true);
          }),
      );
    };
    // A third of the cards' answers arrive 40 ms late (Slack has the card; the bot cannot record it yet).
    const lateAnswers = stream('late-answers');
    slack.fail('chat.postMessage', { delayMs: 40 }, { times: Number.POSITIVE_INFINITY, when: (args) => (args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE && lateAnswers.chance(0.33) });
    // Some reps click within milliseconds of their card's arrival: before the bot may have recorded its post.
    const instantClicks: Click[] = [];
    let callsSeen = 0;
    const stopInstant = slack.onChange(() => {
      const calls = slack.calls;
      for (; callsSeen < calls.length; callsSeen += 1) {
        const call = calls[callsSeen] as ApiCall;
        if (!call.ok || call.method !== 'chat.postMessage' || (call.args.metadata as { event_type?: string } | undefined)?.event_type !== OFFER_METADATA_TYPE) continue;
        const offerId = Number((call.args.metadata as { event_payload: { offer_id: number } }).event_payload.offer_id);
        const fate = stream(`instant:${offerId}`);
        if (seenCards.has(offerId) || !fate.chance(0.25)) continue;
        seenCards.add(offerId);
        const card: PostedCard = { offerId, userId: String(call.args.channel), channel: String(call.response.channel), ts: String(call.response.ts), call };
        const action = fate.chance(0.7) ? 'claim_lead' : 'pass_lead';
        setTimeout(() => {
          click(card, action, fate);
          const record = clicks.at(-1);
          if (record?.offerId === offerId) instantClicks.push(record);
        }, fate.between(0, 15));
      }
    });
    cleanups.push(stopInstant);
    const clicker = (async () => {
      const random = stream('clicker');
      while (sending || killing) {
        for (const card of offerCardsPosted(slack)) {
          if (seenCards.has(card.offerId)) continue;
          seenCards.add(card.offerId);
          // What the rep does with this card: claim (some after the deadline), pass, or let it expire.
          const fate = stream(`card:${card.offerId}`);
          const roll = fate.between(1, 100);
          if (roll <= 45) planned.push({ card, action: 'claim_lead', at: Date.now() + fate.between(0, 2600), twice: fate.chance(0.1), random: fate });
          else if (roll <= 70) planned.push({ card, action: 'pass_lead', at: Date.now() + fate.between(0, 1800), twice: fate.chance(0.1), random: fate });
        }
        const now = Date.now();
        for (let i = planned.length - 1; i >= 0; i--) {
          const plan = planned[i];
          if (!plan || plan.at > now) continue;
          planned.splice(i, 1);
          click(plan.card, plan.action, plan.random);
          if (plan.twice) click(plan.card, plan.action, plan.random);
        }
        await sleep(random.between(10, 40));
      }
    })();

    const kills: { mode: KillMode; at: number; downMs: number; hit: boolean }[] = [];
    const isEscalationCall = (c: ApiCall) => c.method === 'chat.postMessage' && c.args.channel === ESCALATION_CHANNEL && c.args.thread_ts === undefined;
    const isOfferCardCall = (c: ApiCall) => c.method === 'chat.postMessage' && (c.args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE;
    /** Kills the bot at a moment chosen by `mode`; resolves once it is dead. */
    /** Whether the last kill found the moment it waited for (a card or an escalation being posted). */
    let hit = true;
    const killAt = async (mode: KillMode, random: Random): Promise<Run['exit']> => {
      hit = true;
      switch (mode) {
        case 'leads': {
          // A few milliseconds into a wave of leads: requests in flight, 202s being sent, routing not yet committed.
          sendWave(random.between(3, 6));
          await sleep(random.between(0, 15));
          return bot.kill9();
        }
        case 'card':
        case 'card-answered':
        case 'escalation': {
          // The instant Slack has stored an offer card (or an escalation) and before its answer leaves,
          // so the message is in Slack while the database cannot know it: the post in flight. Or
          // (`card-answered`) a moment later, as the bot records the answer.
          const since = slack.calls.length;
          const wanted = mode === 'escalation' ? isEscalationCall : isOfferCardCall;
          const atOnce = mode !== 'card-answered';
          const waitStarted = Date.now();
          let dying: Promise<Run['exit']> | undefined;
          await slack
            .waitUntil(
              () => {
                const posted = slack.calls.slice(since).some(wanted);
                if (posted && atOnce) dying = bot.kill9();
                return posted;
              },
              { timeoutMs: mode === 'escalation' ? 10_000 : 3000 },
            )
            .catch(() => (hit = false));
          debug(`${mode}: waited ${Date.now() - waitStarted} ms`, hit);
          if (dying) return dying;
          if (!atOnce) await sleep(random.between(0, 3));
          return bot.kill9();
        }
        case 'deadline': {
          // Around the next deadline: while the timer expires the offer and routes the lead on.
          const next = db.prepare(`SELECT min(deadline_at) AS at FROM offers WHERE state = 'pending' AND deadline_at > ?`).get(Date.now() + 20) as { at: number | null };
          if (next.at !== null && next.at - Date.now() < 3000) await sleep(Math.max(0, next.at - Date.now() + random.between(-3, 10)));
          return bot.kill9();
        }
        case 'instant-click': {
          // The instant a click that came within milliseconds of its card's post is acknowledged: it is
          // stored, and its card may not show it yet.
          const since = instantClicks.length;
          const waitStarted = Date.now();
          while (Date.now() - waitStarted < 5000 && !instantClicks.slice(since).some((c) => c.outcome === 'answered' && c.status === 200)) await sleep(1);
          hit = instantClicks.slice(since).some((c) => c.outcome === 'answered');
          return bot.kill9();
        }
        case 'anytime':
          return bot.kill9();
      }
    };
    const killer = (async () => {
      const random = stream('killer');
      // 3 to 5 kills. Every run kills once with an offer card in flight and once with an escalation in
      // flight (neither first nor last: escalations come after max_offers misses, and when none was
      // posted in time the next kill tries again); the others at random kinds of moments.
      const count = process.env.LEADRELAY_CRASH_KILLS ? Number(process.env.LEADRELAY_CRASH_KILLS) : random.between(3, 5);
      const others = shuffle<KillMode>(['card-answered', 'leads', 'deadline', 'anytime'], random);
      const schedule: KillMode[] = ['card', 'instant-click', ...others.slice(0, Math.max(0, count - 3))];
      schedule.splice(random.between(1, Math.max(1, count - 2)), 0, 'escalation');
      schedule.length = Math.min(schedule.length, count);
      let escalationRetried = false;
      try {
        for (let k = 0; k < schedule.length; k++) {
          const mode = schedule[k] as KillMode;
          // An escalation waits for nothing: the kill comes as soon as one is posted, which is often right
          // after a restart, when rate-limited messages held back by the last run go out.
          const pause = random.between(500, 3000);
          if (mode !== 'escalation') await sleep(pause);
          debug('kill', k + 1, mode);
          const at = Date.now();
          const exit = await killAt(mode, random);
          if (exit?.signal !== 'SIGKILL') throw new Error(`${tag} kill ${k + 1} (${mode}): the bot had already exited: ${JSON.stringify(exit)}\n${bot.runs.at(-1)?.output ?? ''}`);
          // Stay down a little longer now and then, so that more deadlines pass while nobody runs.
          const downMs = random.between(0, 600);
          kills.push({ mode, at, downMs, hit });
          if (mode === 'escalation' && !hit && !escalationRetried && k + 1 < schedule.length) {
            escalationRetried = true;
            schedule[k + 1] = 'escalation';
          }
          await sleep(downMs);
          await bot.start();
          debug('restarted', k + 1);
          slack.setRequestUrl(`${bot.url}/slack/events`);
        }
      } finally {
        killing = false;
      }
    })();

    void sender.then(() => debug('sender done'), () => undefined);
    void killer.then(() => debug('killer done'), () => undefined);
    void clicker.then(() => debug('clicker done'), () => undefined);
    await Promise.all([sender, killer, clicker]);
    debug('chaos done');
    // Clicks still on their way (and the second clicks they may cause) are answered before settling.
    for (let waited = 0; waited < clickPromises.length; ) {
      waited = clickPromises.length;
      await Promise.all(clickPromises);
    }
    debug('clicks done');
    const chaosEnded = Date.now();

    // ---- settle: every lead has an owner, an escalation, or a pending offer whose card is in Slack ----
    // The outbox's own notion of due: a lead's oldest pending row, its time come. One that waits more
    // than a second means the worker is not delivering (rows paced by rate limits are deferred, not due).
    const stalledRows = (s: Snapshot) => {
      const oldestPerLead = new Set<number>();
      const seen = new Set<number | null>();
      for (const row of s.outbox) {
        if (row.state !== 'pending') continue;
        if (row.lead_id === null || !seen.has(row.lead_id)) oldestPerLead.add(row.id);
        seen.add(row.lead_id);
      }
      return s.outbox.filter((row) => oldestPerLead.has(row.id) && row.next_attempt_at <= s.at - 1000);
    };
    const unsettledLeads = (s: Snapshot) => {
      const byLead = groupBy(s.offers, (o) => o.lead_id);
      return s.leads.filter((lead) => {
        if (lead.state === 'claimed' || lead.state === 'escalated' || lead.state === 'queued') return false;
        const pending = (byLead.get(lead.id) ?? []).filter((o) => o.state === 'pending');
        return !(lead.state === 'offered' && pending.length === 1 && pending[0]?.message_ts !== null);
      });
    };
    /** 6: claimed and passed offers whose card does not (yet) say so. */
    const CLICK_WORDS: Record<string, string> = { claimed: 'Claimed by you', passed: 'You passed' };
    const unshownClicks = (s: Snapshot) =>
      s.offers.filter((o) => {
        const words = CLICK_WORDS[o.state];
        if (words === undefined) return false;
        const card = o.channel_id && o.message_ts ? slack.message(o.channel_id, o.message_ts) : undefined;
        return !JSON.stringify(card?.blocks ?? []).includes(words);
      });
    let last: Snapshot | undefined;
    // `eventually`, but reading a whole snapshot every 50 ms rather than every few: the stand-in shares
    // this process and must keep answering the bot promptly.
    const settling = async (timeoutMs: number) => {
      for (const since = Date.now(); ; await sleep(50)) {
        const s = (last = snapshot(db));
        if (s.leads.length >= answered.size && unsettledLeads(s).length === 0 && stalledRows(s).length === 0 && unshownClicks(s).length === 0) return;
        if (Date.now() - since > timeoutMs) throw new Error(`not settled within ${timeoutMs} ms`);
      }
    };
    await settling(20_000).catch((error: unknown) => {
      const s = last as Snapshot;
      const stuck = unsettledLeads(s).slice(0, 10);
      throw new Error(
        `${tag} the bot did not settle: ${(error as Error).message}\n${s.leads.length} leads for ${answered.size} answered; first unsettled leads: ${JSON.stringify(stuck)}\n` +
          `their offers: ${JSON.stringify(s.offers.filter((o) => stuck.some((l) => l.id === o.lead_id)))}\n` +
          `outbox rows due but not delivered: ${JSON.stringify(stalledRows(s).slice(0, 20))}\n` +
          `clicks stored but not shown on their card: ${JSON.stringify(unshownClicks(s).slice(0, 10))}\n` +
          `bot output (last run):\n${bot.runs.at(-1)?.output ?? ''}`,
      );
    });
    const settled = last as Snapshot;
    debug('settled');
    // 4 (live): after settling, no pending offer is more than DEADLINE_SLACK_MS past its deadline.
    const overdueLive = db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending' AND deadline_at < ?`).get(Date.now() - DEADLINE_SLACK_MS) as { n: number };
    const settledAt = Date.now();

    // A clean stop, so that what follows reads a database nobody writes to.
    const lastExit = await bot.terminate();
    debug('terminated', lastExit);
    const final = snapshot(db);
    const runtimeMs = Date.now() - started;

    // ---- the checks --------------------------------------------------------------------------------
    const problems: string[] = [...leadProblems];
    const leadsById = new Map(final.leads.map((l) => [l.id, l]));
    const offersByLead = groupBy(final.offers, (o) => o.lead_id);
    const historyByLead = groupBy(final.history, (h) => h.lead_id);

    // The process itself never died on its own, and stopped cleanly at the end.
    for (const run of bot.unexpectedExits()) problems.push(`the bot exited by itself (pid ${run.pid}, ${JSON.stringify(run.exit)}):\n${run.output}`);
    if (lastExit?.code !== 0) problems.push(`the final SIGTERM stop ended with ${JSON.stringify(lastExit)}:\n${bot.runs.at(-1)?.output ?? ''}`);

    // 1. Nothing lost after a 2xx, and nothing left unrouted.
    if (answered.size !== LEADS) problems.push(`only ${answered.size} of ${LEADS} leads were answered`);
    for (const [n, { ref }] of answered) {
      const lead = leadsById.get(Number(ref.slice(2)));
      if (!lead) problems.push(`lead ${n} (${ref}) was answered but is not in the database`);
      else if (lead.state === 'received') problems.push(`${ref} is still received: never routed`);
    }
    const refs = [...answered.values()].map((a) => a.ref);
    if (new Set(refs).size !== refs.length) problems.push('two leads were answered with the same reference');

    // 2. Exactly one current holder per lead, and at most one owner.
    const twoPending = db.prepare(`SELECT lead_id, count(*) AS n FROM offers WHERE state = 'pending' GROUP BY lead_id HAVING n > 1`).all();
    if (twoPending.length > 0) problems.push(`leads with two pending offers: ${JSON.stringify(twoPending)}`);
    for (const lead of final.leads) {
      const offers = offersByLead.get(lead.id) ?? [];
      const pending = offers.filter((o) => o.state === 'pending');
      const claimed = offers.filter((o) => o.state === 'claimed');
      const ref = `L-${lead.id}`;
      if (claimed.length > 1) problems.push(`${ref} has ${claimed.length} claimed offers: ${JSON.stringify(claimed)}`);
      switch (lead.state) {
        case 'offered':
          if (pending.length !== 1) problems.push(`${ref} is offered with ${pending.length} pending offers`);
          if (lead.owner_id !== null) problems.push(`${ref} is offered but has owner ${lead.owner_id}`);
          break;
        case 'claimed':
          if (pending.length !== 0) problems.push(`${ref} is claimed but still has a pending offer`);
          // Every claim in this test is a click on a card: exactly one claimed offer, by the owner.
          if (claimed.length !== 1 || claimed[0]?.rep_id !== lead.owner_id) problems.push(`${ref} is owned by ${lead.owner_id} but its claimed offers are ${JSON.stringify(claimed)}`);
          break;
        case 'escalated':
          if (pending.length !== 0) problems.push(`${ref} is escalated but still has a pending offer`);
          if (claimed.length !== 0 || lead.owner_id !== null) problems.push(`${ref} is escalated but has an owner or a claimed offer`);
          if (offers.length !== MAX_OFFERS) problems.push(`${ref} escalated after ${offers.length} offers, not ${MAX_OFFERS}`);
          break;
        case 'queued':
          if (pending.length !== 0) problems.push(`${ref} is queued but still has a pending offer`);
          break;
        default:
          problems.push(`${ref} ended in state ${lead.state}`);
      }
      if (offers.length > MAX_OFFERS) problems.push(`${ref} was offered ${offers.length} times (max_offers ${MAX_OFFERS})`);
      const attempts = offers.map((o) => o.attempt);
      if (attempts.some((a, i) => a !== i + 1)) problems.push(`${ref} has offer attempts ${JSON.stringify(attempts)}`);
    }
    // A claim or a pass only ever comes from a click on that offer's card by its rep.
    const clicked = groupBy(clicks, (c) => `${c.offerId}:${c.action}`);
    for (const offer of final.offers) {
      const by = (action: string) => (clicked.get(`${offer.id}:${action}`) ?? []).filter((c) => c.userId === offer.rep_id);
      if (offer.state === 'claimed' && by('claim_lead').length === 0) problems.push(`offer ${offer.id} is claimed without a claim click`);
      if (offer.state === 'passed' && by('pass_lead').length === 0) problems.push(`offer ${offer.id} is passed without a pass click`);
    }

    // 3. No card was posted twice, and the stored card is the one in Slack.
    const cards = offerCardsPosted(slack);
    const cardsByOffer = groupBy(cards, (c) => c.offerId);
    for (const [offerId, posted] of cardsByOffer) {
      if (posted.length > 1) problems.push(`offer ${offerId}'s card was posted ${posted.length} times: ${JSON.stringify(posted.map((p) => ({ channel: p.channel, ts: p.ts, at: p.call.at })))}`);
    }
    const offersById = new Map(final.offers.map((o) => [o.id, o]));
    const postRows = final.outbox.filter((r) => r.method === 'post_offer_card');
    const postRowsByOffer = groupBy(postRows, (r) => Number((JSON.parse(r.payload) as { offerId: number }).offerId));
    for (const offer of final.offers) {
      const posted = cardsByOffer.get(offer.id) ?? [];
      const rows = postRowsByOffer.get(offer.id) ?? [];
      if (rows.length !== 1) problems.push(`offer ${offer.id} has ${rows.length} post_offer_card outbox rows`);
      if (offer.message_ts !== null) {
        const match = posted.filter((p) => p.ts === offer.message_ts && p.channel === offer.channel_id);
        if (match.length !== 1) problems.push(`offer ${offer.id} stores card ${offer.channel_id}/${offer.message_ts}, which matches ${match.length} posted cards`);
      } else if (posted.length > 0 && !rows.some((r) => r.state === 'pending')) {
        problems.push(`offer ${offer.id}'s card is in Slack (${posted[0]?.ts}) but the offer does not know it, and nothing will look for it`);
      }
    }
    // Once settled, every offer still pending had its card in Slack. (Read from the settled snapshot:
    // the bot kept running until the SIGTERM, and an offer made in between may not have its card yet.)
    for (const offer of settled.offers) {
      if (offer.state === 'pending' && offer.message_ts === null) problems.push(`offer ${offer.id} was pending once settled, but its card was never posted`);
    }
    for (const card of cards) {
      const offer = offersById.get(card.offerId);
      if (!offer) problems.push(`a card was posted for offer ${card.offerId}, which does not exist`);
      else if (offer.rep_id !== card.userId) problems.push(`offer ${offer.id} (for ${offer.rep_id}) had its card posted to ${card.userId}`);
    }
    // Escalations are leadrelay's own messages too (outbox kind 'card'): each lead's is posted once.
    const escalationPosts = slack.calls.filter((c) => c.ok && c.method === 'chat.postMessage' && c.args.channel === ESCALATION_CHANNEL && c.args.thread_ts === undefined);
    const escalationsByLead = groupBy(escalationPosts, (c) => `L-${/"lead:(\d+):\d+"/.exec(JSON.stringify(c.args.blocks))?.[1] ?? '?'}`);
    for (const [ref, posted] of escalationsByLead) {
      if (posted.length > 1) problems.push(`${ref}'s escalation was posted ${posted.length} times: ${JSON.stringify(posted.map((c) => ({ ts: c.response.ts, at: c.at })))}`);
    }
    const failedRows = final.outbox.filter((r) => r.state === 'failed');
    if (failedRows.length > 0) problems.push(`outbox rows given up on: ${JSON.stringify(failedRows.slice(0, 5))}`);
    const refused = slack.calls.filter((c) => !c.ok && !c.injected);
    if (refused.length > 0) problems.push(`Slack refused ${refused.length} calls, e.g. ${JSON.stringify(refused.slice(0, 3).map((c) => ({ method: c.method, status: c.status, error: c.response.error })))}`);

    // 4. No deadline lost: resolved within DEADLINE_SLACK_MS of the deadline, or of the first moment
    // after it that the bot was up (for at least that long); none left pending past it.
    if (overdueLive.n > 0) problems.push(`${overdueLive.n} offers were still pending more than ${DEADLINE_SLACK_MS} ms after their deadline once settled`);
    const up = bot.upIntervals();
    const latestResolution = (deadline: number): number => {
      for (const interval of up) {
        const from = Math.max(deadline, interval.from);
        if (from + DEADLINE_SLACK_MS <= interval.to) return from + DEADLINE_SLACK_MS;
      }
      return Number.POSITIVE_INFINITY;
    };
    let lostDeadlines = 0;
    let expiredWhileDown = 0;
    for (const offer of final.offers) {
      const bound = latestResolution(offer.deadline_at);
      const downAtDeadline = !up.some((i) => i.from <= offer.deadline_at && offer.deadline_at <= i.to);
      if (offer.state === 'expired' && downAtDeadline) expiredWhileDown += 1;
      if (offer.state === 'pending') {
        const stoppedAt = bot.runs.at(-1)?.stoppedAt ?? settledAt;
        if (offer.deadline_at + DEADLINE_SLACK_MS < stoppedAt) problems.push(`offer ${offer.id} was still pending ${stoppedAt - offer.deadline_at} ms after its deadline when the bot stopped`);
        continue;
      }
      if (offer.resolved_at === null) problems.push(`offer ${offer.id} is ${offer.state} without resolved_at`);
      else if (offer.resolved_at > bound) {
        lostDeadlines += 1;
        if (lostDeadlines <= 10) {
          problems.push(
            `offer ${offer.id} (L-${offer.lead_id}) was resolved (${offer.state}) ${offer.resolved_at - offer.deadline_at} ms after its deadline, ` +
              `${offer.resolved_at - bound} ms later than allowed; deadline ${new Date(offer.deadline_at).toISOString()}, up intervals ${JSON.stringify(up.map((i) => [new Date(i.from).toISOString(), Number.isFinite(i.to) ? new Date(i.to).toISOString() : 'end']))}`,
          );
        }
      }
    }

    // 5. The history tells the same story as the offers.
    for (const lead of final.leads) {
      const events = (historyByLead.get(lead.id) ?? []).map((h) => h.event);
      const offers = offersByLead.get(lead.id) ?? [];
      const count = (event: string) => events.filter((e) => e === event).length;
      const inState = (state: string) => offers.filter((o) => o.state === state).length;
      const ref = `L-${lead.id}`;
      if (count('received') !== 1) problems.push(`${ref} has ${count('received')} received events`);
      if (count('offered') !== offers.length) problems.push(`${ref} has ${count('offered')} offered events for ${offers.length} offers: ${events.join(', ')}`);
      for (const [event, state] of [['claimed', 'claimed'], ['passed', 'passed'], ['expired', 'expired']] as const) {
        if (count(event) !== inState(state)) problems.push(`${ref} has ${count(event)} ${event} events for ${inState(state)} ${state} offers: ${events.join(', ')}`);
      }
      if (count('escalated') !== (lead.state === 'escalated' ? 1 : 0)) problems.push(`${ref} (${lead.state}) has ${count('escalated')} escalated events`);
    }

    // 6. Every stored claim and pass is shown on its card.
    for (const offer of unshownClicks(final)) {
      const card = offer.channel_id && offer.message_ts ? slack.message(offer.channel_id, offer.message_ts) : undefined;
      problems.push(`offer ${offer.id} (L-${offer.lead_id}) is ${offer.state}, but its card ${offer.channel_id}/${offer.message_ts} does not say so: ${card ? card.text : 'no such message'}`);
    }

    const recovered = (rows: OutboxRowView[]) => rows.filter((r) => r.result !== null && (JSON.parse(r.result) as { recovered?: boolean }).recovered === true).length;
    const stats = {
      seed: SEED,
      runtimeMs,
      chaosMs: chaosEnded - started,
      settleMs: settledAt - chaosEnded,
      kills: kills.map((k) => `${k.mode}${k.hit ? '' : ' (nothing posted: killed anyway)'}, down +${k.downMs} ms`),
      leads: final.leads.length,
      answeredAfterReplay: [...answered.values()].filter((a) => a.status === 200).length,
      states: Object.fromEntries([...groupBy(final.leads, (l) => l.state)].map(([state, list]) => [state, list.length])),
      offers: Object.fromEntries([...groupBy(final.offers, (o) => o.state)].map(([state, list]) => [state, list.length])),
      cardsPosted: cards.length,
      offersWithoutCard: final.offers.filter((o) => o.message_ts === null).length,
      cardsPostedAfterExpiry: final.offers.filter((o) => o.message_ts !== null && o.resolved_at !== null && (cardsByOffer.get(o.id)?.[0]?.call.at ?? 0) > o.resolved_at).length,
      expiredWhileDown,
      clicks: clicks.length,
      clickNetworkErrors: clicks.filter((c) => c.outcome === 'network_error').length,
      staleClicks: clicks.filter((c) => c.stale).length,
      clicksAgainAfterError: clicks.filter((c) => c.retry).length,
      instantClicks: instantClicks.length,
      instantClicksAnswered: instantClicks.filter((c) => c.outcome === 'answered').length,
      lateCardAnswers: slack.calls.filter((c) => c.injected && c.method === 'chat.postMessage').length,
      cardsReplacedByResponseUrl: slack.responseUrlPosts.filter((p) => p.body.replace_original === true && p.status === 200).length,
      cardUpdatesByChatUpdate: slack.callsTo('chat.update').filter((c) => c.ok).length,
      escalationsPosted: escalationPosts.length,
      escalationsPostedTwice: [...escalationsByLead.values()].filter((list) => list.length > 1).length,
      lookups: slack.callsTo('conversations.history').length,
      cardsFoundByLookup: recovered(postRows),
      escalationsFoundByLookup: recovered(final.outbox.filter((r) => r.method === 'post_escalation')),
    };
    console.info(`crash test: ${JSON.stringify(stats)}`);
    if (process.env.LEADRELAY_CRASH_DEBUG) {
      const without = final.offers.filter((o) => o.message_ts === null);
      debug('offers whose card never reached Slack, by attempt', JSON.stringify(Object.fromEntries([...groupBy(without, (o) => o.attempt)].map(([a, l]) => [a, l.length]))));
      for (const o of without.slice(0, 5)) {
        const row = postRowsByOffer.get(o.id)?.[0];
        const blockers = final.outbox.filter((r) => r.lead_id === o.lead_id && r.state === 'pending' && row && r.id < row.id);
        debug('offer', JSON.stringify(o), 'post row', JSON.stringify(row), 'blocked by', JSON.stringify(blockers));
      }
    }
    expect(problems, `${tag} ${JSON.stringify(stats)}\n${problems.join('\n')}`).toEqual([]);
  });
});
