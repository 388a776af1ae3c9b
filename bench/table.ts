/** The results file's shape (bench/README.md documents each key) and the markdown table printed from it. */
import type { CostResult } from './cost.ts';
import type { benchExpiryBurst } from './expiryBurst.ts';
import type { benchHooks } from './hooks.ts';
import type { benchIntake } from './intake.ts';
import type { benchRestart } from './restart.ts';
import type { benchSteady } from './steady.ts';

type Steady = Awaited<ReturnType<typeof benchSteady>>;
type Intake = Awaited<ReturnType<typeof benchIntake>>;
type Expiry = NonNullable<Awaited<ReturnType<typeof benchExpiryBurst>>['sqlite']>;
type Restart = NonNullable<Awaited<ReturnType<typeof benchRestart>>['sqlite']>;

/** A phase's SQLite figures (absent with `--store postgres`) and its PostgreSQL figures under `postgres`. */
type WithPostgres<T> = Partial<T> & { postgres?: T };

/** The steady phase on PostgreSQL: one instance per layout, and two instances on one database. */
export interface SteadyPostgres {
  bot: Steady;
  bot10: Steady;
  /** The 400-rep pool's load alternated over two bot processes on one database. */
  twoInstances?: Steady;
  cpuRatio: number | null;
  scaleRatio: number | null;
  /** twoInstances.cpuMsPerLeadSteady (both processes) / bot.cpuMsPerLeadSteady (one). */
  twoInstancesRatio?: number | null;
}

export interface BenchResults {
  date: string;
  quick: boolean;
  seconds?: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] };
  settings: Record<string, number>;
  /** Which stores were measured, and why PostgreSQL was not when it was not. */
  stores: { sqlite: boolean; postgres: boolean; postgresServer: string | null; note?: string };
  /** `bot`: one 400-rep pool (the cost target's); `bot10`: the same load over 40 pools of 10; `postgres`: the same on PostgreSQL. */
  steady?: { bot?: Steady; bot10?: Steady; floor: Steady; cpuRatio?: number | null; scaleRatio?: number | null; postgres?: SteadyPostgres };
  /** Per lead, in an instrumented run of each layout (bench/cost.ts): SQL statements, commits, WAL, CPU per phase. */
  cost?: { pool400: CostResult; pool10: CostResult };
  intake?: { bot?: Intake; floor: Intake; postgres?: Intake };
  hooks?: Awaited<ReturnType<typeof benchHooks>>;
  expiry?: WithPostgres<Expiry>;
  restart?: WithPostgres<Restart>;
  routingDecision?: { reps: number; teams: number; rules: number; medianMs: number; p99Ms: number };
  peakRssMb?: number;
  /** Phases that failed, with the error (the other phases' figures are still there). */
  failures?: Record<string, string>;
}

/** The SQLite half of a WithPostgres (undefined with `--store postgres`). */
export const sqliteHalf = <T extends object>(phase: WithPostgres<T> | undefined, key: keyof T): T | undefined =>
  phase !== undefined && phase[key] !== undefined ? (phase as T) : undefined;

