import { describe, expect, it } from 'vitest';
import { formatCsvRow } from '../../src/adapters/csv/formatCsv.ts';
import { parseCsv } from '../../src/adapters/csv/parseCsv.ts';

describe('formatCsvRow', () => {
  it('writes plain cells as they are, empty for null, numbers as numbers, CRLF at the end', () => {
    expect(formatCsvRow(['L-1', null, 87, 0.5, ''])).toBe('L-1,,87,0.5,\r\n');
  });

  it('quotes cells with a comma, a quote or a line break, doubling quotes (RFC 4180)', () => {
    expect(formatCsvRow(['Acme, Inc', 'The "Best" Co', 'two\nlines', 'cr\rlf'])).toBe('"Acme, Inc","The ""Best"" Co","two\nlines","cr\rlf"\r\n');
  });

  it('defuses text a spreadsheet would run as a formula, but not numbers', () => {
    expect(formatCsvRow(['=HYPERLINK("http://evil","x")', '+1 555', '-2', '@SUM(A1)', -2])).toBe(`"'=HYPERLINK(""http://evil"",""x"")",'+1 555,'-2,'@SUM(A1),-2\r\n`);
  });

  it('reads back with the project CSV reader cell for cell', () => {
    const cells = ['L-7', 'a,b', 'say "hi"', 'line\r\nbreak', null, 3];
    const parsed = parseCsv(formatCsvRow(cells));
    expect(parsed).toEqual({ ok: true, records: [{ line: 1, cells: ['L-7', 'a,b', 'say "hi"', 'line\r\nbreak', '', '3'] }] });
  });
});
