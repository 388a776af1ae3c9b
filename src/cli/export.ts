/**
 * `leadrelay export [--since 30d] [--db file | --database-url url] [--config file]`: a CSV of the
 * leads received since then, with owner, times to first offer and to claim, offers and outcome, on
 * stdout. The database is only read, so it runs beside the bot: SQLite opened read-only (WAL: a
 * consistent snapshot, no lock held against the bot's writes), PostgreSQL (DATABASE_URL) in one
 * read-only repeatable-read transaction. No contact data is exported: rows join the CRM by
 * external_id or crm_url.
 */
import { existsSync } from 'node:fs';
import type { ExportedLead } from '../adapters/exportedLead.ts';
import { connectPostgres, PostgresUnavailableError } from '../adapters/postgres/connectPostgres.ts';
import { postgresSchemaProblem } from '../adapters/postgres/migratePostgres.ts';
import { postgresLeadExport } from '../adapters/postgres/postgresLeadExport.ts';
import { sqliteLeadExport } from '../adapters/sqlite/sqliteLeadExport.ts';
import { shownDatabaseUrl } from '../config/env.ts';
import { DURATION_HINT, parseDuration } from '../domain/duration.ts';
import type { Config } from '../config/schema.ts';
import { leadRef } from '../domain/lead.ts';
import { formatCsvRow, type CsvCell } from '../adapters/csv/formatCsv.ts';
import type { CliIo, CommandLine } from './index.ts';
import { cliConfigPath, loadCliConfig } from './loadCliConfig.ts';
import { cliStore } from './cliStore.ts';
import { openReadOnlyDatabase } from './readOnlyDatabase.ts';
import { parseIsoTime } from './readLeadFile.ts';

export const DEFAULT_EXPORT_SINCE = '30d';

export const EXPORT_COLUMNS = [
  'ref',
  'external_id',
  'received_at',
  'source',
  'company',
  'domain',
  'score',
  'state',
  'outcome',
  'owner_id',
  'owner_name',
  'owner_email',
  'team',
  'rule',
  'sequence',
  'first_offered_at',
  'seconds_to_first_offer',
  'claimed_at',
  'seconds_to_claim',
  'offers',
  'passed',
  'expired',
  'escalated',
  'done_at',
  'crm_url',
] as const;

export const EXPORT_DETAILS = [
  'Columns: ' + EXPORT_COLUMNS.join(', ') + '.',
  'Times are UTC (2026-11-24T14:00:00Z). claimed_at is when the lead first got an owner; outcome says',
  'how: claimed (a rep clicked Claim), taken (a manager took it), assigned (a manager picked the rep),',
  'reassigned (/reassign before anyone owned it), sequence, or waiting (no owner yet). escalated is',
  'max_offers or queued when a manager was pinged. owner_name and owner_email come from the config.',
  '--since takes a duration back from now (30d, 12h, 2w) or an ISO time (2026-11-01T00:00:00Z).',
].join('\n');

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const secondsBetween = (from: number, to: number | null): number | null => (to === null ? null : Math.round((to - from) / 1000));

/** The epoch ms `--since` names (a duration back from `now`, or an ISO time); null when it is neither. */
export function parseSince(text: string, now: number): number | null {
  const duration = parseDuration(text);
  if (duration !== null) return now - duration;
  return parseIsoTime(text);
}

function outcome(lead: ExportedLead): string {
  if (lead.firstOwner) return lead.firstOwner.how;
  return lead.state === 'in_sequence' ? 'sequence' : 'waiting';
}

function csvCells(lead: ExportedLead, config: Config | null): CsvCell[] {
  const owner = lead.ownerId === null ? undefined : config?.reps.find((rep) => rep.id === lead.ownerId);
  return [
    leadRef(lead.id),
    lead.externalId,
    iso(lead.receivedAt),
    lead.source,
    lead.company,
    lead.domain,
    lead.score,
    lead.state,
    outcome(lead),
    lead.ownerId,
    owner?.name ?? null,
    owner?.email ?? null,
    lead.teamId,
    lead.routedBy,
    lead.sequenceId,
    iso(lead.firstOfferedAt),
    secondsBetween(lead.receivedAt, lead.firstOfferedAt),
    iso(lead.firstOwner?.at ?? null),
    secondsBetween(lead.receivedAt, lead.firstOwner?.at ?? null),
    lead.offers,
    lead.passed,
    lead.expired,
    lead.escalation,
    iso(lead.doneAt),
    lead.crmUrl,
  ];
}

