/**
 * `leadrelay route <lead.json> [--config file] [--db file] [--at time] [--no-webhook] [--all] [--json]`:
 * a dry run of the routing decision for one lead: the lead as enrichment completes it,
 * who would get it and the full trace (as stored: skipped reps, the chosen one, the runner-up and a
 * count of the others; `--all` lists every eligible member too). Nothing is written anywhere: the database, when there is one,
 * is opened read-only and never migrated or created. The enrichment webhook, when configured, is
 * asked as the bot would ask it (a lookup, signed with LEADRELAY_WEBHOOK_SECRET) unless --no-webhook.
 */
import { normalize } from 'node:path';
import { sqliteRoutingStore } from '../adapters/sqlite/sqliteRoutingStore.ts';
import type { Config } from '../config/schema.ts';
import { openCompanyTable } from '../adapters/enrichment/companyTable.ts';
import { createHttpEnricher } from '../adapters/enrichment/httpEnricher.ts';
import { createLeadEnricher } from '../app/enrichLead.ts';
import type { EnrichmentTrace } from '../domain/enrichment.ts';
import type { Lead } from '../domain/lead.ts';
import { decideRoute, formatTrace, whyYou, type RoutingDecision, type RoutingSnapshot } from '../domain/routing/index.ts';
import type { CliIo, CommandLine } from './index.ts';
import { loadCliConfig } from './loadCliConfig.ts';
import { cliDatabasePath, openReadOnlyDatabase } from './readOnlyDatabase.ts';
import { formatLeadFileErrors, ISO_TIME_HINT, parseIsoTime, prepareLead, readLeadFile } from './readLeadFile.ts';

/**
 * What a route without a database assumes: the runtime state of a bot that has just started on an
 * empty database. Working hours, daily caps and capacities still apply, at `--at`.
 */
export const FRESH_STATE_WORDS =
  'as on a fresh database: nobody is away, nobody has open leads or offers today, no round-robin history, account owners from the config only; working hours apply at --at (default: now)';

const AS_IF_EMPTY = `routing ${FRESH_STATE_WORDS}`;

function emptySnapshot(): RoutingSnapshot {
  return { reps: new Map(), roundRobin: new Map(), accountOwners: new Map(), excludedReps: new Set() };
}

/**
 * The runtime state (away, load, round-robin, account owners) as of `now`, read from the database
 * opened read-only; an empty state, said on stderr, when there is no usable database.
 */
async function loadRuntimeState(path: string, config: Config, domain: string | null, now: number, io: CliIo): Promise<{ snapshot: RoutingSnapshot; from: string | null }> {
  const opened = openReadOnlyDatabase(path);
  if (!opened.ok) {
    io.stderr.write(`${opened.problem}: ${AS_IF_EMPTY}\n`);
    return { snapshot: emptySnapshot(), from: null };
  }
  try {
    const routing = sqliteRoutingStore(opened.db);
    const snapshot = { ...(await routing.loadTeamState(config, now)), ...(await routing.loadLeadState({ id: null, domain })) };
    return { snapshot, from: opened.shownAs };
  } catch (error) {
    io.stderr.write(`cannot read the database ${opened.shownAs} (${(error as Error).message}): ${AS_IF_EMPTY}\n`);
    return { snapshot: emptySnapshot(), from: null };
  } finally {
    opened.db.close();
  }
}

function repText(config: Config, repId: string): string {
  const name = config.reps.find((rep) => rep.id === repId)?.name;
  return name === undefined ? repId : `${repId} (${name})`;
}

/** `U0ALICE (Alice Example), team senior`, `sequence nurture`, `queued: nobody eligible …`. */
function decisionText(config: Config, decision: RoutingDecision): string {
  switch (decision.kind) {
    case 'rep':
      return `${repText(config, decision.repId)}${decision.teamId === null ? '' : `, team ${decision.teamId}`}`;
    case 'sequence':
      return `sequence ${decision.sequenceId}`;
    case 'queued':
      return whyYou(decision.trace).replace(/^Queued/, 'queued');
  }
}

const COMPANY_KEYS = ['domain', 'name', 'employees', 'industry', 'country', 'region'] as const;

