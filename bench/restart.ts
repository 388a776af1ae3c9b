/**
 * Restart: how long the bot takes from spawn to ready — /healthz answering 200, which the bot
 * does only after it has acted on overdue deadlines and armed the timer for the next one (src/leadrelay.ts
 * starts listening last) — on a database with `pending` offers waiting and `total` leads stored.
 * "Armed" is also checked by observation: 100 of the pending offers are due 2.5 s after the spawn, and
 * must be expired (and the lead offered to the next rep) within 1 s of that deadline.
 * Measured for the compiled bot and for `npm start`'s tsx command, on the same database.
 * On PostgreSQL the seeded SQLite database is copied into a fresh PostgreSQL database with the bot's
 * own `leadrelay migrate-store` (bench/postgres.ts) before any run, and the bot started with
 * DATABASE_URL (as `npm start` runs it only).
 */
import { join } from 'node:path';
import { benchUsers } from './benchConfig.ts';
import { benchEnv, startBotProcess, type BotRuntime, type ServiceProcess } from './botProcess.ts';
import { copyIntoPostgres, createPhaseDatabase, openBenchSql, storeEnv, storeSizeMb, type BenchStore, type PhaseDatabase } from './postgres.ts';
import { seedRestartDb, writeBenchConfig } from './seed.ts';
import { startStandInProcess } from './standIn.ts';

const EARLY = 100;

export interface RestartOptions {
  dir: string;
  total: number;
  pending: number;
  /** SQLite's runtimes (PostgreSQL's run is the first of them only). */
  runtimes: BotRuntime[];
  /** The stores to measure (default SQLite only), each on a copy of one seeded database. */
  stores?: BenchStore['kind'][];
  pgServerUrl?: string;
}

/** Seeds one database, then measures the restart on each store asked for: `{ sqlite?, postgres? }`. */
export async function benchRestart(options: RestartOptions) {
  const stores = options.stores ?? ['sqlite'];
  const { path: configPath, config } = writeBenchConfig(options.dir, 'restart.yml');
  const dbPath = join(options.dir, 'restart.db');
  const seedStarted = Date.now();
  const seeded = await seedRestartDb(dbPath, config, { total: options.total, pending: options.pending });
  const seedMs = Date.now() - seedStarted;
  let pgDb: PhaseDatabase | undefined;
  try {
    let copyMs = 0;
    if (stores.includes('postgres')) {
      pgDb = await createPhaseDatabase(options.pgServerUrl ?? '', 'restart');
      copyMs = await copyIntoPostgres(dbPath, pgDb.url);
    }
    const common = { dir: options.dir, configPath, dbPath, seeded };
    const sqlite = stores.includes('sqlite') ? await restartRuns({ kind: 'sqlite' }, { ...common, seedMs, runtimes: options.runtimes }) : undefined;
    const postgres = pgDb ? await restartRuns({ kind: 'postgres', url: pgDb.url }, { ...common, seedMs: seedMs + copyMs, runtimes: options.runtimes.slice(0, 1) }) : undefined;
    return { sqlite, postgres };
  } finally {
    await pgDb?.drop().catch(() => undefined);
  }
}

async function restartRuns(store: BenchStore, options: { dir: string; configPath: string; dbPath: string; seeded: { leads: number; pendingOffers: number }; seedMs: number; runtimes: BotRuntime[] }) {
  const { configPath, dbPath, seeded, seedMs } = options;
  const dbMb = await storeSizeMb(store, dbPath);
  const slack = await startStandInProcess(benchUsers());
  const runs: Record<string, { readyMs: number; readyBeforeDeadline: boolean; peakRssMb: number; earlyDeadlines: number; earlyExpired: number; earlyLatenessMaxMs: number | null; armed: boolean }> = {};
  try {
    for (const runtime of options.runtimes) {
      const db = await openBenchSql(store, dbPath);
      const deadline = Date.now() + 2500;
      const early = await db.numbers(`SELECT id FROM offers WHERE state = 'pending' ORDER BY id LIMIT ?`, [EARLY]);
      await db.rows(`UPDATE offers SET deadline_at = ? WHERE id IN (${early.join(',')})`, [deadline]);
      await db.close();
      const logFile = join(options.dir, `restart-${store.kind}-${runtime}.log`);
      let bot: ServiceProcess | undefined;
      try {
        bot = await startBotProcess(
          {
            ...benchEnv(slack.apiUrl),
            LEADRELAY_CONFIG: configPath,
            ...storeEnv(store, dbPath),
          },
          { runtime, logFile, timeoutMs: 600_000 },
        );
        const readyBeforeDeadline = Date.now() < deadline;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline + 1100 - Date.now())));
        const reader = await openBenchSql(store, dbPath, { readonly: true });
        const lateness = await reader.numbers(`SELECT resolved_at - deadline_at FROM offers WHERE deadline_at = ? AND state = 'expired' AND id IN (${early.join(',')})`, [deadline]);
        await reader.close();
        const latenessMax = lateness.length > 0 ? Math.max(...lateness) : null;
        runs[runtime] = {
          readyMs: bot.readyMs,
          readyBeforeDeadline,
          peakRssMb: bot.memoryMb().peak,
          earlyDeadlines: early.length,
          earlyExpired: lateness.length,
          earlyLatenessMaxMs: latenessMax,
          armed: lateness.length === early.length && latenessMax !== null && latenessMax <= 1000,
        };
      } catch (error) {
        throw new Error(`restart (${store.kind}, ${runtime}): ${(error as Error).message} (log: ${logFile})`);
      } finally {
        await bot?.stop();
      }
    }
  } finally {
    await slack.close();
  }
  return { store: store.kind, ...seeded, dbMb, seedSeconds: Math.round(seedMs / 100) / 10, runs };
}