const met = (ok: boolean | null | undefined) => (ok === null || ok === undefined ? '—' : ok ? 'yes' : '**no**');
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${n} ms`);
const violations = (stats: { pacingViolations: Record<string, number> } | undefined) =>
  stats === undefined ? 0 : Object.values(stats.pacingViolations).reduce((a, b) => a + b, 0);

/** A cell pair: what was measured, met or not; absent: not measured on that store. */
type Cell = [string, string] | undefined;
type Row = { figure: string; target: string; sqlite: Cell; postgres: Cell };
const cell = <T>(value: T | undefined, render: (v: T) => Cell): Cell => (value === undefined ? undefined : render(value));

/**
 * One row per performance target: what it asks, what was measured on SQLite (floor beside it) and on
 * PostgreSQL, met or not on each. SPEC 11's targets are SQLite's; PostgreSQL's are shown against the same.
 */
export function renderTable(r: BenchResults): string {
  const rows: Row[] = [];
  const s = r.steady;
  const pgSteady = s?.postgres;
  if (s) {
    const floor = s.floor;
    const cost = (bot: Steady, ratio: number | null | undefined): Cell => [
      `${bot.cpuMsPerLeadSteady} ms vs floor ${floor.cpuMsPerLeadSteady} ms = **${ratio}×** (${bot.cpuMsPerLead} vs ${floor.cpuMsPerLead} ms)`,
      met(ratio === null || ratio === undefined ? null : ratio <= 1.5),
    ];
    const seconds = s.bot?.seconds ?? pgSteady?.bot.seconds;
    rows.push({
      figure: `cost: CPU per lead, lead in to card out, 200 leads/s, one 400-rep round-robin pool (${seconds} s; steady state, whole run in brackets)`,
      target: 'within 1.5× the floor',
      sqlite: cell(s.bot, (bot) => cost(bot, s.cpuRatio)),
      postgres: cell(pgSteady, (pg) => cost(pg.bot, pg.cpuRatio)),
    });
    const scale = (bot: Steady, bot10: Steady, ratio: number | null | undefined): Cell => [
      `${bot10.cpuMsPerLeadSteady} ms (10-rep pools) vs ${bot.cpuMsPerLeadSteady} ms (400-rep pool) = **${ratio}×**`,
      met(ratio === null || ratio === undefined ? null : ratio <= 1.2),
    ];
    if (s.bot10 || pgSteady) {
      rows.push({
        figure: 'scale: the same, the 400 reps in 40 pools of 10 (each decision looks at 10)',
        target: '400-rep pool within 20% of the 10-rep pools',
        sqlite: cell(s.bot10, (bot10) => scale(s.bot as Steady, bot10, s.scaleRatio)),
        postgres: cell(pgSteady, (pg) => scale(pg.bot, pg.bot10, pg.scaleRatio)),
      });
    }
    const two = pgSteady?.twoInstances;
    if (pgSteady && two) {
      const each = two.cpuSecondsPerInstance ?? [];
      rows.push({
        figure: `two instances: the same load (400-rep pool) alternated over two bot processes on one PostgreSQL database: CPU per lead of both together vs one instance; every lead exactly one card`,
        target: '(availability costs little; no card twice)',
        sqlite: ['— (one writer: a second instance waits on standby)', '—'],
        postgres: [
          `${two.cpuMsPerLeadSteady} ms vs ${pgSteady.bot.cpuMsPerLeadSteady} ms = **${pgSteady.twoInstancesRatio}×** (CPU s per instance: ${each.join(' / ')}); lead-to-card p50 / p99 ${ms(two.leadToCardMs.p50)} / ${ms(two.leadToCardMs.p99)}; ${two.cardsDelivered}/${two.leads} cards, ${two.doubledCards} doubled${two.doubledCards > 0 ? ` (**defect**: ${two.doubledCardRefs.join(', ')})` : ''}`,
          met(two.allDelivered && two.doubledCards === 0),
        ],
      });
    }
    const latency = (bot: Steady, withFloor: boolean): Cell => [
      `${ms(bot.leadToCardMs.p50)} / **${ms(bot.leadToCardMs.p99)}**${withFloor ? ` (floor ${ms(floor.leadToCardMs.p50)} / ${ms(floor.leadToCardMs.p99)})` : ''}; ${bot.cardsDelivered}/${bot.leads} cards${bot.doubledCards > 0 ? `, **${bot.doubledCards} doubled**` : ''}`,
      met(bot.allDelivered && bot.doubledCards === 0 && bot.leadToCardMs.p99 <= 50),
    ];
    rows.push({
      figure: 'latency: lead-to-card (POST sent → chat.postMessage at Slack) at 200 leads/s, p50 / p99',
      target: 'p99 ≤ 50 ms',
      sqlite: cell(s.bot, (bot) => latency(bot, true)),
      postgres: cell(pgSteady, (pg) => latency(pg.bot, false)),
    });
    const claim = (bot: Steady): Cell => {
      const claims = bot.claimToUpdateMs;
      return [
        claims ? `${ms(claims.p50)} / **${ms(claims.p99)}**${bot.claimsWithoutUpdate > 0 ? `, ${bot.claimsWithoutUpdate} without update` : ''}` : '—',
        met(claims ? claims.count > 0 && bot.claimsWithoutUpdate === 0 && claims.p99 <= 50 : null),
      ];
    };
    rows.push({
      figure: `latency: claim click → card updated (replaced through the click's response_url, or chat.update), ${(s.bot ?? pgSteady?.bot)?.claimToUpdateMs?.count ?? 0} clicks under that load, p50 / p99`,
      target: 'p99 ≤ 50 ms',
      sqlite: cell(s.bot, claim),
      postgres: cell(pgSteady, (pg) => claim(pg.bot)),
    });
    const sql = pgSteady?.bot.sql;
    if (sql) {
      rows.push({
        figure: 'SQL per lead (PostgreSQL: pg_stat_database of the run, warm-up included): commits (a statement outside a transaction is one), rows inserted / updated / deleted, WAL (whole server)',
        target: '—',
        sqlite: r.cost ? [`see the cost phase: ${r.cost.pool400.statementsPerLead} statements, ${r.cost.pool400.commitsPerLead} commits, ${r.cost.pool400.walBytesPerLead} WAL bytes`, '—'] : undefined,
        postgres: [`${sql.commitsPerLead} commits; ${sql.rowsInsertedPerLead} / ${sql.rowsUpdatedPerLead} / ${sql.rowsDeletedPerLead} rows; ${sql.walBytesPerLead} WAL bytes`, '—'],
      });
    }
  }
  const i = r.intake;
  if (i) {
    const floor = i.floor;
    const burst = (bot: Intake, withFloor: boolean): Cell => [
      `**${bot.perSecond}/s**, p50 ${ms(bot.latencyMs.p50)}, p99 **${ms(bot.latencyMs.p99)}**${withFloor ? ` (floor ${floor.perSecond}/s, p99 ${ms(floor.latencyMs.p99)})` : ''}`,
      met(bot.perSecond >= 5000 && bot.latencyMs.p99 <= 50),
    ];
    rows.push({ figure: `burst intake: POST /leads, 32 connections (wrk), ${floor.seconds} s`, target: '≥ 5,000/s, p99 ≤ 50 ms', sqlite: cell(i.bot, (bot) => burst(bot, true)), postgres: cell(i.postgres, (bot) => burst(bot, false)) });
    const drain = (bot: Intake): Cell => {
      const d = bot.delivery;
      return [
        `${d.cardsPerSecondAfterLoad} cards/s after the load; ${d.allDelivered ? `last card ${d.secondsToLastCard} s after the load` : `${d.cardsDelivered}/${d.accepted} after ${r.settings.drainSeconds} s, all projected at ${d.projectedSecondsToLastCard} s`}; ${violations(bot.slack)} over-limit calls`,
        met(violations(bot.slack) === 0 && d.cardsPerSecondAfterLoad > 0),
      ];
    };
    rows.push({
      figure: `then every lead delivered at the pace Slack allows (${(i.bot ?? i.postgres)?.delivery.accepted} leads${i.bot && i.postgres ? ` on SQLite, ${i.postgres.delivery.accepted} on PostgreSQL` : ''}, 400 DMs at ~1/s each)`,
      target: 'all delivered, no rate limit exceeded',
      sqlite: cell(i.bot, drain),
      postgres: cell(i.postgres, drain),
    });
  }
  const h = r.hooks;
  if (h) {
    const p = h.inProcess;
    rows.push({
      figure: `mapped lead: CPU per lead through POST /hooks/<id> (a signed 7-question Typeform) vs the same lead to POST /leads, ${h.ratePerSecond}/s, 2 × ${h.segmentSeconds} s each`,
      target: 'mapping adds ≤ 0.2 ms',
      sqlite: [
        `${h.hooksCpuMsPerLead} ms vs ${h.leadsCpuMsPerLead} ms = **${h.addedCpuMsPerLead === null ? '—' : `${h.addedCpuMsPerLead >= 0 ? '+' : ''}${h.addedCpuMsPerLead}`} ms** (bodies ${h.payloadBytes.hooks} vs ${h.payloadBytes.leads} bytes)`,
        met(h.addedCpuMsPerLead === null ? null : h.addedCpuMsPerLead <= 0.2),
      ],
      postgres: ['— (measured on SQLite: the mapping does not depend on the store)', '—'],
    });
    rows.push({
      figure: '  … the mapping alone, in process (evaluate + assemble, validation not counted): bench form; documented Typeform / HubSpot / Calendly samples; generic',
      target: '≤ 0.2 ms',
      sqlite: [
        `${p.typeformBenchForm.mappingMs} ms; ${p.typeformDocumented.mappingMs} / ${p.hubspotDocumented.mappingMs} / ${p.calendlyDocumented.mappingMs} ms; ${p.generic.mappingMs} ms`,
        met(Math.max(p.typeformBenchForm.mappingMs, p.typeformDocumented.mappingMs, p.hubspotDocumented.mappingMs, p.calendlyDocumented.mappingMs, p.generic.mappingMs) <= 0.2),
      ],
      postgres: ['— (in process)', '—'],
    });
  }
  const e = sqliteHalf<Expiry>(r.expiry, 'offers');
  const pe = r.expiry?.postgres;
  if (e || pe) {
    const offers = (e ?? pe)?.offers;
    rows.push({
      figure: `deadlines: ${offers} offers expiring together, reassignment lateness (committed) p50 / p99 / max`,
      target: 'p99 ≤ 1 s',
      ...both(e, pe, (x) => [`${ms(x.latenessMs.p50)} / **${ms(x.latenessMs.p99)}** / ${ms(x.latenessMs.max)}; ${x.reassigned}/${x.offers} reassigned`, met(x.reassigned === x.offers && x.latenessMs.p99 <= 1000)]),
    });
    rows.push({
      figure: `  … GET /healthz answered during the burst (every 100 ms), p99 / max`,
      target: '(Slack acks within 3 s)',
      ...both(e, pe, (x) => [`${ms(x.healthzDuringBurstMs.p99)} / ${ms(x.healthzDuringBurstMs.max)} (${x.healthzDuringBurstMs.count} probes)`, '—']),
    });
    rows.push({
      figure: `  … deadline to the last of the new cards (25 per DM, ~1/s per DM)`,
      target: '(paced by Slack)',
      ...both(e, pe, (x) => [x.timeToLastNewCardMs === null ? '—' : `${(x.timeToLastNewCardMs / 1000).toFixed(1)} s (${x.newCards} cards)`, '—']),
    });
  }
  const t = sqliteHalf<Restart>(r.restart, 'runs');
  const pt = r.restart?.postgres;
  if (t || pt) {
    // Judged on the first runtime measured: the bench's default, npm start's command (or --compiled).
    const label = (runtime: string) => (runtime === 'npm-start' ? 'npm start' : runtime);
    const restart = (x: Restart): Cell => {
      const [first, ...others] = Object.entries(x.runs);
      if (!first) return undefined;
      const [runtime, run] = first;
      return [
        `**${ms(run.readyMs)}** (${label(runtime)}), deadlines armed: ${run.armed ? 'yes' : 'NO'}${others.map(([name, other]) => `; ${label(name)} ${ms(other.readyMs)}`).join('')}; ${x.dbMb} MB`,
        met(run.readyMs <= 2000 && run.armed),
      ];
    };
    const x = (t ?? pt) as Restart;
    rows.push({ figure: `restart: spawn → ready (healthz 200, deadlines armed), ${x.pendingOffers} pending offers, ${x.leads} leads`, target: '≤ 2 s', sqlite: cell(t, restart), postgres: cell(pt, restart) });
  }
  if (r.peakRssMb !== undefined) {
    const phases = (store: 'sqlite' | 'postgres') =>
      (store === 'sqlite'
        ? [s?.bot ? `steady ${Math.max(s.bot.peakRssMb, s.bot10?.peakRssMb ?? 0)}` : '', i?.bot ? `intake ${i.bot.peakRssMb}` : '', h ? `hooks ${h.peakRssMb}` : '', e ? `expiry ${e.peakRssMb}` : '', ...Object.entries(t?.runs ?? {}).map(([runtime, run]) => `restart (${runtime}) ${run.peakRssMb}`)]
        : [pgSteady ? `steady ${Math.max(pgSteady.bot.peakRssMb, pgSteady.bot10.peakRssMb, pgSteady.twoInstances?.peakRssMb ?? 0)}` : '', i?.postgres ? `intake ${i.postgres.peakRssMb}` : '', pe ? `expiry ${pe.peakRssMb}` : '', ...Object.entries(pt?.runs ?? {}).map(([runtime, run]) => `restart (${runtime}) ${run.peakRssMb}`)]
      ).filter(Boolean);
    const peak = (list: string[]) => Math.max(0, ...list.map((entry) => Number(entry.split(' ').pop())));
    const memory = (list: string[]): Cell => (list.length === 0 ? undefined : [`**${peak(list)} MB** (${list.join(', ')})`, met(peak(list) <= 200)]);
    const sqliteCell = memory(phases('sqlite'));
    const pgCell = memory(phases('postgres'));
    if (sqliteCell || pgCell) rows.push({ figure: 'memory: bot peak RSS through all of the above', target: '≤ 200 MB', sqlite: sqliteCell, postgres: pgCell });
  }
  const limits = (stats: ({ pacingViolations: Record<string, number>; maxPostsPerChannelIn1s: number; maxUpdatesIn60s: number } | undefined)[]): Cell => {
    if (!stats.some(Boolean)) return undefined;
    const total = stats.reduce((sum, st) => sum + violations(st), 0);
    const maxPosts = Math.max(0, ...stats.map((st) => st?.maxPostsPerChannelIn1s ?? 0));
    const maxUpdates = Math.max(0, ...stats.map((st) => st?.maxUpdatesIn60s ?? 0));
    return [`${total} over-limit calls; at most ${maxPosts} posts to one channel in 1 s, ${maxUpdates} chat.update in 60 s`, met(total === 0)];
  };
  const sqliteLimits = limits([s?.bot?.slack, i?.bot?.slack, e?.slack]);
  const pgLimits = limits([pgSteady?.bot.slack, pgSteady?.twoInstances?.slack, i?.postgres?.slack, pe?.slack]);
  if (sqliteLimits || pgLimits) {
    rows.push({ figure: "Slack's rate limits (chat.postMessage ~1/s per channel, burst 3; chat.update Tier 3 ~50/min, burst 20)", target: 'never exceeded', sqlite: sqliteLimits, postgres: pgLimits });
  }
  if (r.routingDecision) {
    rows.push({
      figure: `routing decision, ${r.routingDecision.reps} reps / ${r.routingDecision.teams} teams / ${r.routingDecision.rules} rules, median / p99 (in process, no store)`,
      target: '—',
      sqlite: [`${r.routingDecision.medianMs.toFixed(3)} ms / ${r.routingDecision.p99Ms.toFixed(3)} ms`, '—'],
      postgres: ['— (the same: no store involved)', '—'],
    });
  }
  const notMeasured = (store: 'sqlite' | 'postgres'): [string, string] => [r.stores[store] ? '—' : 'not run', '—'];
  const header = '| figure | target | SQLite | met | PostgreSQL | met |\n|---|---|---|---|---|---|';
  const body = rows.map((row) => `| ${[row.figure, row.target, ...(row.sqlite ?? notMeasured('sqlite')), ...(row.postgres ?? notMeasured('postgres'))].join(' | ')} |`).join('\n');
  const m = r.machine;
  const stores = r.stores.postgres ? `; PostgreSQL at ${r.stores.postgresServer}` : r.stores.note ? `; ${r.stores.note}` : '';
  const footer = `\n${r.date.slice(0, 10)}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node.slice(1)}; load average ${m.loadAverageAtStart.join(' ')} at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' ')} at end` : ''}${r.quick ? '; --quick' : ''}${stores}.`;
  const failed = Object.entries(r.failures ?? {}).map(([name, message]) => `\n**${name} failed**: ${message}`).join('');
  return `${header}\n${body}\n${footer}${failed}`;
}

/** The same rendering of a phase's SQLite and PostgreSQL results. */
function both<T>(sqlite: T | undefined, postgres: T | undefined, render: (x: T) => [string, string]): { sqlite: Cell; postgres: Cell } {
  return { sqlite: cell(sqlite, render), postgres: cell(postgres, render) };
}
