/**
 * The CPU a burst of expiries costs, in process (no bot, no Slack stand-in): seeds a SQLite database
 * with N offered leads (bench/seed.ts: 400 reps in 40 teams), then expires them all through the
 * offer lifecycle's `expireBatch` (batches of EXPIRY_BATCH, as the deadline scheduler runs them) with
 * the clock past every deadline, and reports the process's CPU time (user + system: the machine is
 * shared, wall time says little) per offer, and with `--count` the SQL statements per offer
 * (bench/sqlCounter.ts, which slows each statement a little: CPU is measured without it).
 *
 *   node --import tsx bench/expiryCpu.ts [offers=10000] [--count] [--profile file.cpuprofile]
 *
 * `--profile` writes a CPU profile of the expiries alone (not the seeding), for bench/profileSummary.ts.
 *
 * Run it with the memory flags of package.json's `start` script (`node --max-semi-space-size=8
 * --heap-growing-percent=30 --import tsx bench/expiryCpu.ts`) to see what the bot does: with Node's
 * default heap the collector's share is smaller and can rank two changes the other way round (a
 * shared array of assessments measured 4% faster here without the flags, and slower in the bot).
 * The figure to hold against the target is the expiry phase's, with the bot as npm start runs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus } from '../src/app/events.ts';
import { createOfferLifecycle } from '../src/app/offerLifecycle.ts';
import { createLeadRouter } from '../src/app/routeLead.ts';
import { createLogger } from '../src/adapters/logger.ts';
import { EXPIRY_BATCH } from '../src/adapters/scheduler/deadlineScheduler.ts';
import { openDatabase } from '../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../src/adapters/sqlite/sqliteStore.ts';
import { seedOfferedLeads, writeBenchConfig } from './seed.ts';

const offers = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 10_000);
const counting = process.argv.includes('--count');
const counter = counting ? await import('./sqlCounter.ts') : null;
const profileIndex = process.argv.indexOf('--profile');
const profileFile = profileIndex > 0 ? process.argv[profileIndex + 1] : undefined;
const inspector = profileFile ? new (await import('node:inspector')).Session() : null;
const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => inspector?.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));

const dir = mkdtempSync(join(tmpdir(), 'leadrelay-expiry-cpu-'));
try {
  const { config } = writeBenchConfig(dir, 'expiry.yml');
  const db = openDatabase(join(dir, 'expiry.db'));
  await seedOfferedLeads(db, config, offers);
  const pending = (db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending'`).get() as { n: number }).n;
  const traceBytes = db.prepare(`SELECT avg(length(trace)) AS avg FROM leads`).get() as { avg: number };
  const latest = (db.prepare(`SELECT max(deadline_at) AS at FROM offers WHERE state = 'pending'`).get() as { at: number }).at;

  let now = latest + 1;
  const clock = { now: () => now };
  const { uow } = sqliteStore(db);
  const events = createEventBus((error) => {
    throw error;
  });
  const logger = createLogger('silent');
  const router = createLeadRouter({ uow, clock, settings: () => config, events, logger });
  const lifecycle = createOfferLifecycle({ uow, router, clock, settings: () => config, events, logger });

  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
  }
  const before = counter?.snapshot();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let expired = 0;
  for (;;) {
    const moved = await lifecycle.expireBatch(EXPIRY_BATCH);
    if (moved === 0) break;
    expired += moved;
    now += 1;
  }
  const used = process.cpuUsage(cpu);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (inspector && profileFile) {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(profileFile, JSON.stringify(profile));
    inspector.disconnect();
  }
  const after = counter?.snapshot();
  const reoffered = (db.prepare(`SELECT count(*) AS n FROM offers WHERE state = 'pending'`).get() as { n: number }).n;
  const traceAfter = db.prepare(`SELECT avg(length(trace)) AS avg FROM leads`).get() as { avg: number };
  const cpuUs = used.user + used.system;
  const result: Record<string, unknown> = {
    offers: pending,
    expired,
    reoffered,
    cpuMs: Math.round(cpuUs / 1000),
    cpuUsPerOffer: Math.round(cpuUs / Math.max(1, expired)),
    userUsPerOffer: Math.round(used.user / Math.max(1, expired)),
    systemUsPerOffer: Math.round(used.system / Math.max(1, expired)),
    wallMs: Math.round(wallMs),
    traceBytesBefore: Math.round(traceBytes.avg),
    traceBytesAfter: Math.round(traceAfter.avg),
  };
  if (before && after) {
    result.statementsPerOffer = Math.round(((after.executions - before.executions) / Math.max(1, expired)) * 10) / 10;
    result.commits = after.commits - before.commits;
    result.walPagesPerOffer = Math.round(((after.walFrames - before.walFrames) / Math.max(1, expired)) * 10) / 10;
    const top = Object.entries(after.statements)
      .map(([sql, entry]) => ({ sql: sql.slice(0, 110), count: entry.count - (before.statements[sql]?.count ?? 0), ms: Math.round((entry.ms - (before.statements[sql]?.ms ?? 0)) * 10) / 10 }))
      .filter((entry) => entry.count > 0)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 25);
    result.statements = top;
  }
  console.log(JSON.stringify(result, null, 2));
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
