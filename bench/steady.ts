/**
 * Steady load ("cost" and "latency"): leads POSTed open-loop at a steady rate (200/s) spread
 * over 400 reps, against the bot or the floor, each with its own Slack stand-in process. Measures
 *  - lead-to-card latency: from sending POST /leads to the stand-in answering the chat.postMessage
 *    of that lead's card (matched by the `L-n` reference in the card's metadata);
 *  - CPU time per lead, lead in to card out: the CPU (user + system, all threads) the bot or floor
 *    process used from the first lead sent to the last card out, divided by the leads; and the same
 *    in steady state, over the last two thirds of the load (what the cost target compares);
 *  - (bot) claim-click-to-card-update: while the load runs, a rep clicks Claim on a card posted a
 *    moment earlier every ~0.8 s (below chat.update's Tier 3 pace, so pacing never holds a card
 *    update back); from the signed block_actions POST to the chat.update of that card.
 * A warm-up at the same rate (3 s; 2 s with --quick) runs first, its cards delivered, so both are measured warm.
 *
 * On PostgreSQL (`store`), `instances` bot processes can share the database, the requests alternating
 * between them as a round-robin load balancer sends them (clicks go to the first: Slack has one
 * request URL); CPU is then the sum of all of them. Every run also counts the leads whose card was
 * posted more than once (each must get exactly one), and on PostgreSQL what the server did per lead
 * (pg_stat_database, from the bots' start, warm-up included, to after they stopped: bench/postgres.ts).
 */
import { join } from 'node:path';
import { benchLead, benchUsers } from './benchConfig.ts';
import { startPhaseService, type BotRuntime, type ServiceProcess } from './botProcess.ts';
import { runOpenLoop } from './loadGenerator.ts';
import { pgActivity, pgProfile, type BenchStore, type PgActivity } from './postgres.ts';
import { hrNow, summarize } from './procStats.ts';
import { startStandInProcess } from './standIn.ts';

