/**
 * The local company table of `enrichment.companies`: a CSV file with a header row naming
 * its columns (`domain,name,employees,industry,country,region`; only `domain` is required, the
 * others in any order), read at start and on SIGHUP. A file with any bad row is refused as a whole,
 * with every problem named by row (the file's line number, which is the spreadsheet's row number),
 * so a half-read table never routes leads differently from what the file says.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ENRICHED_COMPANY_FIELDS, type CompanyFacts, type EnrichedCompanyField } from '../../domain/enrichment.ts';
import { isFreeMailDomain, normalizeDomain } from '../../domain/lead.ts';
import { parseCsv } from '../csv/parseCsv.ts';

/** Companies by normalized domain (`acme.com`). */
export type CompanyTable = ReadonlyMap<string, CompanyFacts>;

export const COMPANY_COLUMNS = ['domain', ...ENRICHED_COMPANY_FIELDS] as const;

/** One problem in the file; `row` is the 1-based line the row starts on (the header is row 1). */
export interface CompanyTableError {
  row?: number;
  message: string;
}

export type CompanyTableResult = { ok: true; table: CompanyTable } | { ok: false; errors: CompanyTableError[] };

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const WHOLE_NUMBER = /^\d{1,9}$/;
const MAX_TEXT = 200;

/** A cell as the value the lead gets, or the problem with it. */
function cellValue(column: EnrichedCompanyField, cell: string): { value: string | number } | { error: string } {
  if (column === 'employees') {
    const digits = cell.replace(/[ _]/g, '');
    return WHOLE_NUMBER.test(digits) ? { value: Number(digits) } : { error: `expected a number, got ${JSON.stringify(cell)}` };
  }
  return cell.length > MAX_TEXT ? { error: `at most ${MAX_TEXT} characters` } : { value: cell };
}

/** Reads the text of a company table; every problem at once. */
export function parseCompanyTable(text: string): CompanyTableResult {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { ok: false, errors: [{ row: parsed.line, message: parsed.error }] };
  const [head, ...rows] = parsed.records;
  if (!head) return { ok: false, errors: [{ message: `the file is empty (expected a header row: ${COMPANY_COLUMNS.join(',')})` }] };

  const errors: CompanyTableError[] = [];
  const header = head.cells.map((cell) => cell.trim().toLowerCase());
  const seen = new Set<string>();
  header.forEach((column) => {
    if (column === '') errors.push({ row: head.line, message: 'a column has no name in the header row' });
    else if (!(COMPANY_COLUMNS as readonly string[]).includes(column)) errors.push({ row: head.line, message: `unknown column "${column}" (columns: ${COMPANY_COLUMNS.join(', ')})` });
    else if (seen.has(column)) errors.push({ row: head.line, message: `column "${column}" appears twice` });
    seen.add(column);
  });
  if (!seen.has('domain')) errors.push({ row: head.line, message: `no "domain" column (the header row names the columns: ${COMPANY_COLUMNS.join(',')})` });
  if (errors.length > 0) return { ok: false, errors };

  const table = new Map<string, CompanyFacts>();
  const firstRow = new Map<string, number>();
  for (const record of rows) {
    if (record.cells.every((cell) => cell.trim() === '')) continue;
    const row = record.line;
    if (record.cells.length > header.length) {
      errors.push({ row, message: `${record.cells.length} cells, but the header has ${header.length} columns (quote cells that contain commas)` });
      continue;
    }
    const facts: Record<string, string | number> = {};
    let domain: string | null = null;
    header.forEach((column, index) => {
      const cell = (record.cells[index] ?? '').trim();
      if (column === 'domain') {
        const normalized = normalizeDomain(cell);
        if (cell === '') errors.push({ row, message: 'domain: missing' });
        else if (!DOMAIN.test(normalized)) errors.push({ row, message: `domain: invalid domain ${JSON.stringify(cell)} (use the bare domain, e.g. acme.com)` });
        else if (isFreeMailDomain(normalized)) errors.push({ row, message: `domain: ${normalized} is a free-mail domain (its users are not one company); remove the row` });
        else domain = normalized;
        return;
      }
      if (cell === '') return;
      const value = cellValue(column as EnrichedCompanyField, cell);
      if ('error' in value) errors.push({ row, message: `${column}: ${value.error}` });
      else facts[column] = value.value;
    });
    if (domain === null) continue;
    const first = firstRow.get(domain);
    if (first !== undefined) {
      errors.push({ row, message: `domain: ${domain} is already on row ${first}` });
      continue;
    }
    firstRow.set(domain, row);
    table.set(domain, facts as CompanyFacts);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, table };
}

/** `companies.csv row 7: employees: expected a number, got "many"`, at most `limit` lines. */
export function formatCompanyTableErrors(shownAs: string, errors: readonly CompanyTableError[], limit = 50): string[] {
  const lines = errors.slice(0, limit).map((error) => (error.row === undefined ? `${shownAs}: ${error.message}` : `${shownAs} row ${error.row}: ${error.message}`));
  if (errors.length > limit) lines.push(`… and ${errors.length - limit} more errors in ${shownAs}`);
  return lines;
}

/**
 * The configured company table, kept in memory: `reload()` reads the file again and swaps the table
 * in only when the new file is valid (otherwise the previous table stays in use).
 */
export interface CompanyTableFile {
  /** The path as written in the config. */
  shownAs: string;
  /** The path read: relative paths are resolved against the config file's folder. */
  path: string;
  table(): CompanyTable;
  reload(): { ok: true; size: number } | { ok: false; errors: string[] };
}

/** Reads the file at `path`; errors as printable lines. */
function readCompanyTable(path: string, shownAs: string): { ok: true; table: CompanyTable } | { ok: false; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = path === shownAs ? '' : ` (looked for ${path})`;
    const message = code === 'ENOENT' ? `file not found: ${shownAs}${where}` : `cannot read ${shownAs}: ${(error as Error).message}`;
    return { ok: false, errors: [`enrichment.companies: ${message}`] };
  }
  const parsed = parseCompanyTable(text);
  return parsed.ok ? parsed : { ok: false, errors: formatCompanyTableErrors(shownAs, parsed.errors) };
}

/**
 * Opens the company table of `config.enrichment.companies` (null when not configured), resolving
 * a relative path against the folder of the config file at `configPath`.
 */
export function openCompanyTable(config: { enrichment?: { companies?: string | undefined } | undefined }, configPath: string): { ok: true; file: CompanyTableFile | null } | { ok: false; errors: string[] } {
  const shownAs = config.enrichment?.companies;
  if (shownAs === undefined) return { ok: true, file: null };
  const path = resolve(dirname(configPath), shownAs);
  const first = readCompanyTable(path, shownAs);
  if (!first.ok) return first;
  let current = first.table;
  return {
    ok: true,
    file: {
      shownAs,
      path,
      table: () => current,
      reload() {
        const next = readCompanyTable(path, shownAs);
        if (!next.ok) return next;
        current = next.table;
        return { ok: true, size: current.size };
      },
    },
  };
}
