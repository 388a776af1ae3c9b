/**
 * Lead files for `leadrelay route` (one JSON object) and `leadrelay simulate` (JSON Lines or CSV):
 * read, validated with the same schema as POST /leads, errors named by file, line and
 * field path, so a sales-ops engineer can fix the whole file in one go.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseLeadPayload } from '../adapters/http/leadPayload.ts';
import { signalPayloadSchema } from '../adapters/http/signalsRoute.ts';
import type { SignalChannel, SignalKind } from '../domain/settings.ts';
import { resolvePreRouting, type IntakeConfig } from '../app/acceptLead.ts';
import { describeZodIssues, jsonErrorMap, typeName, type ValidationIssue } from '../config/zodIssues.ts';
import { leadDomain, type Lead } from '../domain/lead.ts';
import { parseCsv } from '../adapters/csv/parseCsv.ts';

/** One problem in a lead file; `line` is 1-based, absent when it concerns the whole file. */
export interface LeadFileError extends ValidationIssue {
  line?: number;
}

/** A validated lead from a file: as POSTed (before pre-routing is resolved against a config). */
export interface LeadEntry {
  /** The 1-based line the lead starts on. */
  line: number;
  lead: Lead;
  /** The `at` key/column: when the lead arrives in a simulation (epoch ms); absent = not given. */
  at?: number;
}

/** A validated signal from a simulation file (POST /signals' body without `id`). */
export interface SignalEntry {
  line: number;
  signal: {
    lead: { email?: string; linkedin_url?: string; external_id?: string; ref?: string };
    channel: SignalChannel;
    kind: SignalKind;
  };
  /** The signal's `at` (epoch ms); absent = not given. */
  at?: number;
}

/** One line (JSONL) or row (CSV) of a simulation file: a lead or a signal. */
export type SimulationEntry = LeadEntry | SignalEntry;

export type LeadFileResult<T> = { ok: true; value: T } | { ok: false; errors: LeadFileError[] };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO 8601 time WITH a zone (`2026-01-05T09:00:00Z`, `2026-01-05T10:00+01:00`) as epoch ms; null
 * otherwise. A zone is required: without one the result would depend on the machine's time zone.
 */
