/**
 * The Slack pacer shared by every instance on PostgreSQL: one instance answers exactly as the
 * in-process pacer does (the same rule on rows instead of maps), and two instances, each with its
 * own pool, calling at once, together stay within Slack's per-channel and per-workspace pace.
 * Time is injected (the `now` of each call), never slept on.
 */
import { expect, it } from 'vitest';
import { connectPostgres, type PgPool } from '../../../src/adapters/postgres/connectPostgres.ts';
import { postgresSlackPacer } from '../../../src/adapters/postgres/postgresSlackPacer.ts';
import { createSlackPacer, SLACK_PACING, type BucketRule } from '../../../src/adapters/slack/slackPacer.ts';
import { describePostgres, usePostgres } from '../../support/postgres.ts';

const pg = usePostgres();

const RULES = { 'chat.postMessage': { rule: { ratePerSecond: 1, burst: 3 }, perChannel: true }, 'chat.update': { rule: { ratePerSecond: 0.5, burst: 1 }, perChannel: false } };

/** Two instances' pools on one fresh database. */
async function twoPools(): Promise<{ pools: [PgPool, PgPool]; close: () => Promise<void> }> {
  const db = await pg.database({ migrated: true });
  const pools: [PgPool, PgPool] = [await connectPostgres(db.url, { max: 6 }), await connectPostgres(db.url, { max: 6 })];
  return { pools, close: async () => void (await Promise.all(pools.map((pool) => pool.end()))) };
}

/** A small deterministic generator (mulberry32), so the script is the same on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whether calls made at `times` (sorted) ever exceed the bucket: at most burst + rate × elapsed between any two. */
function overPace(times: number[], rule: BucketRule): string[] {
  const problems: string[] = [];
  for (let i = 0; i < times.length; i += 1) {
    for (let j = i; j < times.length; j += 1) {
      const allowed = rule.burst + (((times[j] as number) - (times[i] as number)) / 1000) * rule.ratePerSecond;
      if (j - i + 1 > allowed + 1e-9) problems.push(`${j - i + 1} calls between ${times[i]} and ${times[j]}`);
    }
  }
  return problems;
}

