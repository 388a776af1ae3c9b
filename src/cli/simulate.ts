/**
 * `leadrelay simulate <leads.jsonl|leads.csv> [--config a.yml] [--compare b.yml] [--start time] [--explain] [--json]`:
 * replays leads (and signals, against the config's signal rules) through the routing core on
 * simulated time (see simulateRouting.ts for the model):
 * who would get what, each rep's share against their weight, and what a second config would change.
 * Deterministic: the same files give byte-identical output.
 */
import { normalize } from 'node:path';
import type { Config } from '../config/schema.ts';
import { compileRouting } from '../domain/routing/index.ts';
import {
  arrivalTimes,
  compareSimulations,
  SIMULATION_START,
  simulateRouting,
  summarizeSimulation,
  type ComparedDestination,
  type MovedLead,
  type SimulatedDestination,
  type SimulatedLead,
  type SimulatedRoute,
  type SimulatedSignal,
  type SimulatedSignalOutcome,
  type SimulationSummary,
} from '../domain/routing/simulateRouting.ts';
import { parseLeadRef } from '../domain/lead.ts';
import type { CliIo, CommandLine } from './index.ts';
import { wrap } from './wrapText.ts';
import { openCompanyTable, type CompanyTable } from '../adapters/enrichment/companyTable.ts';
import { fillFromCompanyTable, startEnrichment } from '../domain/enrichment.ts';
import { loadCliConfig } from './loadCliConfig.ts';
import { formatLeadFileErrors, ISO_TIME_HINT, leadFileFormat, parseIsoTime, prepareLead, readLeads, type LeadEntry, type LeadFileError, type SimulationEntry } from './readLeadFile.ts';

/** The simulation model in words: `leadrelay simulate --help`, and the report's head with --explain. */
export const SIMULATION_MODEL = [
  'Simulation model (simulated time, deterministic: the same input gives the same output):',
  '- Leads are routed one by one in arrival order. A lead arrives at its `at` (ISO time with a zone: a JSON key or CSV column); without one, the n-th lead of the file (from 0) arrives at the start (--start, default 2026-01-05T09:00:00Z, a Monday) + n minutes. Working hours apply at those times.',
  '- Every offer to a rep is claimed and done at once: it counts toward daily_cap and the round-robin, never toward capacity (open leads do not accumulate).',
  '- Nobody is away, account owners come from the config only, queued leads stay queued.',
  '- Enrichment: missing company fields are filled from the enrichment.companies table of each config; the enrichment webhook is not asked.',
  '- With --compare, the same leads go through the second config with its own fresh state.',
  '- Signals share the timeline (same arrival rule). A signal rule that fires moves a lead in a sequence or queued to its target, as the app does; a signal about a lead not yet arrived is counted unmatched.',
  '- Target: each team\'s leads split among its members by weight, plus the leads routed to a rep by name (Direct: pre-routed owner, account owner, a { rep } route). It does not know who was eligible: a rep outside their working hours falls below it.',
  '',
  'Input: JSON Lines (one lead object per line as POSTed to /leads, blank lines ignored) or CSV with a header row of lead fields: email, linkedin_url, name, title, phone, source, score, external_id, owner, team, crm_url, message, company.name|domain|employees|industry|country|region, fields.<name>, at. Empty cells are absent; fields.* cells that look like numbers become numbers, true/false booleans.',
  '',
  'Signals: a JSON line {"signal": {"lead": {"email"|"linkedin_url"|"external_id"|"ref": "…"}, "channel", "kind", "at"?}} as POSTed to /signals (ref L-<n>: the n-th lead of the file); in CSV, a row with signal_kind (and signal_channel) set is a signal about the lead named by its email, linkedin_url or external_id cells.',
].join('\n');

const MAX_MOVED_LINES = 50;

// ---------------------------------------------------------------------------------------------
// Text

type Align = 'left' | 'right';

/** Columns padded to their widest cell, two spaces apart, no trailing spaces. */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return align[column] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

function percent(fraction: number | null): string {
  return fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`;
}

/** Percentage points with a sign; never `-0.0`. */
function points(share: number | null, target: number | null): number | null {
  return share === null || target === null ? null : Math.round((share - target) * 1000) / 10;
}

function signed(value: number, digits = 0): string {
  if (value === 0) return (0).toFixed(digits);
  return `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;
}

function totalsText(summary: SimulationSummary): string {
  const { leads, toReps, toSequences, queued } = summary.totals;
  return `${leads} leads: ${toReps} to reps, ${toSequences} to sequences, ${queued} queued`;
}