/** The config for owner names and e-mails: the one given, else the one found by default when there is one, else none. */
function exportConfig(line: CommandLine, io: CliIo): { config: Config | null } | null {
  const given = line.values.get('config');
  const found = cliConfigPath(given, io.env).path;
  if (given === undefined && !existsSync(found)) {
    io.stderr.write(`no config at ${found}: owner_name and owner_email are left empty\n`);
    return { config: null };
  }
  const loaded = loadCliConfig(given, io);
  return loaded ? { config: loaded.config } : null;
}

/** Rows are written in chunks, so a large export is not one write per lead. */
const CHUNK_ROWS = 500;

/** Writes the header and the rows; returns how many. */
async function writeCsv(leads: Iterable<ExportedLead> | AsyncIterable<ExportedLead>, config: Config | null, io: CliIo): Promise<number> {
  let chunk = formatCsvRow(EXPORT_COLUMNS);
  let rows = 0;
  for await (const lead of leads) {
    chunk += formatCsvRow(csvCells(lead, config));
    rows += 1;
    if (rows % CHUNK_ROWS === 0) {
      io.stdout.write(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') io.stdout.write(chunk);
  return rows;
}

/** The leads of the store the command line names, written as CSV; the database shown as, or why nothing was exported. */
async function exportFrom(line: CommandLine, io: CliIo, since: number, config: Config | null): Promise<{ rows: number; shownAs: string } | { problem: string; usage?: true }> {
  const store = cliStore(line, io.env);
  if ('problem' in store) return { problem: store.problem, usage: true };
  if (store.kind === 'sqlite') {
    const opened = openReadOnlyDatabase(store.path);
    if (!opened.ok) return { problem: opened.problem };
    try {
      return { rows: await writeCsv(sqliteLeadExport(opened.db).since(since), config, io), shownAs: opened.shownAs };
    } finally {
      opened.db.close();
    }
  }
  const shownAs = shownDatabaseUrl(store.url);
  let pool;
  try {
    pool = await connectPostgres(store.url, { name: store.name, max: 1 });
  } catch (error) {
    if (error instanceof PostgresUnavailableError) return { problem: error.message };
    throw error;
  }
  try {
    const problem = await postgresSchemaProblem(pool);
    if (problem !== null) return { problem: `the database ${shownAs} ${problem}` };
    return { rows: await writeCsv(postgresLeadExport(pool).since(since), config, io), shownAs };
  } finally {
    await pool.end();
  }
}

/**
 * Writes the CSV to stdout and a one-line summary to stderr. Exit 0; 1 when the database or the
 * config cannot be used; 2 when `--since` is neither a duration nor an ISO time, or the database
 * options are wrong.
 */
export async function runExport(line: CommandLine, io: CliIo): Promise<number> {
  const sinceText = line.values.get('since') ?? DEFAULT_EXPORT_SINCE;
  const since = parseSince(sinceText, Date.now());
  if (since === null) {
    io.stderr.write(`invalid --since ${JSON.stringify(sinceText)}: ${DURATION_HINT}, or an ISO time with a zone such as 2026-11-01T00:00:00Z\n`);
    return 2;
  }
  const loaded = exportConfig(line, io);
  if (!loaded) return 1;
  const result = await exportFrom(line, io, since, loaded.config);
  if ('problem' in result) {
    io.stderr.write(`${result.problem}: nothing exported\n`);
    return result.usage ? 2 : 1;
  }
  io.stderr.write(`exported ${result.rows} lead${result.rows === 1 ? '' : 's'} received since ${iso(since)} from ${result.shownAs}\n`);
  return 0;
}
