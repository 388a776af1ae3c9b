/**
 * Burst intake: POST /leads closed-loop over 32 keep-alive connections for N seconds, sent by wrk
 * (a process of its own, bench/wrk.ts), against the bot or the floor (each with its own Slack stand-in process), then the delivery that
 * follows: how fast cards reach Slack afterwards, whether Slack's rate limits held, and how long
 * until every accepted lead's card is out (waited for up to `drainSeconds`, else projected from the
 * observed pace).
 */
import { join } from 'node:path';
import { benchLead, benchUsers, TEAM_COUNT } from './benchConfig.ts';
import { startPhaseService, type ServiceProcess } from './botProcess.ts';
import { runClosedLoop } from './loadGenerator.ts';
import type { BenchStore } from './postgres.ts';
import { hrNow } from './procStats.ts';
import { runWrk } from './wrk.ts';
import { startStandInProcess } from './standIn.ts';

export interface IntakeOptions {
  target: 'bot' | 'floor';
  dir: string;
  configPath: string;
  secret: string;
  seconds: number;
  connections: number;
  /** How long to wait for the backlog of cards after the load. */
  drainSeconds: number;
  /** The bot's store (default SQLite). */
  store?: BenchStore;
}

export async function benchIntake(options: IntakeOptions) {
  const slack = await startStandInProcess(benchUsers());
  const store = options.target === 'bot' ? (options.store ?? { kind: 'sqlite' as const }) : { kind: 'sqlite' as const };
  const phase = store.kind === 'postgres' ? 'intake-pg' : 'intake';
  const logFile = join(options.dir, `${phase}-${options.target}.log`);
  let service: ServiceProcess | undefined;
  try {
    service = await startPhaseService({ phase, store, target: options.target, dir: options.dir, configPath: options.configPath, secret: options.secret, slackApiUrl: slack.apiUrl });
    slack.setRequestUrl(`${service.url}/slack/events`);
    const run = `${options.target}-${Date.now().toString(36)}`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.secret}` };
    const url = `${service.url}/leads`;

    // Warm-up: 0.5 s at 8 connections (its cards count in the backlog below).
    const warm = await runClosedLoop({ url, connections: 8, seconds: 0.5, body: (i) => benchLead(`${run}-warm`, i), headers });
    const cpuBefore = service.cpuSeconds();
    const load = await runWrk({ url, connections: options.connections, seconds: options.seconds, run, secret: options.secret, teams: TEAM_COUNT });
    const loadEnded = hrNow();
    const cpu = service.cpuSeconds() - cpuBefore;
    const accepted = (warm.statusCounts['202'] ?? 0) + (load.statusCounts['202'] ?? 0);
    const cardsAtEnd = slack.cards.size;
    const drained = await slack.waitFor(() => slack.cards.size >= accepted, options.drainSeconds * 1000);
    const waited = (hrNow() - loadEnded) / 1000;
    const cardsAfter = slack.cards.size;
    const pace = (cardsAfter - cardsAtEnd) / Math.max(0.001, waited);
    const lastCardAt = Math.max(...[...slack.cards.values()].map((card) => card.at));
    const stats = await slack.stats();
    return {
      target: options.target,
      store: store.kind,
      connections: options.connections,
      ...load,
      cpuMsPerRequest: load.requests > 0 ? Math.round((cpu * 1000 * 1000) / load.requests) / 1000 : null,
      delivery: {
        accepted,
        cardsWhenLoadEnded: cardsAtEnd,
        cardsDelivered: cardsAfter,
        allDelivered: drained,
        /** Seconds from the end of the load to the last card (all delivered), else the projection at the observed pace. */
        secondsToLastCard: drained ? Math.round((lastCardAt - loadEnded) / 100) / 10 : null,
        projectedSecondsToLastCard: drained ? null : Math.round((waited + (accepted - cardsAfter) / Math.max(1, pace)) * 10) / 10,
        cardsPerSecondAfterLoad: Math.round(pace),
      },
      peakRssMb: service.memoryMb().peak,
      slack: stats,
    };
  } catch (error) {
    throw new Error(`intake ${options.target}: ${(error as Error).message} (log: ${logFile})`);
  } finally {
    await service?.stop();
    await slack.close();
  }
}
