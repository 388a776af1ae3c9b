/**
 * Micro-benchmark of the pure routing core: decideRoute on a large config (500 reps, 50 teams of
 * 10, 200 rules of mixed operators, most not matching, the last few matching) against a snapshot
 * with realistic state (loads, some reps away or at capacity, round-robin passes).
 *
 *   node --import tsx bench/routingDecision.ts [iterations]
 *
 * Not a test: figures are printed, not asserted. bench/run.ts may call benchRoutingDecision().
 */
import { pathToFileURL } from 'node:url';
import { validateConfig, type Config } from '../src/config/schema.ts';
import type { Lead } from '../src/domain/lead.ts';
import { compileRouting, decideRoute, type RepRuntime, type RoundRobinState, type RoutingSnapshot } from '../src/domain/routing/index.ts';

const REPS = 500;
const TEAM_SIZE = 10;
const TEAMS = REPS / TEAM_SIZE;
const RULES = 200;
/** Monday 2026-11-23 15:00 UTC: business hours in Europe, early morning in the Americas, night in Asia. */
const NOW = Date.parse('2026-11-23T15:00:00Z');
const ZONES = ['Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Singapore', 'UTC'];
const HOURS = ['Mon-Fri 08:00-18:00', 'Mon-Fri 09:00-17:30', 'daily 00:00-24:00', undefined, undefined];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NL', 'ES', 'IT', 'CA', 'BR', 'JP'];
const INDUSTRIES = ['Software', 'Retail', 'Finance', 'Health', 'Manufacturing', 'Media'];

/** A small deterministic generator, so runs are comparable. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const repId = (index: number) => `U0R${String(index).padStart(3, '0')}`;

/** Rule k of the 200: a mix of operators that mostly do not match the generated leads. */
function ruleWhen(k: number): Record<string, unknown> {
  switch (k % 8) {
    case 0: return { 'fields.segment': `segment-${k}` };
    case 1: return { score: { gte: 101 - (k % 3) }, source: 'whatsapp' };
    case 2: return { 'company.country': { in: ['AR', 'CL', `X${k}`] } };
    case 3: return { title: { matches: `^(chief|head) of ${k}` } };
    case 4: return { 'company.employees': { gt: 100_000 + k }, 'company.industry': { ne: 'Software' } };
    case 5: return { any: [{ 'fields.plan': `plan-${k}` }, { message: { contains: `code-${k}` } }] };
    case 6: return { 'fields.partner': { exists: true }, 'company.region': { not_in: ['NA', 'EMEA'] } };
    default: return { score: { lt: 0 } };
  }
}

