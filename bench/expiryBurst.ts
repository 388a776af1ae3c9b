/**
 * Deadlines at scale: N offers expiring at the same instant. Seeds a database with N leads
 * offered to 400 reps (40 teams of 10, bench/seed.ts), all with the same deadline a few seconds
 * ahead, starts the real bot on it (its own process, real clock) against the Slack stand-in (its own
 * process), and measures
 *  - the lateness of each reassignment as committed: the database is polled every 20 ms and each
 *    expiry counts from the poll that first sees it committed (so a batch's commit time is included),
 *    and as recorded in the offer (resolved_at − deadline_at);
 *  - the time from the deadline to the last new card posted to Slack (paced ~1/s per DM).
 * The seeded cards are marked as delivered without a Slack message, so the expired cards' chat.update
 * calls are skipped: they are paced at Tier 3 (~50/min) behind the new cards anyway.
 * On PostgreSQL the seeded SQLite database is copied into a fresh PostgreSQL database first with the
 * bot's own `leadrelay migrate-store` (bench/postgres.ts), and the bot started with DATABASE_URL.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchUsers } from './benchConfig.ts';
import { benchEnv, startBotProcess, type ServiceProcess } from './botProcess.ts';
import { copyIntoPostgres, createPhaseDatabase, openBenchSql, storeEnv, type BenchStore, type PhaseDatabase } from './postgres.ts';
import { hrNow, summarize } from './procStats.ts';
import { seedExpiryDb, writeBenchConfig } from './seed.ts';
import { startStandInProcess } from './standIn.ts';

export interface ExpiryOptions {
  offers: number;
  dir: string;
  cardsTimeoutSeconds?: number;
  /** The stores to measure, each on a copy of one seeded database (default SQLite only). */
  stores?: BenchStore['kind'][];
  /** The PostgreSQL server to create the phase's database on (with 'postgres' in `stores`). */
  pgServerUrl?: string;
}

/** Seeds one database, then measures the burst on each store asked for: `{ sqlite?, postgres? }`. */
export async function benchExpiryBurst(options: ExpiryOptions) {
  const stores = options.stores ?? ['sqlite'];
  const { path: configPath, config } = writeBenchConfig(options.dir, 'expiry.yml');
  const dbPath = join(options.dir, 'expiry.db');
  const seedStarted = Date.now();
  const seeded = await seedExpiryDb(dbPath, config, options.offers);
  const seedMs = Date.now() - seedStarted;
  let pgDb: PhaseDatabase | undefined;
  try {
    let copyMs = 0;
    if (stores.includes('postgres')) {
      // Copied before the SQLite run changes the file.
      pgDb = await createPhaseDatabase(options.pgServerUrl ?? '', 'expiry');
      copyMs = await copyIntoPostgres(dbPath, pgDb.url);
    }
    const sqlite = stores.includes('sqlite') ? await expiryRun({ kind: 'sqlite' }, { ...options, configPath, dbPath, seeded, seedMs }) : undefined;
    const postgres = pgDb ? await expiryRun({ kind: 'postgres', url: pgDb.url }, { ...options, configPath, dbPath, seeded, seedMs: seedMs + copyMs }) : undefined;
    return { sqlite, postgres };
  } finally {
    await pgDb?.drop().catch(() => undefined);
  }
}

