/**
 * `npm run bench [-- --quick] [-- --only steady,cost,intake,hooks,expiry,restart,routing] [-- --store sqlite|postgres|both]`:
 * measures leadrelay against the performance targets on this machine, next to the floor pipeline
 * (bench/floor.ts), on SQLite and on PostgreSQL (the steady, intake, expiry and restart phases, and
 * two instances on one database; by default when a server answers, bench/postgres.ts), and writes
 * bench/results/latest.json (keys: bench/README.md). Never part of `npm test`; figures are reported,
 * not asserted. Every phase starts its own processes: the bot (compiled, dist/), or the floor, and a
 * Slack stand-in (bench/standInProcess.ts); this process only generates load and measures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRuntime, ensureBuilt } from './botProcess.ts';
import { benchCost, renderCost } from './cost.ts';
import { benchExpiryBurst } from './expiryBurst.ts';
import { benchHooks } from './hooks.ts';
import { benchIntake } from './intake.ts';
import { benchPgServerUrl, pgServerProblem, withPhaseStore } from './postgres.ts';
import { benchRestart } from './restart.ts';
import { benchRoutingDecision } from './routingDecision.ts';
import { writeBenchConfig } from './seed.ts';
import { benchSteady } from './steady.ts';
import { renderTable, type BenchResults } from './table.ts';

const PHASES = ['steady', 'cost', 'intake', 'hooks', 'expiry', 'restart', 'routing'];
/** The phases that run on PostgreSQL too (cost's instruments are SQLite's; hooks and routing do not depend on the store). */
const PG_PHASES = new Set(['steady', 'intake', 'expiry', 'restart']);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? new Set((args[args.indexOf('--only') + 1] ?? '').split(',').filter(Boolean)) : null;
const unknown = [...(only ?? [])].filter((phase) => !PHASES.includes(phase));
if (unknown.length > 0) {
  process.stderr.write(`npm run bench: unknown phase ${unknown.join(', ')} in --only (phases: ${PHASES.join(', ')})\n`);
  process.exit(2);
}
const storeArg = args.includes('--store') ? args[args.indexOf('--store') + 1] : undefined;
if (storeArg !== undefined && !['sqlite', 'postgres', 'both'].includes(storeArg)) {
  process.stderr.write(`npm run bench: --store takes sqlite, postgres or both, not ${storeArg}\n`);
  process.exit(2);
}
const keep = args.includes('--keep');
const wanted = (phase: string) => only === null || only.has(phase);
const root = fileURLToPath(new URL('../', import.meta.url));
const secret = 'bench-webhook-secret-0123456789';

const settings = quick
  ? { steadySeconds: 5, warmSeconds: 1.5, intakeSeconds: 5, drainSeconds: 2, hooksSegmentSeconds: 3, expiryOffers: 2_000, restartLeads: 20_000, restartPending: 2_000 }
  : { steadySeconds: 30, warmSeconds: 3, intakeSeconds: 30, drainSeconds: 30, hooksSegmentSeconds: 15, expiryOffers: 10_000, restartLeads: 100_000, restartPending: 10_000 };