export function parseIsoTime(text: string): number | null {
  const trimmed = text.trim();
  if (!ISO_TIME.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms;
}

export const ISO_TIME_HINT = 'expected an ISO time with a zone, e.g. 2026-01-05T09:00:00Z';

/** One line per error: `leads.csv:7 company.employees: expected number, got string`. */
export function formatLeadFileErrors(fileName: string, errors: readonly LeadFileError[], limit = 50): string {
  const lines = errors.slice(0, limit).map((error) => {
    const where = error.line === undefined ? fileName : `${fileName}:${error.line}`;
    return error.path === '' ? `${where}: ${error.message}` : `${where} ${error.path}: ${error.message}`;
  });
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more errors`);
  return lines.join('\n');
}

function readText(path: string, what: string): LeadFileResult<string> {
  try {
    return { ok: true, value: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${(error as Error).message}`;
    return { ok: false, errors: [{ path: '', message }] };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A lead object validated with the POST /leads schema. */
export function validateLeadPayload(data: unknown): { lead: Lead } | { issues: ValidationIssue[] } {
  const result = parseLeadPayload(data);
  return result.ok ? { lead: result.lead } : { issues: result.issues };
}

/**
 * The lead as the app stores and routes it: pre-routing resolved against the config (an owner given
 * by e-mail becomes their Slack id; an unknown owner or team is an issue), and the company domain
 * filled in from the e-mail when not given (see acceptLead).
 */
export function prepareLead(lead: Lead, config: IntakeConfig): { lead: Lead; domain: string | null } | { issues: ValidationIssue[] } {
  const resolved = resolvePreRouting(lead, config);
  if ('issues' in resolved) return resolved;
  const domain = leadDomain(lead);
  return { lead: { ...resolved.lead, company: { ...resolved.lead.company, ...(domain ? { domain } : {}) } }, domain };
}

/** `leadrelay route`'s lead file: one JSON object as POSTed to /leads. */
export function readLeadFile(path: string): LeadFileResult<Lead> {
  const text = readText(path, 'lead file');
  if (!text.ok) return text;
  let data: unknown;
  try {
    data = JSON.parse(text.value);
  } catch (error) {
    return { ok: false, errors: [{ path: '', message: `invalid JSON: ${(error as Error).message}` }] };
  }
  if (!isObject(data)) return { ok: false, errors: [{ path: '', message: `expected a JSON object (one lead), got ${typeName(data, 'json')}` }] };
  const result = validateLeadPayload(data);
  return 'lead' in result ? { ok: true, value: result.lead } : { ok: false, errors: result.issues };
}

/** Takes the `at` key off a raw lead (the lead schema does not know it) and parses it. */
function takeArrival(raw: Record<string, unknown>, line: number, errors: LeadFileError[]): { data: Record<string, unknown>; at?: number } {
  if (!('at' in raw)) return { data: raw };
  const { at, ...data } = raw;
  if (at === undefined) return { data };
  const ms = typeof at === 'string' ? parseIsoTime(at) : null;
  if (ms === null) {
    errors.push({ line, path: 'at', message: typeof at === 'string' ? `${ISO_TIME_HINT}, got ${JSON.stringify(at)}` : `${ISO_TIME_HINT}, got ${typeName(at, 'json')}` });
    return { data };
  }
  return { data, at: ms };
}

/** Validates one raw lead of a simulation file into `entries`, or its problems into `errors`. */
function collect(raw: Record<string, unknown>, line: number, entries: SimulationEntry[], errors: LeadFileError[]): void {
  const before = errors.length;
  const { data, at } = takeArrival(raw, line, errors);
  const result = validateLeadPayload(data);
  if ('issues' in result) errors.push(...result.issues.map((issue) => ({ line, ...issue })));
  else if (errors.length === before) entries.push({ line, lead: result.lead, ...(at === undefined ? {} : { at }) });
}

const signalSchema = signalPayloadSchema.omit({ id: true });

/** Validates one raw signal (the value of a `{"signal": …}` line) into `entries`, or its problems (paths under `signal.`) into `errors`. */
function collectSignal(raw: unknown, line: number, entries: SimulationEntry[], errors: LeadFileError[]): void {
  const result = signalSchema.safeParse(raw, { error: jsonErrorMap });
  if (!result.success) {
    errors.push(...describeZodIssues(result.error.issues).map((issue) => ({ line, path: issue.path === '' ? 'signal' : `signal.${issue.path}`, message: issue.message })));
    return;
  }
  const { at, ...signal } = result.data;
  const ms = at === undefined ? undefined : parseIsoTime(at);
  if (ms === null) {
    errors.push({ line, path: 'signal.at', message: `${ISO_TIME_HINT}, got ${JSON.stringify(at)}` });
    return;
  }
  entries.push({ line, signal, ...(ms === undefined ? {} : { at: ms }) });
}

/** JSON Lines: one lead object, or `{"signal": {…}}`, per line; blank lines are ignored. */
export function parseJsonLines(text: string): LeadFileResult<SimulationEntry[]> {
  const entries: SimulationEntry[] = [];
  const errors: LeadFileError[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = index + 1;
    const source = index === 0 && rawLine.startsWith('\uFEFF') ? rawLine.slice(1) : rawLine;
    if (source.trim() === '') return;
    let data: unknown;
    try {
      data = JSON.parse(source);
    } catch (error) {
      errors.push({ line, path: '', message: `invalid JSON: ${(error as Error).message}` });
      return;
    }
    if (!isObject(data)) {
      errors.push({ line, path: '', message: `expected a JSON object (one lead per line), got ${typeName(data, 'json')}` });
      return;
    }
    if ('signal' in data) {
      const extra = Object.keys(data).filter((key) => key !== 'signal');
      if (extra.length > 0) errors.push({ line, path: '', message: `a signal line has only the key "signal", got also ${extra.map((key) => `"${key}"`).join(', ')}` });
      else collectSignal(data.signal, line, entries, errors);
      return;
    }
    collect(data, line, entries, errors);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: entries };
}

/**
 * The CSV columns: lead fields in dotted form, `fields.<name>`, `at`, and the signal pair
 * `signal_kind` + `signal_channel`: a row with `signal_kind` set is a signal (not a lead) about the
 * lead matched by its email / linkedin_url / external_id cells (the first given of external_id,
 * email, linkedin_url, as POST /signals does), at its `at`; its other cells are ignored.
 */
export const CSV_COLUMNS = [
  'email', 'linkedin_url', 'name', 'title', 'phone', 'source', 'score', 'external_id', 'owner', 'team', 'crm_url', 'message',
  'company.name', 'company.domain', 'company.employees', 'company.industry', 'company.country', 'company.region', 'at',
  'signal_kind', 'signal_channel',
] as const;

const SIGNAL_LEAD_COLUMNS = ['email', 'linkedin_url', 'external_id'] as const;

const NUMBER_COLUMNS = new Set(['score', 'company.employees']);

/** A decimal number as people write it; no leading zeros (`02134` is a code, kept as text), no exponent. */
const NUMERIC = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/** A `fields.*` cell: a number when it looks like one, true/false as booleans, else the text. */
function fieldValue(cell: string): string | number | boolean {
  if (NUMERIC.test(cell)) return Number(cell);
  const lower = cell.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return cell;
}

/** A number column's cell as a number; anything else is left as text for the schema to reject by path. */
function numberValue(cell: string): string | number {
  return NUMERIC.test(cell) ? Number(cell) : cell;
}

function isColumn(name: string): boolean {
  return (CSV_COLUMNS as readonly string[]).includes(name) || (name.startsWith('fields.') && name.length > 'fields.'.length);
}

/** One CSV row as the JSON object a lead source would POST; cells are trimmed, empty ones are absent. */
function rowObject(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const lead: Record<string, unknown> = {};
  const company: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  header.forEach((column, index) => {
    const cell = (cells[index] ?? '').trim();
    if (cell === '') return;
    if (column.startsWith('fields.')) fields[column.slice('fields.'.length)] = fieldValue(cell);
    else if (column.startsWith('company.')) company[column.slice('company.'.length)] = NUMBER_COLUMNS.has(column) ? numberValue(cell) : cell;
    else lead[column] = NUMBER_COLUMNS.has(column) ? numberValue(cell) : cell;
  });
  if (Object.keys(company).length > 0) lead.company = company;
  if (Object.keys(fields).length > 0) lead.fields = fields;
  return lead;
}

/** CSV with a header row naming the columns (see CSV_COLUMNS); empty cells are absent. */
export function parseLeadCsv(text: string): LeadFileResult<SimulationEntry[]> {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, errors: [{ line: parsed.line, path: '', message: parsed.error }] };
  const [head, ...rows] = parsed.records;
  if (!head) return { ok: true, value: [] };
  const errors: LeadFileError[] = [];
  const header = head.cells.map((cell) => cell.trim());
  const seen = new Set<string>();
  header.forEach((column) => {
    if (column === '') errors.push({ line: head.line, path: '', message: 'a column has no name in the header row' });
    else if (!isColumn(column)) errors.push({ line: head.line, path: '', message: `unknown column "${column}" (columns: ${CSV_COLUMNS.join(', ')}, fields.<name>)` });
    else if (seen.has(column)) errors.push({ line: head.line, path: '', message: `column "${column}" appears twice` });
    seen.add(column);
  });
  if (errors.length > 0) return { ok: false, errors };
  const entries: SimulationEntry[] = [];
  for (const row of rows) {
    if (row.cells.every((cell) => cell.trim() === '')) continue;
    if (row.cells.length > header.length) {
      errors.push({ line: row.line, path: '', message: `${row.cells.length} cells, but the header has ${header.length} columns (quote cells that contain commas)` });
      continue;
    }
    const { signal_kind: kind, signal_channel: channel, ...raw } = rowObject(header, row.cells);
    if (kind === undefined) {
      if (channel !== undefined) errors.push({ line: row.line, path: 'signal_kind', message: 'a row with signal_channel is a signal: set signal_kind too' });
      else collect(raw, row.line, entries, errors);
      continue;
    }
    const lead = Object.fromEntries(SIGNAL_LEAD_COLUMNS.filter((column) => raw[column] !== undefined).map((column) => [column, raw[column]]));
    collectSignal({ lead, kind, channel, ...(raw.at === undefined ? {} : { at: raw.at }) }, row.line, entries, errors);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: entries };
}

/** `leadrelay simulate`'s input, by extension: `.csv` is CSV, `.jsonl`/`.ndjson`/`.json` JSON Lines. */
export function leadFileFormat(path: string): 'csv' | 'jsonl' | null {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return null;
}

/** Reads and validates a simulation's leads and signals, in file order (the format from the file's extension). */
export function readLeads(path: string, format: 'csv' | 'jsonl'): LeadFileResult<SimulationEntry[]> {
  const text = readText(path, 'leads file');
  if (!text.ok) return text;
  return format === 'csv' ? parseLeadCsv(text.value) : parseJsonLines(text.value);
}