function signalsText(summary: SimulationSummary): string {
  const { read, unmatched, fired, movedLeads } = summary.signals;
  const firing = fired.reduce((sum, rule) => sum + rule.signals, 0);
  return `${read} read, ${firing} fired a rule, ${unmatched} unmatched, ${movedLeads} leads moved out of a sequence or the queue`;
}

function summaryLines(summary: SimulationSummary): string[] {
  const sum = (values: readonly (number | null)[]) => (values.some((value) => value === null) ? null : values.reduce<number>((total, value) => total + (value ?? 0), 0));
  const total = ['Total', '', '', String(summary.totals.toReps), String(sum(summary.reps.map((rep) => rep.direct))), percent(sum(summary.reps.map((rep) => rep.share))), percent(sum(summary.reps.map((rep) => rep.target))), ''];
  const reps = formatTable(
    ['Rep', 'Name', 'Teams', 'Leads', 'Direct', 'Share', 'Target', 'Diff'],
    [
      ...summary.reps.map((rep) => {
        const diff = points(rep.share, rep.target);
        return [rep.repId, rep.name ?? '', rep.teams.join(',') || '-', String(rep.leads), String(rep.direct), percent(rep.share), percent(rep.target), diff === null ? '-' : `${signed(diff, 1)} pp`];
      }),
      total,
    ],
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
  );
  const lines = [`Totals: ${totalsText(summary)}`, '', ...reps];
  if (summary.sequences.length > 0) {
    lines.push('', ...formatTable(['Sequence', 'Leads'], summary.sequences.map((s) => [s.sequenceId, String(s.leads)]), ['left', 'right']));
  }
  lines.push('', ...formatTable(['Rule', 'Leads'], summary.rules.map((r) => [r.rule, String(r.leads)]), ['left', 'right']));
  if (summary.signals.read > 0 || summary.signals.fired.length > 0) {
    lines.push('', `Signals: ${signalsText(summary)}`);
    if (summary.signals.fired.length > 0) {
      lines.push('', ...formatTable(['Signal rule', 'Fired'], summary.signals.fired.map((r) => [r.rule, String(r.signals)]), ['left', 'right']));
    }
  }
  return lines;
}

function destinationText(destination: SimulatedDestination): string {
  if (destination.kind === 'rep') return destination.repId;
  if (destination.kind === 'sequence') return `sequence ${destination.sequenceId}`;
  return 'queued';
}

function movedLines(moved: readonly MovedLead[]): string[] {
  const shown = moved.slice(0, MAX_MOVED_LINES);
  const rows = shown.map((m) => [String(m.line), m.label, `${destinationText(m.from)} → ${destinationText(m.to)}`, `${m.ruleA ?? 'queued'} → ${m.ruleB ?? 'queued'}`]);
  const table = formatTable(['Line', 'Lead', 'a → b', 'Rule a → rule b'], rows, ['right', 'left', 'left', 'left']).map((text) => `  ${text}`);
  if (moved.length > shown.length) table.push(`  … and ${moved.length - shown.length} more`);
  return table;
}

function destinationLabel(row: ComparedDestination): string {
  if (row.kind === 'sequence') return `sequence ${row.id}`;
  if (row.kind === 'queued') return 'queued';
  return row.name === undefined ? row.id : `${row.id} (${row.name})`;
}

interface Simulated {
  shownAs: string;
  config: Config;
  routes: SimulatedRoute[];
  signals: SimulatedSignalOutcome[];
  summary: SimulationSummary;
}

