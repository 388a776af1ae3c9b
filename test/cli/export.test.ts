import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../src/adapters/sqlite/sqliteStore.ts';
import { EXPORT_COLUMNS, parseSince } from '../../src/cli/export.ts';
import { parseCsv } from '../../src/adapters/csv/parseCsv.ts';
import type { Lead } from '../../src/domain/lead.ts';
import { runCliCaptured, useTempDir } from '../support/cli.ts';

const CONFIG = fileURLToPath(new URL('../fixtures/routing.yml', import.meta.url));
const DAY = 24 * 3_600_000;

const temp = useTempDir('leadrelay-export-');

/** A database with one lead received at each of the given times (epoch ms). */
async function databaseWith(receivedAt: number[]): Promise<string> {
  const path = join(temp.dir, 'leadrelay.db');
  const db = openDatabase(path);
  await sqliteStore(db).uow.run(async (tx) => {
    for (const [i, at] of receivedAt.entries()) {
      const lead: Lead = { source: 'form', email: `lead${i}@example.com`, company: { name: `Company ${i}` }, fields: {} };
      await tx.leads.insert({ lead, externalId: `ext-${i}`, emailKey: `lead${i}@example.com`, linkedinKey: null, domain: 'example.com', receivedAt: at });
    }
  });
  db.close();
  return path;
}

/** The CSV's data rows as header → cell maps. */
function rows(csv: string): Record<string, string>[] {
  const parsed = parseCsv(csv);
  if (!parsed.ok) throw new Error(parsed.error);
  const [header, ...records] = parsed.records;
  return records.map((record) => Object.fromEntries((header?.cells ?? []).map((name, i) => [name, record.cells[i] ?? ''])));
}

describe('leadrelay export', () => {
  it('exports the leads received in the last 30 days by default, with a header row, and says how many on stderr', async () => {
    const now = Date.now();
    const db = await databaseWith([now - 40 * DAY, now - 29 * DAY, now - DAY]);
    const result = await runCliCaptured(['export', '--db', db, '--config', CONFIG]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(rows(result.stdout).map((row) => row.external_id)).toEqual(['ext-1', 'ext-2']);
    expect(result.stderr).toMatch(/^exported 2 leads received since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z from .*leadrelay\.db\n$/);
  });

  it('takes --since as a duration or an ISO time', async () => {
    const db = await databaseWith([Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-11-02T08:00:00Z')]);
    const since = await runCliCaptured(['export', '--db', db, '--config', CONFIG, '--since', '2026-11-01T00:00:00Z']);
    expect(rows(since.stdout).map((row) => [row.ref, row.received_at])).toEqual([['L-2', '2026-11-02T08:00:00Z']]);
    const everything = await runCliCaptured(['export', '--db', db, '--config', CONFIG, '--since', '5200w']);
    expect(rows(everything.stdout)).toHaveLength(2);
  });

  it('writes a lead that was never routed as waiting, with empty times', async () => {
    const db = await databaseWith([Date.parse('2026-11-02T08:00:00Z')]);
    const [row] = rows((await runCliCaptured(['export', '--db', db, '--config', CONFIG, '--since', '2026-11-01T00:00:00Z'])).stdout);
    expect(row).toMatchObject({ ref: 'L-1', state: 'received', outcome: 'waiting', source: 'form', company: 'Company 0', domain: 'example.com', owner_id: '', first_offered_at: '', seconds_to_claim: '', offers: '0' });
  });

  it('never exports contact data', async () => {
    const db = await databaseWith([Date.now() - DAY]);
    const result = await runCliCaptured(['export', '--db', db, '--config', CONFIG]);
    expect(result.stdout).not.toContain('lead0@example.com');
    expect(EXPORT_COLUMNS).not.toContain('email');
  });

  it('reads the database without changing it', async () => {
    const db = await databaseWith([Date.now() - DAY]);
    const before = readFileSync(db);
    expect((await runCliCaptured(['export', '--db', db, '--config', CONFIG])).code).toBe(0);
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('uses LEADRELAY_DB, and exports without owner names when there is no config at the default path', async () => {
    const db = await databaseWith([Date.now() - DAY]);
    const missing = join(temp.dir, 'none.yml');
    const result = await runCliCaptured(['export'], { LEADRELAY_DB: db, LEADRELAY_CONFIG: missing });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`no config at ${missing}: owner_name and owner_email are left empty\n`);
    expect(rows(result.stdout)).toHaveLength(1);
  });

  it('stops on an invalid config it was given, and exits 1', async () => {
    const db = await databaseWith([]);
    const bad = temp.file('bad.yml', 'reps: 3\n');
    const result = await runCliCaptured(['export', '--db', db, '--config', bad]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain(bad);
  });

  it('says there is no database, and exits 1', async () => {
    const path = join(temp.dir, 'missing.db');
    const result = await runCliCaptured(['export', '--db', path, '--config', CONFIG]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `no database at ${path}: nothing exported\n` });
  });

  it('rejects a --since that is neither a duration nor an ISO time, and exits 2', async () => {
    const result = await runCliCaptured(['export', '--since', 'last month']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('invalid --since "last month": use 30s, 5m, 1h, 30d, or an ISO time with a zone such as 2026-11-01T00:00:00Z\n');
  });

  it('takes no positional argument', async () => {
    const result = await runCliCaptured(['export', 'leads.csv']);
    expect(result).toMatchObject({ code: 2, stderr: 'too many arguments for export\nUsage: leadrelay export [--since when] [--db file] [--database-url url] [--config file]\n' });
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-24T14:00:00Z');
  it('reads a duration back from now, or an ISO time with a zone', () => {
    expect(parseSince('30d', now)).toBe(now - 30 * DAY);
    expect(parseSince('1h30m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('2026-11-01T00:00:00+01:00', now)).toBe(Date.parse('2026-10-31T23:00:00Z'));
    expect(parseSince('2026-11-01', now)).toBeNull();
    expect(parseSince('30', now)).toBeNull();
  });
});