export function buildBenchConfig(): Config {
  const next = random(7);
  const reps = Array.from({ length: REPS }, (_, i) => {
    const hours = HOURS[i % HOURS.length];
    return {
      id: repId(i),
      name: `Rep ${i}`,
      capacity: 10 + Math.floor(next() * 20),
      ...(i % 3 === 0 ? { daily_cap: 20 + Math.floor(next() * 20) } : {}),
      weight: 1 + (i % 3),
      timezone: ZONES[i % ZONES.length],
      ...(hours ? { hours } : {}),
    };
  });
  const teams = Array.from({ length: TEAMS }, (_, t) => ({
    id: `team${t}`,
    members: Array.from({ length: TEAM_SIZE }, (_, m) => repId(t * TEAM_SIZE + m)),
    distribution: t % 2 === 0 ? 'round_robin' : 'least_loaded',
  }));
  const rules: { name: string; when?: Record<string, unknown>; route: unknown }[] = [{ name: 'Named account', route: 'account_owner' }];
  for (let k = 1; k < RULES - 4; k += 1) rules.push({ name: `Rule ${k}`, when: ruleWhen(k), route: { team: `team${k % TEAMS}` } });
  // The last few match most leads.
  rules.push({ name: 'Hot lead', when: { score: { gte: 80 } }, route: { team: 'team1' } });
  rules.push({ name: 'EMEA', when: { 'company.country': { in: ['DE', 'FR', 'GB', 'NL', 'ES', 'IT'] } }, route: { team: 'team2' } });
  rules.push({ name: 'Cold lead', when: { score: { lt: 20 } }, route: { sequence: 'nurture' } });
  rules.push({ name: 'Everyone else', route: { team: 'team3' } });
  const raw = {
    timezone: 'UTC',
    escalation: { channel: 'C0ESCALATE' },
    reps,
    teams,
    accounts: Array.from({ length: 200 }, (_, a) => ({ domain: `account${a}.com`, owner: repId((a * 7) % REPS) })),
    sequences: [{ id: 'nurture' }],
    rules,
    fallback: { team: 'team4' },
  };
  const parsed = validateConfig(raw);
  if (!parsed.ok) throw new Error(parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  return parsed.config;
}

export function buildBenchSnapshot(): RoutingSnapshot {
  const next = random(11);
  const reps = new Map<string, RepRuntime>();
  for (let i = 0; i < REPS; i += 1) {
    const roll = next();
    reps.set(repId(i), {
      awayUntil: roll < 0.1 ? NOW + Math.floor(next() * 8) * 3_600_000 : null,
      capacityOverride: roll > 0.95 ? 5 : null,
      openLeads: Math.floor(next() * 25),
      offersToday: Math.floor(next() * 15),
      lastOfferAt: roll < 0.02 ? null : NOW - Math.floor(next() * 86_400_000),
    });
  }
  const roundRobin = new Map<string, RoundRobinState>();
  for (let t = 0; t < TEAMS; t += 1) {
    const level = 100 + next() * 10;
    const passes = new Map<string, number>();
    for (let m = 0; m < TEAM_SIZE; m += 1) if (next() < 0.9) passes.set(repId(t * TEAM_SIZE + m), level + next());
    roundRobin.set(`team${t}`, { level, passes });
  }
  const accountOwners = new Map<string, string | null>([['account3.com', repId(42)], ['account4.com', null]]);
  return { reps, roundRobin, accountOwners, excludedReps: new Set([repId(10), repId(20)]) };
}

export function buildBenchLeads(count = 256): { lead: Lead; domain: string | null }[] {
  const next = random(13);
  return Array.from({ length: count }, (_, i) => {
    const named = next() < 0.1;
    const domain = named ? `account${Math.floor(next() * 300)}.com` : `company${i}.example`;
    const lead: Lead = {
      source: (['form', 'linkedin', 'email', 'other'] as const)[i % 4] ?? 'form',
      email: `lead${i}@${domain}`,
      name: `Lead ${i}`,
      title: ['VP Sales', 'Head of Marketing', 'Engineer', 'CEO'][i % 4],
      company: {
        name: `Company ${i}`,
        domain,
        employees: Math.floor(next() * 5000),
        industry: INDUSTRIES[i % INDUSTRIES.length],
        country: COUNTRIES[Math.floor(next() * COUNTRIES.length)],
      },
      score: Math.floor(next() * 101),
      message: 'We would like a demo next week',
      fields: { plan: ['free', 'team', 'enterprise'][i % 3] ?? 'free', seats: Math.floor(next() * 500) },
    };
    return { lead, domain };
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Times `iterations` decideRoute calls (after a warm-up) on the compiled config; milliseconds per call. */
export function benchRoutingDecision(iterations = 20_000, options: { compiled?: boolean } = {}): { medianMs: number; p99Ms: number } {
  const config = buildBenchConfig();
  const routing = options.compiled === false ? config : compileRouting(config);
  const snapshot = buildBenchSnapshot();
  const leads = buildBenchLeads();
  const decide = (i: number) => {
    const input = leads[i % leads.length];
    if (!input) throw new Error('no lead');
    return decideRoute({ lead: input.lead, domain: input.domain, config: routing, snapshot, now: NOW + (i % 60) * 60_000 });
  };
  let sink = 0;
  for (let i = 0; i < 2_000; i += 1) sink += decide(i).trace.rules.length;
  const times = new Float64Array(iterations);
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    sink += decide(i).trace.rules.length;
    times[i] = performance.now() - start;
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the results alive
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

function outcomes(): string {
  const routing = compileRouting(buildBenchConfig());
  const snapshot = buildBenchSnapshot();
  const counts = new Map<string, number>();
  for (const { lead, domain } of buildBenchLeads()) {
    const decision = decideRoute({ lead, domain, config: routing, snapshot, now: NOW });
    const key = decision.kind === 'rep' ? decision.rule : decision.kind === 'sequence' ? `${decision.rule} (sequence)` : 'queued';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key}: ${count}`).join(', ');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = Number(process.argv[2] ?? 20_000);
  const compiled = benchRoutingDecision(iterations);
  const plain = benchRoutingDecision(Math.min(iterations, 5_000), { compiled: false });
  const ms = (value: number) => `${value.toFixed(4)} ms`;
  console.log(`decideRoute: ${REPS} reps, ${TEAMS} teams of ${TEAM_SIZE}, ${RULES} rules; ${iterations} calls after 2,000 warm-up (node ${process.version})`);
  console.log(`  compiled config (compileRouting once):  median ${ms(compiled.medianMs)}, p99 ${ms(compiled.p99Ms)}`);
  console.log(`  plain config (compiled on every call):  median ${ms(plain.medianMs)}, p99 ${ms(plain.p99Ms)}`);
  console.log(`  outcomes over the 256 sample leads: ${outcomes()}`);
}
