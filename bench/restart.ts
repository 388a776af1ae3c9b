/**
 * Restart: how long the bot takes from spawn to ready — /healthz answering 200, which the bot
 * does only after it has acted on overdue deadlines and armed the timer for the next one (src/leadrelay.ts
 * starts listening last) — on a database with `pending` offers waiting and `total` leads stored.
 * "Armed" is also checked by observation: 100 of the pending offers are due 2.5 s after the spawn, and
 * must be expired (and the lead offered to the next rep) within 1 s of that deadline.
 * Measured for the compiled bot and for `npm start`'s tsx command, on the same database.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { benchUsers } from './benchConfig.ts';
import { benchEnv, startBotProcess, type BotRuntime, type ServiceProcess } from './botProcess.ts';
import { seedRestartDb, writeBenchConfig } from './seed.ts';
import { startStandInProcess } from './standIn.ts';

const EARLY = 100;

export async function benchRestart(options: { dir: string; total: number; pending: number; runtimes: BotRuntime[] }) {
  const { path: configPath, config } = writeBenchConfig(options.dir, 'restart.yml');
  const dbPath = join(options.dir, 'restart.db');
  const seedStarted = Date.now();
  const seeded = await seedRestartDb(dbPath, config, { total: options.total, pending: options.pending });
  const seedMs = Date.now() - seedStarted;
  const dbMb = Math.round(statSync(dbPath).size / 2 ** 20);
  const slack = await startStandInProcess(benchUsers());
  const runs: Record<string, { readyMs: number; readyBeforeDeadline: boolean; peakRssMb: number; earlyDeadlines: number; earlyExpired: number; earlyLatenessMaxMs: number | null; armed: boolean }> = {};
  try {
    for (const runtime of options.runtimes) {
      const db = new Database(dbPath);
      const deadline = Date.now() + 2500;
      const early = db.prepare(`SELECT id FROM offers WHERE state = 'pending' ORDER BY id LIMIT ?`).pluck().all(EARLY) as number[];
      const setDeadline = db.prepare('UPDATE offers SET deadline_at = ? WHERE id = ?');
      db.transaction(() => early.forEach((id) => setDeadline.run(deadline, id)))();
      db.close();
      const logFile = join(options.dir, `restart-${runtime}.log`);
      let bot: ServiceProcess | undefined;
      try {
        bot = await startBotProcess(
          {
            ...benchEnv(slack.apiUrl),
            LEADRELAY_CONFIG: configPath,
            LEADRELAY_DB: dbPath,
          },
          { runtime, logFile },
        );
        const readyBeforeDeadline = Date.now() < deadline;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline + 1100 - Date.now())));
        const reader = new Database(dbPath, { readonly: true });
        const lateness = reader
          .prepare(`SELECT resolved_at - deadline_at FROM offers WHERE deadline_at = ? AND state = 'expired' AND id IN (${early.join(',')})`)
          .pluck()
          .all(deadline) as number[];
        reader.close();
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
        throw new Error(`restart (${runtime}): ${(error as Error).message} (log: ${logFile})`);
      } finally {
        await bot?.stop();
      }
    }
  } finally {
    await slack.close();
  }
  return { ...seeded, dbMb, seedSeconds: Math.round(seedMs / 100) / 10, runs };
}
