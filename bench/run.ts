/**
 * `npm run bench [-- --quick]`: measures leadrelay on this machine and writes
 * bench/results/latest.json. Never part of `npm test`; figures are reported, not asserted.
 *
 * Measured so far: POST /leads intake throughput and latency (32 keep-alive connections, closed
 * loop) against the real bot running as its own process, and its peak RSS.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/loadConfig.ts';
import { startSlackStandIn } from '../src/sandbox/slackStandIn.ts';
import { startBotProcess } from './botProcess.ts';
import { runClosedLoop } from './loadGenerator.ts';
import { benchExpiryBurst } from './expiryBurst.ts';
import { benchRoutingDecision } from './routingDecision.ts';

const quick = process.argv.includes('--quick');
const root = fileURLToPath(new URL('../', import.meta.url));
const secret = 'bench-webhook-secret-0123456789';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-bench-'));
  // The Slack stand-in runs in this process, the bot in its own (as in production, two processes).
  const exampleConfig = loadConfig(join(root, 'leadrelay.example.yml'));
  if (!exampleConfig.ok) throw new Error('leadrelay.example.yml is invalid: run npx leadrelay check');
  const people = [...new Set([...exampleConfig.config.reps.map((rep) => rep.id), ...exampleConfig.config.managers, ...exampleConfig.config.teams.flatMap((team) => (team.manager ? [team.manager] : []))])];
  const slack = await startSlackStandIn({ signingSecret: 'bench-signing-secret', botToken: 'xoxb-bench', socketMode: false, users: people });
  const bot = await startBotProcess({
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    LEADRELAY_WEBHOOK_SECRET: secret,
    LEADRELAY_CONFIG: join(root, 'leadrelay.example.yml'),
    LEADRELAY_DB: join(dir, 'bench.db'),
  });
  const run = Date.now().toString(36);
  const lead = (i: number) =>
    JSON.stringify({
      external_id: `bench-${run}-${i}`,
      source: 'form',
      email: `lead${i}-${run}@company${i % 997}.example`,
      name: `Lead ${i}`,
      company: { name: `Company ${i % 997}`, employees: (i * 37) % 5000, country: 'US' },
      score: i % 101,
    });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };
  try {
    await runClosedLoop({ url: `${bot.url}/leads`, connections: 8, seconds: 1, body: (i) => lead(1_000_000_000 + i), headers });
    const seconds = quick ? 5 : 30;
    const intake = await runClosedLoop({ url: `${bot.url}/leads`, connections: 32, seconds, body: lead, headers });
    const intakeRssMb = bot.peakRssMb();
    await bot.stop();
    const routing = benchRoutingDecision(quick ? 5_000 : 20_000);
    const expiry = await benchExpiryBurst({ offers: quick ? 2_000 : 10_000, dir });
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      quick,
      intake: { connections: 32, ...intake },
      routingDecision: { reps: 500, teams: 50, rules: 200, ...routing },
      expiryBurst: expiry,
      peakRssMb: Math.max(intakeRssMb, expiry.peakRssMb),
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log('| figure | value |\n|---|---|');
    console.log(`| POST /leads throughput (32 connections, ${intake.seconds} s) | ${intake.perSecond} leads/s |`);
    console.log(`| POST /leads latency p50 / p99 | ${intake.latencyMs.p50} ms / ${intake.latencyMs.p99} ms |`);
    console.log(`| answers | ${JSON.stringify(intake.statusCounts)}, ${intake.errors} errors |`);
    console.log(`| routing decision, 500 reps / 50 teams / 200 rules, median / p99 | ${routing.medianMs.toFixed(3)} ms / ${routing.p99Ms.toFixed(3)} ms |`);
    console.log(`| ${expiry.offers} offers expiring together: reassignment lateness p50 / p99 / max | ${expiry.latenessMs.p50} / ${expiry.latenessMs.p99} / ${expiry.latenessMs.max} ms |`);
    console.log(`| ${expiry.offers} offers expiring together: deadline to last new card (${expiry.newCards} cards, 400 DMs, paced ~1/s per DM) | ${((expiry.timeToLastNewCardMs ?? 0) / 1000).toFixed(1)} s |`);
    console.log(`| bot peak RSS | ${results.peakRssMb} MB |`);
    console.log(`\nwritten to bench/results/latest.json (${results.machine.cpus} × ${results.machine.cpuModel}, node ${process.version})`);
  } finally {
    await bot.stop();
    await slack.close();
  }
}

await main();