/** `domain acme.com, name Acme, country DE (company table)`: the company as routed, and where filled values came from. */
function companyText(lead: Lead, enrichment: EnrichmentTrace | null): string {
  const parts = COMPANY_KEYS.flatMap((key) => {
    const value = lead.company[key];
    if (value === undefined) return [];
    const filled = enrichment?.filled.find((field) => field.path === `company.${key}`);
    const from = filled === undefined ? '' : filled.from === 'companies' ? ' (company table)' : ' (webhook)';
    return [`${key} ${value}${from}`];
  });
  return parts.length === 0 ? '(nothing known)' : parts.join(', ');
}

/** The decision without its trace, for --json. */
function decisionJson(decision: RoutingDecision) {
  switch (decision.kind) {
    case 'rep':
      return { kind: decision.kind, repId: decision.repId, teamId: decision.teamId, rule: decision.rule };
    case 'sequence':
      return { kind: decision.kind, sequenceId: decision.sequenceId, rule: decision.rule };
    case 'queued':
      return { kind: decision.kind, teamId: decision.teamId };
  }
}

/**
 * Routes the lead in the file as the app would at `--at` (default now) and prints the decision, the
 * rule, the one-line why and the trace. Exit 0 on a decision (queued included); 1 when the config
 * or the lead is invalid; 2 when `--at` is not a time.
 */
export async function runRoute(line: CommandLine, io: CliIo): Promise<number> {
  const leadPath = line.args[0] ?? '';
  const atText = line.values.get('at');
  const at = atText === undefined ? Date.now() : parseIsoTime(atText);
  if (at === null) {
    io.stderr.write(`invalid --at ${JSON.stringify(atText)}: ${ISO_TIME_HINT}\n`);
    return 2;
  }
  const loaded = loadCliConfig(line.values.get('config'), io);
  if (!loaded) return 1;
  const { config } = loaded;

  const leadShownAs = normalize(leadPath);
  const read = readLeadFile(leadPath);
  if (!read.ok) {
    io.stderr.write(`${formatLeadFileErrors(leadShownAs, read.errors)}\n`);
    return 1;
  }
  const prepared = prepareLead(read.value, config);
  if ('issues' in prepared) {
    io.stderr.write(`${formatLeadFileErrors(leadShownAs, prepared.issues)}\n`);
    return 1;
  }

  const companies = openCompanyTable(config, loaded.path);
  if (!companies.ok) {
    io.stderr.write(`${companies.errors.join('\n')}\n`);
    return 1;
  }
  const companyTable = companies.file;
  let webhookUrl = line.flags.has('no-webhook') ? undefined : config.enrichment?.webhook;
  const secret = io.env.LEADRELAY_WEBHOOK_SECRET;
  if (webhookUrl !== undefined && !secret) {
    io.stderr.write('LEADRELAY_WEBHOOK_SECRET is not set: the enrichment webhook is not asked (its requests are signed with it)\n');
    webhookUrl = undefined;
  }
  const enricher = createLeadEnricher({
    companies: companyTable ? () => companyTable.table() : null,
    webhook: webhookUrl && secret ? createHttpEnricher({ url: webhookUrl, secret, timeoutMs: config.enrichment?.timeout ?? 2000, now: () => Date.now() }) : null,
  });
  const enriched = await enricher.enrich({ ref: 'L-0', lead: prepared.lead, domain: prepared.domain });
  const lead = enriched?.lead ?? prepared.lead;
  const domain = enriched ? enriched.domain : prepared.domain;

  const state = await loadRuntimeState(cliDatabasePath(line.values.get('db'), io.env), config, domain, at, io);
  const decision = decideRoute({ lead, domain, enrichment: enriched?.trace ?? null, config, snapshot: state.snapshot, now: at, listAllCandidates: line.flags.has('all') });
  const why = whyYou(decision.trace);

  if (line.flags.has('json')) {
    io.stdout.write(`${JSON.stringify({ decision: decisionJson(decision), why, lead, trace: decision.trace }, null, 2)}\n`);
    return 0;
  }
  const stateText = state.from === null ? 'a fresh state (no database)' : `state from ${state.from} (read-only)`;
  io.stdout.write(
    [
      `Dry run with ${loaded.shownAs} and ${stateText}: nothing is stored or sent.`,
      `Company:  ${companyText(lead, enriched?.trace ?? null)}`,
      `Decision: ${decisionText(config, decision)}`,
      `Rule:     ${decision.kind === 'queued' ? '(none: fallback not served either)' : decision.rule}`,
      `Why:      ${why}`,
      '',
      formatTrace(decision.trace),
      '',
    ].join('\n'),
  );
  return 0;
}