export interface SteadyOptions {
  target: 'bot' | 'floor';
  dir: string;
  configPath: string;
  secret: string;
  seconds: number;
  ratePerSecond: number;
  /** Claim clicks per second during the measured load (bot only; 0: none). */
  clicksPerSecond?: number;
  /** Seconds of warm-up load before measuring (default 2). */
  warmSeconds?: number;
  /** Names the run's database and log (default `steady`): `<phase>-<target>.db`, `.log`. */
  phase?: string;
  /** The bot only: its store (default SQLite), and how many instances share it (PostgreSQL only; default 1). */
  store?: BenchStore;
  instances?: number;
  /** The bot only: how it is started, Node arguments before its entry, more environment (the cost phase's instruments). */
  bot?: { runtime?: BotRuntime; nodeArgs?: string[]; env?: Record<string, string> };
  /** Called once warm, just before the measured load, and once its last card is out (the cost phase's snapshots). */
  window?: { start(service: ServiceProcess): Promise<void>; end(service: ServiceProcess): Promise<void> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchSteady(options: SteadyOptions) {
  const slack = await startStandInProcess(benchUsers());
  const phase = options.phase ?? 'steady';
  const logFile = join(options.dir, `${phase}-${options.target}.log`);
  const store = options.target === 'bot' ? (options.store ?? { kind: 'sqlite' as const }) : { kind: 'sqlite' as const };
  const instances = options.instances ?? 1;
  if (instances > 1 && store.kind !== 'postgres') throw new Error('several instances serve at once only on PostgreSQL');
  const services: ServiceProcess[] = [];
  let service: ServiceProcess | undefined;
  try {
    for (let n = 0; n < instances; n += 1) {
      // One after the other: the first migrates the database, the others find it migrated.
      services.push(
        await startPhaseService({
          phase,
          target: options.target,
          dir: options.dir,
          configPath: options.configPath,
          secret: options.secret,
          slackApiUrl: slack.apiUrl,
          store,
          ...(instances > 1 ? { name: String(n + 1) } : {}),
          ...(options.bot ? { bot: options.bot } : {}),
        }),
      );
    }
    service = services[0] as ServiceProcess;
    const pgBefore: PgActivity | null = store.kind === 'postgres' ? await pgActivity(store.url) : null;
    const cpuOfAll = () => services.reduce((sum, s) => sum + s.cpuSeconds(), 0);
    slack.setRequestUrl(`${service.url}/slack/events`);
    const run = `${options.target}-${Date.now().toString(36)}`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.secret}` };
    const url = services.map((s) => `${s.url}/leads`);
    const allCarded = (refs: (string | undefined)[]) => () => refs.every((ref) => ref === undefined || slack.cards.has(ref));

    const warmUp = await runOpenLoop({ url, ratePerSecond: options.ratePerSecond, seconds: options.warmSeconds ?? 2, body: (i) => benchLead(`${run}-warm`, i), headers });
    await slack.waitFor(allCarded(warmUp.sent.map((lead) => lead.ref)), 30_000);
    await sleep(300);

    // Claim clicks while the load runs: each on the newest card not clicked yet, posted ≥ 100 ms ago.
    const warmRefs = new Set(slack.cards.keys());
    const clicked = new Set<string>();
    const clicks: Promise<{ status: number; ackMs: number; updateMs: number | null }>[] = [];
    let clicking = (options.clicksPerSecond ?? 0) > 0 && options.target === 'bot';
    const clicker = (async () => {
      while (clicking) {
        await sleep(1000 / (options.clicksPerSecond as number));
        if (!clicking) break;
        const now = hrNow();
        const card = [...slack.cards].reverse().find(([ref, c]) => !warmRefs.has(ref) && !clicked.has(ref) && c.at < now - 100);
        if (!card) continue;
        clicked.add(card[0]);
        clicks.push(slack.click(card[1].to, card[1].channel, card[1].ts, 'claim_lead'));
      }
    })();

    await options.window?.start(service);
    const cpuBefore = cpuOfAll();
    const cpuBeforeEach = services.map((s) => s.cpuSeconds());
    // CPU samples while the load runs: the steady-state figure leaves out its first third (JIT
    // compilation and caches warming still show there, more so in a short --quick run).
    const samples: { at: number; cpu: number }[] = [];
    const sampler = setInterval(() => samples.push({ at: hrNow(), cpu: cpuOfAll() }), 250);
    const loadStarted = hrNow();
    const load = await runOpenLoop({ url, ratePerSecond: options.ratePerSecond, seconds: options.seconds, body: (i) => benchLead(run, i), headers });
    clearInterval(sampler);
    const loadEnded = { at: hrNow(), cpu: cpuOfAll() };
    clicking = false;
    await clicker;
    const accepted = load.sent.filter((lead) => lead.status === 202 && lead.ref !== undefined);
    const delivered = await slack.waitFor(allCarded(accepted.map((lead) => lead.ref)), 60_000);
    const lastCardAt = Math.max(...accepted.map((lead) => slack.cards.get(lead.ref as string)?.at ?? 0));
    const clickResults = await Promise.all(clicks);
    // CPU up to the last card out, plus a moment for the bot to record the deliveries.
    await sleep(Math.max(0, lastCardAt + 250 - hrNow()));
    const cpu = cpuOfAll() - cpuBefore;
    const cpuEach = services.map((s, n) => Math.round((s.cpuSeconds() - (cpuBeforeEach[n] ?? 0)) * 100) / 100);
    await options.window?.end(service);
    const from = samples.find((sample) => sample.at >= loadStarted + ((loadEnded.at - loadStarted) * 1) / 3) ?? { at: loadStarted, cpu: cpuBefore };
    const leadsSteady = load.sent.filter((lead) => lead.sentAt >= from.at && lead.sentAt < loadEnded.at).length;
    const latencies = accepted.flatMap((lead) => {
      const card = slack.cards.get(lead.ref as string);
      return card ? [card.at - lead.sentAt] : [];
    });
    const memory = services.map((s) => s.memoryMb().peak);
    const stats = await slack.stats();
    // Exactly one card per lead: offer cards (chat.postMessage with the lead in its metadata) per lead.
    const posts = new Map<string, number>();
    for (const call of slack.calls) if (call.m === 'chat.postMessage' && call.ok && call.ref !== undefined) posts.set(call.ref, (posts.get(call.ref) ?? 0) + 1);
    const doubled = [...posts].filter(([, count]) => count > 1).map(([ref]) => ref);
    let sql = null;
    if (pgBefore !== null && store.kind === 'postgres') {
      // The bots' own counters reach pg_stat_database at the latest when their connections end.
      await Promise.all(services.map((s) => s.stop()));
      await sleep(500);
      const warmAccepted = warmUp.sent.filter((lead) => lead.status === 202).length;
      sql = { ...pgProfile(pgBefore, await pgActivity(store.url), warmAccepted + accepted.length), clicks: clickResults.length };
    }
    return {
      store: store.kind,
      instances,
      target: options.target,
      ratePerSecond: options.ratePerSecond,
      seconds: load.seconds,
      leads: accepted.length,
      statusCounts: load.statusCounts,
      allDelivered: delivered,
      cardsDelivered: latencies.length,
      cpuSeconds: Math.round(cpu * 100) / 100,
      /** CPU per lead over the whole run, first lead in to last card out. */
      cpuMsPerLead: accepted.length > 0 ? Math.round((cpu * 1000 * 1000) / accepted.length) / 1000 : null,
      /** CPU per lead in steady state: the last two thirds of the load (cards go out as leads come in). */
      cpuMsPerLeadSteady: leadsSteady > 0 ? Math.round(((loadEnded.cpu - from.cpu) * 1000 * 1000) / leadsSteady) / 1000 : null,
      intakeLatencyMs: load.latencyMs,
      leadToCardMs: summarize(latencies),
      claimToUpdateMs: options.target === 'bot' ? summarize(clickResults.flatMap((c) => (c.updateMs === null ? [] : [c.updateMs]))) : null,
      claimAckMs: options.target === 'bot' ? summarize(clickResults.map((c) => c.ackMs)) : null,
      claimsWithoutUpdate: clickResults.filter((c) => c.updateMs === null).length,
      /** With several instances: each one's CPU seconds over the run. */
      cpuSecondsPerInstance: instances > 1 ? cpuEach : undefined,
      peakRssMb: Math.max(...memory),
      /** Leads whose offer card was posted more than once (a defect), and the first few of them. */
      doubledCards: doubled.length,
      doubledCardRefs: doubled.slice(0, 10),
      /** PostgreSQL: what the server did per lead (bench/postgres.ts), else null. */
      sql,
      slack: stats,
    };
  } catch (error) {
    throw new Error(`steady ${options.target}: ${(error as Error).message} (log: ${logFile})`);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await slack.close();
  }
}
