/**
 * `npm run bench [-- --quick] [-- --only steady,cost,intake,hooks,expiry,restart,routing]`: measures leadrelay against
 * the performance targets on this machine, next to the floor pipeline (bench/floor.ts), and writes
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
import { benchRestart } from './restart.ts';
import { benchRoutingDecision } from './routingDecision.ts';
import { writeBenchConfig } from './seed.ts';
import { benchSteady } from './steady.ts';
import { renderTable, type BenchResults } from './table.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? new Set((args[args.indexOf('--only') + 1] ?? '').split(',')) : null;
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
  };
  try {
    if (wanted('steady')) {
      // The cost target is for one 400-rep round-robin pool; the same load over 40 pools of 10 says
      // whether a lead's cost grows with the size of the team serving it (scale: within 20%).
      const pool = writeBenchConfig(dir, 'pool.yml', 'pool');
      log(`steady: 200 leads/s for ${settings.steadySeconds} s over 400 reps: the bot with one 400-rep pool, with 40 pools of 10, then the floor`);
      const common = { dir, secret, seconds: settings.steadySeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 };
      const bot = await benchSteady({ ...common, configPath: pool.path, phase: 'steady-pool400', target: 'bot', clicksPerSecond: 1.2 });
      const bot10 = await benchSteady({ ...common, configPath, phase: 'steady-pool10', target: 'bot', clicksPerSecond: 1.2 });
      const floor = await benchSteady({ ...common, configPath, target: 'floor' });
      const ratio = (a: number | null, b: number | null) => (a !== null && b ? Math.round((a / b) * 100) / 100 : null);
      results.steady = { bot, bot10, floor, cpuRatio: ratio(bot.cpuMsPerLeadSteady, floor.cpuMsPerLeadSteady), scaleRatio: ratio(bot.cpuMsPerLeadSteady, bot10.cpuMsPerLeadSteady) };
    }
    if (wanted('cost')) {
      // Where a lead's cost goes: SQL statements, commits, WAL frames and CPU per phase, per lead,
      // in an instrumented run of each layout (bench/cost.ts).
      const pool = writeBenchConfig(dir, 'pool.yml', 'pool');
      log(`cost: 200 leads/s for ${settings.steadySeconds} s, instrumented (SQL counter, CPU profile): the 400-rep pool, then the 40 pools of 10`);
      const common = { dir, secret, seconds: settings.steadySeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 };
      results.cost = {
        pool400: await benchCost({ ...common, configPath: pool.path, phase: 'cost-pool400' }),
        pool10: await benchCost({ ...common, configPath, phase: 'cost-pool10' }),
      };
    }
    if (wanted('intake')) {
      log(`intake: wrk, 32 connections for ${settings.intakeSeconds} s, bot then floor`);
      const bot = await benchIntake({ target: 'bot', dir, configPath, secret, seconds: settings.intakeSeconds, connections: 32, drainSeconds: settings.drainSeconds });
      const floor = await benchIntake({ target: 'floor', dir, configPath, secret, seconds: settings.intakeSeconds, connections: 32, drainSeconds: Math.min(10, settings.drainSeconds) });
      results.intake = { bot, floor };
    }
    if (wanted('hooks')) {
      log(`hooks: the same leads at 200/s to POST /leads and to POST /hooks/<id> (Typeform), 4 × ${settings.hooksSegmentSeconds} s`);
      results.hooks = await benchHooks({ dir, secret, segmentSeconds: settings.hooksSegmentSeconds, warmSeconds: settings.warmSeconds, ratePerSecond: 200 });
    }
    if (wanted('expiry')) {
      log(`expiry: ${settings.expiryOffers} offers expiring together`);
      results.expiry = await benchExpiryBurst({ offers: settings.expiryOffers, dir, cardsTimeoutSeconds: quick ? 20 : 300 });
    }
    if (wanted('restart')) {
      log(`restart: ${settings.restartPending} pending offers, ${settings.restartLeads} leads`);
      // npm start's tsx command is timed too, in the full run only (the target is the compiled bot's).
      results.restart = await benchRestart({ dir, total: settings.restartLeads, pending: settings.restartPending, runtimes: quick ? [defaultRuntime()] : [...new Set([defaultRuntime(), 'compiled' as const])] });
    }
    if (wanted('routing')) results.routingDecision = { reps: 500, teams: 50, rules: 200, ...benchRoutingDecision(quick ? 5_000 : 20_000) };
    const rss = [results.steady?.bot.peakRssMb, results.steady?.bot10?.peakRssMb, results.intake?.bot.peakRssMb, results.hooks?.peakRssMb, results.expiry?.peakRssMb, ...Object.values(results.restart?.runs ?? {}).map((run) => run.peakRssMb)];
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
