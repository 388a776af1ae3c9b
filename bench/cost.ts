/**
 * Cost ("what a lead costs, and where"): the steady load (200 leads/s, no clicks) against the bot
 * with two instruments, to explain the steady phase's CPU figure rather than to measure it:
 *  - bench/sqlCounter.ts, loaded into the bot: SQL statements (each text with its count and time),
 *    commits, the time in COMMIT (the fsync) and WAL frames written, per lead over the measured window;
 *  - a V8 CPU profile (`--cpu-prof`) of the bot, split into the phases of a lead's way
 *    (bench/profilePhases.ts): intake, dedupe, the lead's insert, routing (reads, decision), the
 *    offer and outbox writes, the commit, delivery, the card's render, the rest.
 * The bot runs compiled (dist/, functions keep their names in the profile). Both instruments cost
 * CPU of their own: the phase times are shares of the profiled run, and the figures to hold against
 * the targets are the steady phase's.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceProcess } from './botProcess.ts';
import { phaseCosts, type PhaseCost } from './profilePhases.ts';
import type { Profile } from './profileSummary.ts';
import type { SqlSnapshot } from './sqlCounter.ts';
import { benchSteady } from './steady.ts';

export interface CostOptions {
  dir: string;
  configPath: string;
  /** Names the run (`cost-pool400`): its database, log, SQL snapshots and profile directory. */
  phase: string;
  secret: string;
  seconds: number;
  warmSeconds: number;
  ratePerSecond: number;
  /** How many statements to list, the most executed per lead first. */
  topStatements?: number;
}

const counter = fileURLToPath(new URL('./sqlCounter.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Asks the bot for a snapshot of its SQL counts (SIGUSR2) and waits for the file. */
async function sqlSnapshot(service: ServiceProcess, prefix: string, n: number): Promise<SqlSnapshot> {
  const file = `${prefix}.${n}.json`;
  service.child.kill('SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 20) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as SqlSnapshot;
    } catch {
      await sleep(20);
    }
  }
  throw new Error(`the bot wrote no SQL snapshot ${file}`);
}

export async function benchCost(options: CostOptions) {
  const prefix = join(options.dir, `${options.phase}-sql`);
  const profileDir = join(options.dir, `${options.phase}-profile`);
  mkdirSync(profileDir, { recursive: true });
  const snapshots: SqlSnapshot[] = [];
  const steady = await benchSteady({
    target: 'bot',
    phase: options.phase,
    dir: options.dir,
    configPath: options.configPath,
    secret: options.secret,
    seconds: options.seconds,
    warmSeconds: options.warmSeconds,
    ratePerSecond: options.ratePerSecond,
    clicksPerSecond: 0,
    bot: {
      runtime: 'compiled',
      nodeArgs: ['--import', 'tsx', '--import', counter, '--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      env: { BENCH_SQL_STATS: prefix },
    },
    window: {
      start: async (service) => void snapshots.push(await sqlSnapshot(service, prefix, 0)),
      end: async (service) => void snapshots.push(await sqlSnapshot(service, prefix, 1)),
    },
  });
  const [before, after] = snapshots as [SqlSnapshot, SqlSnapshot];
  const leads = steady.leads;
  const perLead = (n: number, digits = 2) => (leads > 0 ? round(n / leads, digits) : null);

  const statements = Object.entries(after.statements)
    .map(([sql, entry]) => {
      const was = before.statements[sql] ?? { count: 0, ms: 0 };
      return { sql, writes: entry.writes, count: entry.count - was.count, ms: entry.ms - was.ms };
    })
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count || b.ms - a.ms);
  const executions = after.executions - before.executions;
  const writes = statements.filter((s) => s.writes).reduce((sum, s) => sum + s.count, 0);
  const frames = after.walFrames - before.walFrames;
  const pageSize = after.pageSize || before.pageSize;

  // The main thread's profile: the largest file the bot wrote (the other is tsx's loader thread).
  const profiles = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
  const main = profiles.map((name) => join(profileDir, name)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  let cpu: { busyMs: number; busyMsPerLead: number | null; phases: PhaseCost[] } | null = null;
  if (main) {
    const { busyMs, phases } = phaseCosts(JSON.parse(readFileSync(main, 'utf8')) as Profile, { fromUs: before.atUs, toUs: after.atUs }, leads);
    cpu = { busyMs, busyMsPerLead: perLead(busyMs, 4), phases };
  }
  return {
    leads,
    seconds: steady.seconds,
    allDelivered: steady.allDelivered,
    /** CPU per lead of this instrumented run (the counter and the profiler add their own). */
    cpuMsPerLeadInstrumented: steady.cpuMsPerLeadSteady,
    statementsPerLead: perLead(executions),
    writesPerLead: perLead(writes),
    commitsPerLead: perLead(after.commits - before.commits, 3),
    commitMsPerLead: perLead(after.commitMs - before.commitMs, 4),
    walFramesPerLead: perLead(frames),
    walBytesPerLead: leads > 0 ? Math.round((frames * (pageSize + 24)) / leads) : null,
    pageSize,
    statements: statements.slice(0, options.topStatements ?? 30).map((s) => ({ perLead: perLead(s.count, 3), msPerLead: perLead(s.ms, 4), writes: s.writes, sql: s.sql.length > 160 ? `${s.sql.slice(0, 157)}...` : s.sql })),
    cpu,
  };
}

export type CostResult = Awaited<ReturnType<typeof benchCost>>;

/** The cost phase's figures as text: per lead, then the statements and the phases. */
export function renderCost(label: string, cost: CostResult): string {
  const lines = [
    `### ${label}: per lead (${cost.leads} leads, ${cost.seconds} s; instrumented CPU ${cost.cpuMsPerLeadInstrumented} ms/lead)`,
    '',
    `${cost.statementsPerLead} SQL statements (${cost.writesPerLead} writes), ${cost.commitsPerLead} commits (${cost.commitMsPerLead} ms in COMMIT), ${cost.walFramesPerLead} WAL frames (${cost.walBytesPerLead} bytes, ${cost.pageSize}-byte pages)`,
    '',
    '| per lead | ms/lead | statement |',
    '|---|---|---|',
    ...cost.statements.map((s) => `| ${s.perLead} | ${s.msPerLead} | ${s.writes ? '(w) ' : ''}\`${s.sql.replace(/\|/g, '\\|')}\` |`),
  ];
  if (cost.cpu) {
    lines.push('', `main thread busy ${cost.cpu.busyMsPerLead} ms/lead (sampled):`, '', '| phase | ms/lead | share |', '|---|---|---|');
    for (const phase of cost.cpu.phases) lines.push(`| ${phase.phase} | ${phase.msPerLead} | ${Math.round(phase.share * 1000) / 10}% |`);
  }
  return lines.join('\n');
}
