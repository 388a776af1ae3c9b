/**
 * The intake cost of a mapped lead (SPEC 2b): the same leads POSTed at the same steady rate to
 * POST /leads (leadrelay's JSON) and to POST /hooks/<id> (a Typeform lead form, signed), in one bot
 * process, in alternating segments (leads, hooks, leads, hooks) so that drift in the machine's load
 * falls on both. Each lead's /leads body is exactly the lead its Typeform payload maps to, so the
 * difference is the hook's own work: the bigger body read, its signature checked, the mapping.
 * CPU per lead is the bot process's (user + system) from the segment's first request to its last
 * card out, divided by its leads.
 *
 * Beside it, in this process, what the mapping alone costs for each provider's documented sample:
 * CPU per `toLead` (evaluate + assemble + validate) minus CPU per validation of the lead it makes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLeadPayload } from '../src/adapters/http/leadPayload.ts';
import { compileSourceMapping, type SourceMapping } from '../src/adapters/sources/compileSourceMapping.ts';
import { typeformSignature } from '../src/adapters/sources/typeformPreset.ts';
import { parseConfig } from '../src/config/loadConfig.ts';
import { benchConfigYaml, benchUsers, TEAM_COUNT } from './benchConfig.ts';
import { benchEnv, startBotProcess, type ServiceProcess } from './botProcess.ts';
import { runOpenLoop } from './loadGenerator.ts';
import { hrNow } from './procStats.ts';
import { startStandInProcess } from './standIn.ts';

const TYPEFORM_SECRET = 'bench-typeform-secret';

const SOURCES_YAML = `sources:
  - { id: bench-form, preset: typeform, secret_env: BENCH_TYPEFORM_SECRET }
  - { id: bench-zap, preset: generic, map: { email: email, name: name } }
  - { id: bench-hubspot, preset: hubspot, secret_env: BENCH_TYPEFORM_SECRET }
  - { id: bench-calendly, preset: calendly, secret_env: BENCH_TYPEFORM_SECRET }
`;

const QUESTIONS = [
  { id: 'Xq1Em4il0001', type: 'email', ref: 'email', title: 'Your work email' },
  { id: 'Xq2Name00002', type: 'short_text', ref: 'full_name', title: 'Your name' },
  { id: 'Xq3Title0003', type: 'short_text', ref: 'job_title', title: 'Your role' },
  { id: 'Xq4Comp00004', type: 'short_text', ref: 'company', title: 'Company' },
  { id: 'Xq5Size00005', type: 'number', ref: 'employees', title: 'How many employees?' },
  { id: 'Xq6Ctry00006', type: 'multiple_choice', ref: 'country', title: 'Country' },
  { id: 'Xq7Msg000007', type: 'long_text', ref: 'message', title: 'What do you need?' },
] as const;

/**
 * Lead `i` as Typeform delivers a 7-question demo request form (the documented payload's structure:
 * definition and answers with their refs, a hidden field), routed to team `i mod 40` by `team_no`.
 */
export function benchTypeformPayload(run: string, i: number): string {
  const values: Record<string, unknown> = {
    email: { type: 'email', email: `lead${i}-${run}@company${i % 997}.example` },
    full_name: { type: 'text', text: `Lead ${i}` },
    job_title: { type: 'text', text: 'VP Sales' },
    company: { type: 'text', text: `Company ${i % 997}` },
    employees: { type: 'number', number: (i * 37) % 5000 },
    country: { type: 'choice', choice: { label: 'US' } },
    message: { type: 'text', text: 'We need 300 seats by Q3' },
  };
  return JSON.stringify({
    event_id: `bench${run}${i}`,
    event_type: 'form_response',
    form_response: {
      form_id: 'bnchForm',
      token: `bench-${run}-${i}`,
      landed_at: '2026-11-24T13:58:02Z',
      submitted_at: '2026-11-24T14:00:02Z',
      hidden: { team_no: String(i % TEAM_COUNT) },
      definition: { id: 'bnchForm', title: 'Book a demo', fields: QUESTIONS.map(({ id, type, ref, title }) => ({ id, title, type, ref, properties: {} })) },
      answers: QUESTIONS.map(({ id, type, ref }) => ({ ...(values[ref] as object), field: { id, type, ref } })),
    },
  });
}