const log = (text: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-bench-'));
  log(`working in ${dir}${quick ? ' (--quick)' : ''}; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  // The stores: --store, else both when a PostgreSQL server answers (LEADRELAY_BENCH_PG or 127.0.0.1:5432), else SQLite.
  const pgServer = benchPgServerUrl();
  const pgProblem = storeArg === 'sqlite' ? null : await pgServerProblem(pgServer);
  if (pgProblem !== null && storeArg === 'postgres') throw new Error(`--store postgres: ${pgProblem}`);
  const onSqlite = storeArg !== 'postgres';
  const onPostgres = storeArg === 'postgres' || (storeArg !== 'sqlite' && pgProblem === null);
  const storeKinds = [...(onSqlite ? ['sqlite' as const] : []), ...(onPostgres ? ['postgres' as const] : [])];
  const pgHost = new URL(pgServer).host;
  const note = storeArg === 'sqlite' ? 'SQLite only (--store sqlite)' : onPostgres ? undefined : `SQLite only: ${pgProblem} (set LEADRELAY_BENCH_PG to a server's URL to measure PostgreSQL too)`;
  log(onPostgres ? `stores: ${storeKinds.join(' and ')} (PostgreSQL at ${pgHost}, a fresh database per phase)` : (note as string));
  if (!onSqlite && only !== null && ![...only].some((phase) => PG_PHASES.has(phase))) log(`--store postgres: none of ${[...only].join(', ')} runs on PostgreSQL (${[...PG_PHASES].join(', ')} do)`);
  const buildMs = ensureBuilt();
  if (buildMs > 0) log(`built dist/ in ${(buildMs / 1000).toFixed(1)} s`);
  const { path: configPath } = writeBenchConfig(dir);
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    },
    settings,
    stores: { sqlite: onSqlite, postgres: onPostgres, postgresServer: onPostgres ? pgHost : null, ...(note ? { note } : {}) },
  };
  // A phase that fails is said and recorded (`failures`); the others still run and the file is written.
  const phase = async (name: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      log(`${name} FAILED: ${(error as Error).message}`);
      (results.failures ??= {})[name] = (error as Error).message;
    }
  };
  try {
    if (wanted('steady')) await phase('steady', async () => {
      // The cost target is for one 400-rep round-robin pool; the same load over 40 pools of 10 says
      // whether a lead's cost grows with the size of the team serving it (scale: within 20%).
      const pool = writeBenchConfig(dir, 'pool.yml', 'pool');
      log(`steady: 200 leads/s for ${settings.steadySeconds} s over 400 reps: the bot with one 400-rep pool, with 40 pools of 10, then the floor`);
      const common = { dir, secret, seconds: settings.steadySeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 };
      const ratio = (a: number | null | undefined, b: number | null | undefined) => (a !== null && a !== undefined && b ? Math.round((a / b) * 100) / 100 : null);
      const sqlite = onSqlite
        ? {
            bot: await benchSteady({ ...common, configPath: pool.path, phase: 'steady-pool400', target: 'bot', clicksPerSecond: 1.2 }),
            bot10: await benchSteady({ ...common, configPath, phase: 'steady-pool10', target: 'bot', clicksPerSecond: 1.2 }),
          }
        : undefined;
      let postgres;
      if (onPostgres) {
        log(`steady on PostgreSQL: the same two layouts, then the 400-rep pool's load alternated over two instances on one database`);
        const onPg = (phase: string, layout: string, instances = 1) =>
          withPhaseStore('postgres', pgServer, phase, (store) => benchSteady({ ...common, configPath: layout, phase, target: 'bot', clicksPerSecond: 1.2, store, instances }));
        const bot = await onPg('steady-pg-pool400', pool.path);
        const bot10 = await onPg('steady-pg-pool10', configPath);
        const twoInstances = await onPg('steady-pg-two', pool.path, 2);
        if (twoInstances.doubledCards > 0) log(`two instances: DEFECT: ${twoInstances.doubledCards} leads got more than one card (${twoInstances.doubledCardRefs.join(', ')})`);
        postgres = { bot, bot10, twoInstances, cpuRatio: null as number | null, scaleRatio: ratio(bot.cpuMsPerLeadSteady, bot10.cpuMsPerLeadSteady), twoInstancesRatio: ratio(twoInstances.cpuMsPerLeadSteady, bot.cpuMsPerLeadSteady) };
      }
      const floor = await benchSteady({ ...common, configPath, target: 'floor' });
      if (postgres) postgres.cpuRatio = ratio(postgres.bot.cpuMsPerLeadSteady, floor.cpuMsPerLeadSteady);
      results.steady = {
        ...(sqlite ? { ...sqlite, cpuRatio: ratio(sqlite.bot.cpuMsPerLeadSteady, floor.cpuMsPerLeadSteady), scaleRatio: ratio(sqlite.bot.cpuMsPerLeadSteady, sqlite.bot10.cpuMsPerLeadSteady) } : {}),
        floor,
        ...(postgres ? { postgres } : {}),
      };
    });
    if (wanted('cost') && onSqlite) await phase('cost', async () => {
      // Where a lead's cost goes: SQL statements, commits, WAL frames and CPU per phase, per lead,
      // in an instrumented run of each layout (bench/cost.ts).
      const pool = writeBenchConfig(dir, 'pool.yml', 'pool');
      log(`cost: 200 leads/s for ${settings.steadySeconds} s, instrumented (SQL counter, CPU profile): the 400-rep pool, then the 40 pools of 10`);
      const common = { dir, secret, seconds: settings.steadySeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 };
      results.cost = {
        pool400: await benchCost({ ...common, configPath: pool.path, phase: 'cost-pool400' }),
        pool10: await benchCost({ ...common, configPath, phase: 'cost-pool10' }),
      };
    });
    if (wanted('intake')) await phase('intake', async () => {
      log(`intake: wrk, 32 connections for ${settings.intakeSeconds} s, bot then floor`);
      const intake = { dir, configPath, secret, seconds: settings.intakeSeconds, connections: 32, drainSeconds: settings.drainSeconds };
      const bot = onSqlite ? await benchIntake({ ...intake, target: 'bot' }) : undefined;
      const postgres = onPostgres ? await withPhaseStore('postgres', pgServer, 'intake', (store) => benchIntake({ ...intake, target: 'bot', store })) : undefined;
      const floor = await benchIntake({ ...intake, target: 'floor', drainSeconds: Math.min(10, settings.drainSeconds) });
      results.intake = { ...(bot ? { bot } : {}), floor, ...(postgres ? { postgres } : {}) };
    });
    if (wanted('hooks') && onSqlite) await phase('hooks', async () => {
      log(`hooks: the same leads at 200/s to POST /leads and to POST /hooks/<id> (Typeform), 4 × ${settings.hooksSegmentSeconds} s`);
      results.hooks = await benchHooks({ dir, secret, segmentSeconds: settings.hooksSegmentSeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 });
    });
    if (wanted('expiry')) await phase('expiry', async () => {
      log(`expiry: ${settings.expiryOffers} offers expiring together (${storeKinds.join(', then ')}; one seeded database${onPostgres ? ', copied into PostgreSQL with migrate-store' : ''})`);
      const expiry = await benchExpiryBurst({ offers: settings.expiryOffers, dir, cardsTimeoutSeconds: quick ? 20 : 300, stores: storeKinds, pgServerUrl: pgServer });
      results.expiry = { ...(expiry.sqlite ?? {}), ...(expiry.postgres ? { postgres: expiry.postgres } : {}) };
    });
    if (wanted('restart')) await phase('restart', async () => {
      log(`restart: ${settings.restartPending} pending offers, ${settings.restartLeads} leads`);
      // npm start's tsx command is timed too, in the full run only (the target is the compiled bot's).
      const restart = await benchRestart({ dir, total: settings.restartLeads, pending: settings.restartPending, runtimes: quick ? [defaultRuntime()] : [...new Set([defaultRuntime(), 'compiled' as const])], stores: storeKinds, pgServerUrl: pgServer });
      results.restart = { ...(restart.sqlite ?? {}), ...(restart.postgres ? { postgres: restart.postgres } : {}) };
    });
    if (wanted('routing')) results.routingDecision = { reps: 500, teams: 50, rules: 200, ...benchRoutingDecision(quick ? 5_000 : 20_000) };
    const pgSteady = results.steady?.postgres;
    const rss = [
      results.steady?.bot?.peakRssMb,
      results.steady?.bot10?.peakRssMb,
      results.intake?.bot?.peakRssMb,
      results.hooks?.peakRssMb,
      results.expiry?.peakRssMb,
      ...Object.values(results.restart?.runs ?? {}).map((run) => run.peakRssMb),
      pgSteady?.bot.peakRssMb,
      pgSteady?.bot10.peakRssMb,
      pgSteady?.twoInstances?.peakRssMb,
      results.intake?.postgres?.peakRssMb,
      results.expiry?.postgres?.peakRssMb,
      ...Object.values(results.restart?.postgres?.runs ?? {}).map((run) => run.peakRssMb),
    ];
    results.peakRssMb = Math.max(0, ...rss.filter((n): n is number => n !== undefined));
    results.seconds = Math.round((Date.now() - started) / 1000);
    results.machine.loadAverageAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(renderTable(results));
    if (results.cost) console.log(`\n${renderCost('one 400-rep pool', results.cost.pool400)}\n\n${renderCost('40 pools of 10', results.cost.pool10)}`);
    log(`written to bench/results/latest.json in ${results.seconds} s`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