/** `Mon 2026-01-05 09:00 UTC`: simulated times name their weekday, since working hours depend on it. */
function simulatedTime(at: number): string {
  const weekday = new Date(at).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return `${weekday} ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Where simulated time starts and ends, and how the leads without `at` were timed. */
function clockLines(clock: SimulationClock, leads: readonly SimulatedRoute[]): string[] {
  const times = leads.map((route) => route.at);
  const untimed =
    clock.untimed === 0 ? null
    : `${clock.untimed === 1 ? 'the lead without an `at` arrives' : `the ${clock.untimed} leads without an \`at\` arrive one a minute`} from ${simulatedTime(clock.start)}${clock.startGiven ? '' : ' (--start to change)'}`;
  const span = times.length === 0 ? null : `all leads arrive between ${simulatedTime(Math.min(...times))} and ${simulatedTime(Math.max(...times))}`;
  return wrap(`Simulated clock: ${[untimed, span].filter(Boolean).join('; ')}. Working hours apply at those times.`);
}

function textReport(input: string, a: Simulated, b: Simulated | null, clock: SimulationClock, explain: boolean): string {
  const lines = [
    `Simulation of ${a.summary.totals.leads} leads from ${input} through ${a.shownAs}`,
    ...clockLines(clock, a.routes),
    ...(explain ? ['', SIMULATION_MODEL] : ['(--explain describes the simulation model)']),
    '',
    ...summaryLines(a.summary),
  ];
  if (b) {
    const comparison = compareSimulations(a.config, a.routes, b.config, b.routes);
    lines.push('', `Compared with ${b.shownAs}: ${comparison.moved.length} of ${a.summary.totals.leads} leads would move`, `Totals under ${b.shownAs}: ${totalsText(b.summary)}`);
    if (comparison.moved.length > 0) lines.push('', 'Moved leads:', ...movedLines(comparison.moved));
    lines.push(
      '',
      ...formatTable(
        ['Destination', 'a', 'b', 'Diff'],
        comparison.destinations.map((row) => [destinationLabel(row), String(row.a), String(row.b), signed(row.b - row.a)]),
        ['left', 'right', 'right', 'right'],
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// JSON

const round = (value: number | null, digits: number) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

function summaryJson(simulated: Simulated) {
  const { summary } = simulated;
  return {
    config: simulated.shownAs,
    totals: summary.totals,
    reps: summary.reps.map((rep) => ({ ...rep, share: round(rep.share, 4), target: round(rep.target, 4), diffPp: points(rep.share, rep.target) })),
    sequences: summary.sequences,
    rules: summary.rules,
    signals: summary.signals,
  };
}

function routeJson(route: SimulatedRoute) {
  const signal = route.signal;
  return {
    to: route.destination,
    rule: route.rule,
    ...(signal ? { signal: { rule: signal.rule, at: new Date(signal.at).toISOString(), from: signal.from, decidedBy: signal.decidedBy } } : {}),
  };
}

function jsonReport(input: string, a: Simulated, b: Simulated | null, clock: SimulationClock): string {
  const leads = a.routes.map((route, index) => {
    const other = b?.routes[index];
    return {
      line: route.line,
      lead: route.label,
      at: new Date(route.at).toISOString(),
      a: routeJson(route),
      ...(other ? { b: routeJson(other) } : {}),
    };
  });
  const comparison = b ? compareSimulations(a.config, a.routes, b.config, b.routes) : null;
  const report = {
    model: SIMULATION_MODEL,
    clock: { start: new Date(clock.start).toISOString(), untimedLeads: clock.untimed },
    input: { file: input, leads: a.summary.totals.leads, signals: a.summary.signals.read },
    a: summaryJson(a),
    ...(b ? { b: summaryJson(b) } : {}),
    ...(comparison
      ? {
          comparison: {
            moved: comparison.moved.length,
            movedLeads: comparison.moved.map((m) => ({ line: m.line, lead: m.label, from: m.from, to: m.to, ruleA: m.ruleA, ruleB: m.ruleB })),
            destinations: comparison.destinations.map((row) => ({ ...row, diff: row.b - row.a })),
          },
        }
      : {}),
    leads,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// The command

/**
 * The leads prepared for one config (pre-routing resolved against it, missing company fields filled
 * from its company table), or what the config rejects.
 */
function prepareFor(
  config: Config,
  companies: CompanyTable | null,
  entries: readonly SimulationEntry[],
  arrivals: readonly number[],
  against: string | null,
): { leads: SimulatedLead[] } | { errors: LeadFileError[] } {
  const leads: SimulatedLead[] = [];
  const errors: LeadFileError[] = [];
  entries.forEach((entry, index) => {
    if (!isLead(entry)) return;
    const prepared = prepareLead(entry.lead, config);
    if ('issues' in prepared) {
      errors.push(...prepared.issues.map((issue) => ({ line: entry.line, path: issue.path, message: against === null ? issue.message : `${issue.message} (in ${against})` })));
    } else {
      const enriched = companies ? fillFromCompanyTable(startEnrichment(prepared.lead, prepared.domain), (domain) => companies.get(domain)) : prepared;
      leads.push({ line: entry.line, lead: enriched.lead, domain: enriched.domain, at: arrivals[index] ?? 0 });
    }
  });
  return errors.length > 0 ? { errors } : { leads };
}

const isLead = (entry: SimulationEntry): entry is LeadEntry => 'lead' in entry;

/** When the leads without an `at` start arriving, whether --start gave it, and how many such leads there are. */
interface SimulationClock {
  start: number;
  startGiven: boolean;
  untimed: number;
}

/** The file's signals, at their arrival times; `ref: L-<n>` resolved to the n-th lead of the file. */
function prepareSignals(entries: readonly SimulationEntry[], arrivals: readonly number[]): { signals: SimulatedSignal[] } | { errors: LeadFileError[] } {
  const signals: SimulatedSignal[] = [];
  const errors: LeadFileError[] = [];
  entries.forEach((entry, index) => {
    if (isLead(entry)) return;
    const { ref, ...keys } = entry.signal.lead;
    const position = ref === undefined ? undefined : parseLeadRef(ref);
    if (position === null) {
      errors.push({ line: entry.line, path: 'signal.lead.ref', message: `expected L-<n>, the n-th lead of the file, got ${JSON.stringify(ref)}` });
      return;
    }
    const lead = position === undefined ? keys : { index: position - 1 };
    signals.push({ line: entry.line, lead, signal: { channel: entry.signal.channel, kind: entry.signal.kind, at: arrivals[index] ?? 0 } });
  });
  return errors.length > 0 ? { errors } : { signals };
}

function simulate(shownAs: string, config: Config, leads: readonly SimulatedLead[], signals: readonly SimulatedSignal[]): Simulated {
  const result = simulateRouting(compileRouting(config), leads, signals);
  return { shownAs, config, routes: result.routes, signals: result.signals, summary: summarizeSimulation(config, result.routes, result.signals) };
}

/**
 * Replays the file's leads through the config (and the --compare config) and prints the report.
 * Exit 0 with a report; 1 when a config or a lead is invalid (every problem named by line and field);
 * 2 when the file is neither .jsonl nor .csv.
 */
export function runSimulate(line: CommandLine, io: CliIo): number {
  const path = line.args[0] ?? '';
  const startText = line.values.get('start');
  const start = startText === undefined ? SIMULATION_START : parseIsoTime(startText);
  if (start === null) {
    io.stderr.write(`invalid --start ${JSON.stringify(startText)}: ${ISO_TIME_HINT}\n`);
    return 2;
  }
  const input = normalize(path);
  const format = leadFileFormat(path);
  if (format === null) {
    io.stderr.write(`${input}: expected a .jsonl (JSON Lines) or .csv file\n`);
    return 2;
  }
  const configA = loadCliConfig(line.values.get('config'), io);
  const comparePath = line.values.get('compare');
  const configB = comparePath === undefined ? null : loadCliConfig(comparePath, io);
  if (!configA || (comparePath !== undefined && !configB)) return 1;
  const companiesA = openCompanyTable(configA.config, configA.path);
  const companiesB = configB ? openCompanyTable(configB.config, configB.path) : null;
  const tableErrors = [...(companiesA.ok ? [] : companiesA.errors), ...(companiesB && !companiesB.ok ? companiesB.errors : [])];
  if (tableErrors.length > 0 || !companiesA.ok || (companiesB && !companiesB.ok)) {
    io.stderr.write(`${tableErrors.join('\n')}\n`);
    return 1;
  }

  const read = readLeads(path, format);
  if (!read.ok) {
    io.stderr.write(`${formatLeadFileErrors(input, read.errors)}\n`);
    return 1;
  }
  const arrivals = arrivalTimes(read.value, start);
  const clock: SimulationClock = { start, startGiven: startText !== undefined, untimed: read.value.filter((entry) => isLead(entry) && entry.at === undefined).length };
  const leadsA = prepareFor(configA.config, companiesA.file?.table() ?? null, read.value, arrivals, null);
  const leadsB = configB ? prepareFor(configB.config, companiesB?.ok ? (companiesB.file?.table() ?? null) : null, read.value, arrivals, configB.shownAs) : null;
  const signals = prepareSignals(read.value, arrivals);
  const errors = [...('errors' in leadsA ? leadsA.errors : []), ...(leadsB && 'errors' in leadsB ? leadsB.errors : []), ...('errors' in signals ? signals.errors : [])];
  if (errors.length > 0 || !('leads' in leadsA) || !('signals' in signals)) {
    errors.sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
    io.stderr.write(`${formatLeadFileErrors(input, errors)}\n`);
    return 1;
  }
  const a = simulate(configA.shownAs, configA.config, leadsA.leads, signals.signals);
  const b = configB && leadsB && 'leads' in leadsB ? simulate(configB.shownAs, configB.config, leadsB.leads, signals.signals) : null;
  io.stdout.write(line.flags.has('json') ? jsonReport(input, a, b, clock) : textReport(input, a, b, clock, line.flags.has('explain')));
  return 0;
}
