/**
 * `leadrelay export [--since 30d] [--db file] [--config file]`: a CSV of the leads received
 * since then, with owner, times to first offer and to claim, offers and outcome, on stdout. The
 * database is opened read-only, so it runs beside the bot (WAL: a consistent snapshot, no lock
 * held against the bot's writes). No contact data is exported: rows join the CRM by external_id
 * or crm_url.
 */
import { existsSync } from 'node:fs';
import { sqliteLeadExport, type ExportedLead } from '../adapters/sqlite/sqliteLeadExport.ts';
import { DURATION_HINT, parseDuration } from '../domain/duration.ts';
import type { Config } from '../config/schema.ts';
import { leadRef } from '../domain/lead.ts';
import { formatCsvRow, type CsvCell } from '../adapters/csv/formatCsv.ts';
import type { CliIo, CommandLine } from './index.ts';
import { cliConfigPath, loadCliConfig } from './loadCliConfig.ts';
import { cliDatabasePath, openReadOnlyDatabase } from './readOnlyDatabase.ts';
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

/**
 * Writes the CSV to stdout and a one-line summary to stderr. Exit 0; 1 when the database or the
 * config cannot be used; 2 when `--since` is neither a duration nor an ISO time.
 */
export function runExport(line: CommandLine, io: CliIo): number {
  const sinceText = line.values.get('since') ?? DEFAULT_EXPORT_SINCE;
  const since = parseSince(sinceText, Date.now());
  if (since === null) {
    io.stderr.write(`invalid --since ${JSON.stringify(sinceText)}: ${DURATION_HINT}, or an ISO time with a zone such as 2026-11-01T00:00:00Z\n`);
    return 2;
  }
  const loaded = exportConfig(line, io);
  if (!loaded) return 1;
  const opened = openReadOnlyDatabase(cliDatabasePath(line.values.get('db'), io.env));
  if (!opened.ok) {
    io.stderr.write(`${opened.problem}: nothing exported\n`);
    return 1;
  }
  try {
    let chunk = formatCsvRow(EXPORT_COLUMNS);
    let rows = 0;
    for (const lead of sqliteLeadExport(opened.db).since(since)) {
      chunk += formatCsvRow(csvCells(lead, loaded.config));
      rows += 1;
      if (rows % CHUNK_ROWS === 0) {
        io.stdout.write(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') io.stdout.write(chunk);
    io.stderr.write(`exported ${rows} lead${rows === 1 ? '' : 's'} received since ${iso(since)} from ${opened.shownAs}\n`);
    return 0;
  } finally {
    opened.db.close();
  }
}
