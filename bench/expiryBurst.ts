/**
 * Deadlines at scale (SPEC 11): N offers expiring at the same instant. Seeds a database with N leads
 * offered to 400 reps (40 teams of 10), all with the same deadline a few seconds ahead, starts the real bot on it
 * (its own process, real clock) against the Slack stand-in, and measures
 *  - the lateness of each reassignment (offer resolved_at − deadline_at), p50/p99/max, and
 *  - the time from the deadline to the last new card posted to Slack.
 * The seeded cards are marked as already posted without a Slack message, so the expired cards'
 * chat.update calls are skipped: they are paced at Tier 3 (~50/min) and queued behind the new cards
 * anyway, and would only make the run longer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { parseConfig } from '../src/config/loadConfig.ts';
import { createAcceptLead } from '../src/app/acceptLead.ts';
import { createLeadRouter } from '../src/app/routeLead.ts';
import { createLogger } from '../src/adapters/logger.ts';
import { openDatabase } from '../src/adapters/sqlite/openDatabase.ts';
import { sqliteLeadStore } from '../src/adapters/sqlite/sqliteLeadStore.ts';
import { sqliteOfferStore } from '../src/adapters/sqlite/sqliteOfferStore.ts';
import { sqliteOutboxStore } from '../src/adapters/sqlite/sqliteOutboxStore.ts';
import { sqliteRoutingStore } from '../src/adapters/sqlite/sqliteRoutingStore.ts';
import type { Lead } from '../src/domain/lead.ts';
import { startSlackStandIn } from '../src/sandbox/slackStandIn.ts';
import { startBotProcess } from './botProcess.ts';
import { percentile } from './loadGenerator.ts';

export const REP_COUNT = 400;
const repId = (i: number) => `U0R${String(i).padStart(4, '0')}`;

/** 40 teams of 10 reps, a rule per team on `fields.team_no`: leads spread over 400 reps as in SPEC 11. */
export const TEAM_COUNT = 40;

export function benchConfigYaml(claimWithin = '10m'): string {
  const reps = Array.from({ length: REP_COUNT }, (_, i) => `  - { id: ${repId(i)}, name: Rep ${i} }`).join('\n');
  const perTeam = REP_COUNT / TEAM_COUNT;
  const teams = Array.from({ length: TEAM_COUNT }, (_, t) => {
    const members = Array.from({ length: perTeam }, (_, k) => repId(t * perTeam + k)).join(', ');
    return `  - { id: t${t}, manager: U0MGR, members: [${members}] }`;
  }).join('\n');
  const rules = Array.from({ length: TEAM_COUNT }, (_, t) => `  - { name: Team ${t}, when: { fields.team_no: ${t} }, route: { team: t${t} } }`).join('\n');
  return `timezone: UTC
sla: { claim_within: ${claimWithin}, max_offers: 3 }
escalation: { channel: C0BENCHESC }
managers: [U0MGR]
reps:
${reps}
teams:
${teams}
rules:
${rules}
fallback: { team: t0 }
`;
}

export async function benchExpiryBurst(options: { offers: number; dir: string }) {
  const configPath = join(options.dir, 'expiry.yml');
  const dbPath = join(options.dir, 'expiry.db');
  writeFileSync(configPath, benchConfigYaml());
  const parsed = parseConfig(benchConfigYaml(), configPath);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const config = parsed.config;

  // Seed in this process: leads accepted and routed (an offer each), cards marked as posted.
  let now = Date.now() - 60_000;
  const clock = { now: () => now };
  const db = openDatabase(dbPath);
  const leads = sqliteLeadStore(db);
  const outbox = sqliteOutboxStore(db);
  const accept = createAcceptLead({ db, leads, clock, config: () => config });
  const router = createLeadRouter({ db, leads, offers: sqliteOfferStore(db), routing: sqliteRoutingStore(db), outbox, clock, config: () => config, logger: createLogger('silent') });
  for (let start = 0; start < options.offers; start += 500) {
    const batch = Array.from({ length: Math.min(500, options.offers - start) }, (_, k) => start + k);
    const results = await Promise.all(
      batch.map((i) => accept({ lead: { source: 'form', email: `burst${i}@company${i % 300}.example`, company: {}, fields: { team_no: i % TEAM_COUNT } } as Lead, requestHash: String(i) })),
    );
    await Promise.all(results.map((r) => (r.status === 'accepted' ? router.routeSoon(r.leadId) : undefined)));
    now += 1;
  }
  db.prepare(`UPDATE outbox SET state = 'done', done_at = ? WHERE state = 'pending'`).run(now);
  const seeded = (db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending'`).get() as { n: number }).n;
  db.close();

  const slack = await startSlackStandIn({
    signingSecret: 'bench-signing-secret',
    botToken: 'xoxb-bench',
    socketMode: false,
    users: [...Array.from({ length: REP_COUNT }, (_, i) => repId(i)), 'U0MGR'],
  });
  // All deadlines at one instant, far enough ahead for the bot to start.
  const deadline = Date.now() + 6000;
  const writer = new Database(dbPath);
  writer.prepare(`UPDATE offers SET deadline_at = ? WHERE state = 'pending'`).run(deadline);
  writer.close();

  const bot = await startBotProcess({
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    LEADRELAY_WEBHOOK_SECRET: 'bench-webhook-secret',
    LEADRELAY_CONFIG: configPath,
    LEADRELAY_DB: dbPath,
  });
  try {
    const reader = new Database(dbPath, { readonly: true });
    const resolved = reader.prepare(`SELECT count(*) AS n FROM offers WHERE deadline_at = ? AND state = 'expired'`);
    const waitUntil = async (probe: () => boolean, limitMs: number) => {
      const started = Date.now();
      while (!probe() && Date.now() - started < limitMs) await new Promise((r) => setTimeout(r, 100));
    };
    await waitUntil(() => (resolved.get(deadline) as { n: number }).n >= seeded, 120_000);
    const newCards = () => slack.callsTo('chat.postMessage').filter((c) => c.ok && (c.args.metadata as { event_type?: string } | undefined)?.event_type === 'leadrelay_offer');
    await waitUntil(() => newCards().length >= seeded, 300_000);
    const lateness = (reader.prepare(`SELECT resolved_at - deadline_at AS late FROM offers WHERE deadline_at = ? AND state = 'expired'`).all(deadline) as { late: number }[])
      .map((r) => r.late)
      .sort((a, b) => a - b);
    const cards = newCards();
    const lastCardAt = Math.max(...cards.map((c) => c.at));
    reader.close();
    return {
      offers: seeded,
      reassigned: lateness.length,
      latenessMs: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) ?? 0 },
      newCards: cards.length,
      timeToLastNewCardMs: cards.length > 0 ? lastCardAt - deadline : null,
      peakRssMb: bot.peakRssMb(),
    };
  } finally {
    await bot.stop();
    await slack.close();
  }
}

// `node --import tsx bench/expiryBurst.ts [offers]` runs this part alone (BENCH_PROFILE_DIR=dir profiles the bot).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const offers = Number(process.argv[2] ?? 10_000);
  console.log(JSON.stringify(await benchExpiryBurst({ offers, dir: mkdtempSync(join(tmpdir(), 'leadrelay-expiry-')) }), null, 2));
}