/**
 * CPU milliseconds per call of `fn`, after a warm-up: the median of 7 batches of 1,000 calls (other
 * processes on the machine make single batches vary by ±15%).
 */
async function cpuMsPerCall(fn: () => unknown): Promise<number> {
  for (let i = 0; i < 1000; i += 1) await fn();
  const batches: number[] = [];
  for (let batch = 0; batch < 7; batch += 1) {
    const before = process.cpuUsage();
    for (let i = 0; i < 1000; i += 1) await fn();
    const used = process.cpuUsage(before);
    batches.push((used.user + used.system) / 1000 / 1000);
  }
  return batches.sort((a, b) => a - b)[3] ?? 0;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The mapping's own cost for one payload: toLead minus the validation of the lead it yields. */
async function mappingCost(mapping: SourceMapping, payload: unknown) {
  const mapped = await mapping.toLead(payload);
  if (mapped.kind !== 'lead') throw new Error(`${mapping.id}: the bench payload makes no lead (${JSON.stringify(mapped)})`);
  const toLeadMs = await cpuMsPerCall(() => mapping.toLead(payload));
  const validationMs = await cpuMsPerCall(() => parseLeadPayload(mapped.lead));
  return { toLeadMs: round3(toLeadMs), validationMs: round3(validationMs), mappingMs: round3(toLeadMs - validationMs) };
}

/** The mapping's cost per preset, in this process, on each provider's documented sample and on the bench's form. */
export async function benchMappingInProcess() {
  const parsed = parseConfig(`${benchConfigYaml()}${SOURCES_YAML}`, 'hooks.yml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const mapping = (id: string) => compileSourceMapping(parsed.config.sources.find((s) => s.id === id) ?? (undefined as never));
  const documented = (file: string) => JSON.parse(readFileSync(new URL(`../examples/sources/${file}`, import.meta.url), 'utf8')) as unknown;
  return {
    typeformBenchForm: await mappingCost(mapping('bench-form'), JSON.parse(benchTypeformPayload('x', 7))),
    typeformDocumented: await mappingCost(mapping('bench-form'), documented('typeform-form-response.json')),
    hubspotDocumented: await mappingCost(mapping('bench-hubspot'), documented('hubspot-contact.json')),
    calendlyDocumented: await mappingCost(mapping('bench-calendly'), documented('calendly-invitee-created.json')),
    generic: await mappingCost(mapping('bench-zap'), { email: 'a@beta.io', name: 'Ann' }),
  };
}

export interface HooksOptions {
  dir: string;
  secret: string;
  /** Seconds of each of the four measured segments. */
  segmentSeconds: number;
  warmSeconds: number;
  ratePerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchHooks(options: HooksOptions) {
  const configPath = join(options.dir, 'hooks.yml');
  writeFileSync(configPath, `${benchConfigYaml()}${SOURCES_YAML}`);
  const parsed = parseConfig(`${benchConfigYaml()}${SOURCES_YAML}`, configPath);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  // The bench process maps each payload itself, to post the very same lead to /leads.
  const mapping = compileSourceMapping(parsed.config.sources[0] ?? (undefined as never));
  const slack = await startStandInProcess(benchUsers());
  const logFile = join(options.dir, 'hooks-bot.log');
  let service: ServiceProcess | undefined;
  try {
    service = await startBotProcess(
      { ...benchEnv(slack.apiUrl, options.secret), BENCH_TYPEFORM_SECRET: TYPEFORM_SECRET, LEADRELAY_CONFIG: configPath, LEADRELAY_DB: join(options.dir, 'hooks-bot.db') },
      { logFile },
    );
    slack.setRequestUrl(`${service.url}/slack/events`);
    const bot = service;
    const run = Date.now().toString(36);
    const leadsHeaders = { 'content-type': 'application/json', authorization: `Bearer ${options.secret}` };
    const hookHeaders = (body: string) => ({ 'content-type': 'application/json', 'typeform-signature': typeformSignature(TYPEFORM_SECRET, body) });
    // The /leads body of lead i of a segment: what its Typeform payload maps to, with an external id of its own.
    const leadBodies = new Map<string, string>();
    const leadBody = async (segment: string, i: number) => {
      const mapped = await mapping.toLead(JSON.parse(benchTypeformPayload(segment, i)));
      if (mapped.kind !== 'lead') throw new Error('the bench form makes no lead');
      return JSON.stringify({ ...mapped.lead, external_id: `leads-${segment}-${i}` });
    };

    const segment = async (endpoint: 'leads' | 'hooks', name: string, seconds: number) => {
      const count = Math.round(options.ratePerSecond * seconds);
      if (endpoint === 'leads') for (let i = 0; i < count; i += 1) leadBodies.set(`${name}:${i}`, await leadBody(name, i));
      const cpuBefore = bot.cpuSeconds();
      const load = await runOpenLoop({
        url: `${bot.url}${endpoint === 'leads' ? '/leads' : '/hooks/bench-form'}`,
        ratePerSecond: options.ratePerSecond,
        seconds,
        body: (i) => (endpoint === 'leads' ? (leadBodies.get(`${name}:${i}`) ?? '') : benchTypeformPayload(name, i)),
        headers: endpoint === 'leads' ? leadsHeaders : hookHeaders,
      });
      const accepted = load.sent.filter((lead) => lead.status === 202 && lead.ref !== undefined);
      await slack.waitFor(() => accepted.every((lead) => slack.cards.has(lead.ref as string)), 30_000);
      const lastCardAt = Math.max(...accepted.map((lead) => slack.cards.get(lead.ref as string)?.at ?? 0));
      await sleep(Math.max(0, lastCardAt + 250 - hrNow()));
      const cpu = bot.cpuSeconds() - cpuBefore;
      return {
        endpoint,
        leads: accepted.length,
        statusCounts: load.statusCounts,
        cpuMsPerLead: accepted.length > 0 ? round3((cpu * 1000) / accepted.length) : null,
        intakeLatencyMs: load.latencyMs,
      };
    };

    await segment('leads', `${run}-warm-leads`, options.warmSeconds);
    await segment('hooks', `${run}-warm-hooks`, options.warmSeconds);
    const segments: Awaited<ReturnType<typeof segment>>[] = [];
    for (const [k, endpoint] of (['leads', 'hooks', 'leads', 'hooks'] as const).entries()) segments.push(await segment(endpoint, `${run}-${k}`, options.segmentSeconds));
    const average = (endpoint: 'leads' | 'hooks') => {
      const own = segments.filter((s) => s.endpoint === endpoint && s.cpuMsPerLead !== null);
      return own.length === 0 ? null : round3(own.reduce((sum, s) => sum + (s.cpuMsPerLead ?? 0), 0) / own.length);
    };
    const leadsMs = average('leads');
    const hooksMs = average('hooks');
    return {
      ratePerSecond: options.ratePerSecond,
      segmentSeconds: options.segmentSeconds,
      segments,
      leadsCpuMsPerLead: leadsMs,
      hooksCpuMsPerLead: hooksMs,
      /** What a mapped lead costs the bot more than the same lead posted to /leads. */
      addedCpuMsPerLead: leadsMs === null || hooksMs === null ? null : round3(hooksMs - leadsMs),
      payloadBytes: { leads: (await leadBody('size', 1)).length, hooks: benchTypeformPayload('size', 1).length },
      inProcess: await benchMappingInProcess(),
      peakRssMb: bot.memoryMb().peak,
    };
  } catch (error) {
    throw new Error(`hooks: ${(error as Error).message} (log: ${logFile})`);
  } finally {
    await service?.stop();
    await slack.close();
  }
}