async function expiryRun(store: BenchStore, options: ExpiryOptions & { configPath: string; dbPath: string; seeded: number; seedMs: number }) {
  const { configPath, dbPath, seeded, seedMs } = options;
  const slack = await startStandInProcess(benchUsers());
  // All deadlines at one instant, far enough ahead for the bot to start (PostgreSQL's takes longer:
  // it connects, checks the schema and listens for the other instances; readyBeforeDeadline says
  // whether it was ready in time, else the lateness includes its start).
  const deadline = Date.now() + (store.kind === 'postgres' ? 8000 : 3000);
  const writer = await openBenchSql(store, dbPath);
  await writer.rows(`UPDATE offers SET deadline_at = ? WHERE state = 'pending'`, [deadline]);
  await writer.close();

  const logFile = join(options.dir, `expiry-${store.kind}-bot.log`);
  let bot: ServiceProcess | undefined;
  try {
    bot = await startBotProcess(
      {
        ...benchEnv(slack.apiUrl),
        LEADRELAY_CONFIG: configPath,
        ...storeEnv(store, dbPath),
      },
      // A bot that starts after the deadline acts on all of them before it listens: let it.
      { logFile, timeoutMs: 600_000 },
    );
    slack.setRequestUrl(`${bot.url}/slack/events`);
    const readyBeforeDeadline = Date.now() < deadline;
    const reader = await openBenchSql(store, dbPath, { readonly: true });
    const expiredCount = async () => (await reader.numbers(`SELECT count(*) AS n FROM offers WHERE deadline_at = ? AND state = 'expired'`, [deadline]))[0] ?? 0;
    const visible: number[] = [];
    let seen = 0;
    // Does the bot still answer during the burst? GET /healthz every 100 ms until every offer moved on.
    const healthz: number[] = [];
    let probing = true;
    const botUrl = bot.url;
    const probe = (async () => {
      while (probing) {
        const started = hrNow();
        const response = await fetch(`${botUrl}/healthz`).catch(() => null);
        if (response) {
          await response.arrayBuffer();
          if (Date.now() >= deadline) healthz.push(hrNow() - started);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const pollUntil = hrNow() + 120_000;
    while (seen < seeded && hrNow() < pollUntil) {
      const n = await expiredCount();
      const late = Math.max(0, Date.now() - deadline);
      for (; seen < n; seen += 1) visible.push(late);
      if (seen < seeded) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    probing = false;
    await probe;
    const recorded = await reader.numbers(`SELECT resolved_at - deadline_at FROM offers WHERE deadline_at = ? AND state = 'expired'`, [deadline]);
    await reader.close();
    const allCards = await slack.waitFor(() => slack.cards.size >= seeded, (options.cardsTimeoutSeconds ?? 300) * 1000);
    const lastCardAt = Math.max(...[...slack.cards.values()].map((card) => card.at));
    const stats = await slack.stats();
    return {
      store: store.kind,
      offers: seeded,
      seedSeconds: Math.round(seedMs / 100) / 10,
      readyMs: bot.readyMs,
      readyBeforeDeadline,
      reassigned: recorded.length,
      latenessMs: summarize(visible),
      recordedLatenessMs: summarize(recorded),
      healthzDuringBurstMs: summarize(healthz),
      newCards: slack.cards.size,
      allNewCards: allCards,
      // Card times are hrNow (epoch ms, sub-millisecond), the deadline Date.now(): the same clock.
      timeToLastNewCardMs: slack.cards.size > 0 ? Math.round(lastCardAt - deadline) : null,
      peakRssMb: bot.memoryMb().peak,
      slack: stats,
    };
  } catch (error) {
    throw new Error(`expiry (${store.kind}): ${(error as Error).message} (log: ${logFile})`);
  } finally {
    await bot?.stop();
    await slack.close();
  }
}

// `node --import tsx bench/expiryBurst.ts [offers] [sqlite,postgres]` runs this part alone (BENCH_PROFILE_DIR=dir profiles the bot).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { ensureBuilt } = await import('./botProcess.ts');
  ensureBuilt();
  const { benchPgServerUrl } = await import('./postgres.ts');
  const offers = Number(process.argv[2] ?? 10_000);
  const stores = (process.argv[3] ?? 'sqlite').split(',') as BenchStore['kind'][];
  console.log(JSON.stringify(await benchExpiryBurst({ offers, stores, pgServerUrl: benchPgServerUrl(), dir: mkdtempSync(join(tmpdir(), 'leadrelay-expiry-')) }), null, 2));
}