describePostgres('the Slack pacer on PostgreSQL', () => {
  it('answers every call exactly as the in-process pacer does (bursts, booked slots, late callers, aliases, forgotten slots)', async () => {
    const { pools, close } = await twoPools();
    const shared = postgresSlackPacer(pools[0], { rules: RULES });
    const local = createSlackPacer(RULES);
    const next = random(17);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    let now = 0;
    const answers: { shared: number[]; local: number[] } = { shared: [], local: [] };
    for (let step = 0; step < 400; step += 1) {
      now += next() < 0.02 ? 125_000 : Math.floor(next() * 700);
      if (step === 150) {
        await shared.learnChannel('U0ALICE', 'D0ALICE');
        local.learnChannel('U0ALICE', 'D0ALICE');
      }
      const method = pick(['chat.postMessage', 'chat.postMessage', 'chat.update', 'views.open']);
      const channel = pick(['U0ALICE', 'D0ALICE', 'D0BOB', undefined]);
      const ticket = next() < 0.2 ? undefined : 1 + Math.floor(next() * 15);
      answers.shared.push(await shared.reserve(method, channel, now, ticket));
      answers.local.push(local.reserve(method, channel, now, ticket));
    }
    expect(answers.shared).toEqual(answers.local);
    // The script waited, booked and let go (not only "0" answers).
    expect(answers.local.filter((wait) => wait > 0).length).toBeGreaterThan(50);
    expect(await shared.bookedSlots()).toBe(local.bookedSlots());
    await close();
  });

  it('keeps two instances calling at once within one channel budget and one workspace budget', async () => {
    const { pools, close } = await twoPools();
    const instances = pools.map((pool) => postgresSlackPacer(pool, { rules: RULES }));
    // Each instance has 8 cards for the same DM and 4 updates (workspace-wide), each its own outbox row (ticket).
    type Call = { instance: number; method: 'chat.postMessage' | 'chat.update'; channel: string; ticket: number; dueAt: number; wentAt?: number };
    const calls: Call[] = [];
    for (const instance of [0, 1]) {
      for (let i = 0; i < 8; i += 1) calls.push({ instance, method: 'chat.postMessage', channel: 'D0ALICE', ticket: 100 * instance + i, dueAt: 0 });
      for (let i = 0; i < 4; i += 1) calls.push({ instance, method: 'chat.update', channel: `C${i}`, ticket: 100 * instance + 50 + i, dueAt: 0 });
    }
    // The injected clock moves in steps of 50 ms; at each step both instances try every call that is due, all at once.
    for (let now = 0; now <= 30_000 && calls.some((call) => call.wentAt === undefined); now += 50) {
      const due = calls.filter((call) => call.wentAt === undefined && call.dueAt <= now);
      await Promise.all(
        due.map(async (call) => {
          const wait = await (instances[call.instance] as ReturnType<typeof postgresSlackPacer>).reserve(call.method, call.channel, now, call.ticket);
          if (wait === 0) call.wentAt = now;
          else call.dueAt = now + wait;
        }),
      );
    }
    expect(calls.filter((call) => call.wentAt === undefined)).toEqual([]);
    const wentAt = (method: Call['method']) => calls.filter((call) => call.method === method).map((call) => call.wentAt as number).sort((a, b) => a - b);
    expect(overPace(wentAt('chat.postMessage'), RULES['chat.postMessage'].rule)).toEqual([]);
    expect(overPace(wentAt('chat.update'), RULES['chat.update'].rule)).toEqual([]);
    // Both instances' calls went, and the pace was used, not wasted: 16 posts at 1/s after a burst of 3.
    expect(new Set(calls.filter((call) => call.wentAt === 0).map((call) => call.method))).toEqual(new Set(['chat.postMessage', 'chat.update']));
    expect(wentAt('chat.postMessage').at(-1)).toBeLessThanOrEqual(14_000);
    expect(wentAt('chat.update').at(-1)).toBeLessThanOrEqual(15_000);
    // Every slot was used by its caller: nothing left booked.
    expect(await (instances[0] as ReturnType<typeof postgresSlackPacer>).bookedSlots()).toBe(0);
    await close();
  });

  it("paces a user id and the DM one instance learned as one channel, on the other instance too", async () => {
    const { pools, close } = await twoPools();
    const [a, b] = pools.map((pool) => postgresSlackPacer(pool, { rules: RULES, now: () => 0 })) as [ReturnType<typeof postgresSlackPacer>, ReturnType<typeof postgresSlackPacer>];
    expect([await a.reserve('chat.postMessage', 'U0ALICE', 0, 1), await a.reserve('chat.postMessage', 'U0ALICE', 0, 2)]).toEqual([0, 0]);
    await a.learnChannel('U0ALICE', 'D0ALICE');
    expect(await b.reserve('chat.postMessage', 'D0ALICE', 0, 3)).toBe(0);
    expect(await b.reserve('chat.postMessage', 'D0ALICE', 0, 4)).toBe(1000);
    expect(await a.reserve('chat.postMessage', 'U0ALICE', 0, 5)).toBe(2000);
    // Learned again by the other instance: nothing changes.
    await b.learnChannel('U0ALICE', 'D0ALICE');
    expect(await b.reserve('chat.postMessage', 'U0ALICE', 0, 6)).toBe(3000);
    const { rows } = await pools[0].query('SELECT pacing_key, booked FROM slack_pacing ORDER BY pacing_key');
    expect(rows).toEqual([{ pacing_key: 'chat.postMessage:D0ALICE', booked: 3 }]);
    await close();
  });

  it('forgets the slots nobody came back for a minute after their time, whichever instance sweeps', async () => {
    const { pools, close } = await twoPools();
    const [a, b] = pools.map((pool) => postgresSlackPacer(pool, { rules: RULES })) as [ReturnType<typeof postgresSlackPacer>, ReturnType<typeof postgresSlackPacer>];
    for (let ticket = 1; ticket <= 5; ticket += 1) await a.reserve('chat.postMessage', 'D1', 61_000, ticket);
    expect(await a.bookedSlots()).toBe(2);
    // Tickets 4 and 5 never come back: b's next call, two minutes later, sweeps them, and the burst is whole again.
    expect(await b.reserve('chat.postMessage', 'D1', 181_000, 10)).toBe(0);
    expect(await b.bookedSlots()).toBe(0);
    expect([await b.reserve('chat.postMessage', 'D1', 181_000, 11), await b.reserve('chat.postMessage', 'D1', 181_000, 12), await b.reserve('chat.postMessage', 'D1', 181_000, 13)]).toEqual([0, 0, 1000]);
    await close();
  });

  it('paces only what the in-process pacer paces, with the same rules by default', async () => {
    const { pools, close } = await twoPools();
    const pacer = postgresSlackPacer(pools[0]);
    expect(await pacer.reserve('views.publish', 'U0ALICE', 0)).toBe(0);
    expect((await pools[0].query('SELECT count(*) AS n FROM slack_pacing')).rows).toEqual([{ n: 0 }]);
    const burst = SLACK_PACING['chat.update']?.rule.burst ?? 0;
    const waits: number[] = [];
    for (let i = 0; i <= burst; i += 1) waits.push(await pacer.reserve('chat.update', `C${i}`, 0));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(burst);
    expect(waits.at(-1)).toBeGreaterThan(0);
    await close();
  });
});
