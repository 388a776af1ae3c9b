import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/adapters/csv/parseCsv.ts';

describe('parseCsv', () => {
  it('splits records on commas and line breaks (LF or CRLF), numbering the lines records start on', () => {
    expect(parseCsv('a,b\r\n1,2\n\n3,\n')).toEqual({
      ok: true,
      records: [
        { line: 1, cells: ['a', 'b'] },
        { line: 2, cells: ['1', '2'] },
        { line: 4, cells: ['3', ''] },
      ],
    });
  });

  it('reads commas, doubled quotes and line breaks inside quotes', () => {
    expect(parseCsv('"Acme, Inc.","say ""hi""","two\nlines"\nnext,"",x')).toEqual({
      ok: true,
      records: [
        { line: 1, cells: ['Acme, Inc.', 'say "hi"', 'two\nlines'] },
        { line: 3, cells: ['next', '', 'x'] },
      ],
    });
  });

  it('ignores a byte-order mark and keeps a stray quote inside an unquoted field', () => {
    expect(parseCsv('\uFEFFname\n5" screen\n')).toEqual({ ok: true, records: [{ line: 1, cells: ['name'] }, { line: 2, cells: ['5" screen'] }] });
  });

  it('reports a quoted field that is never closed, with the line it opens on', () => {
    expect(parseCsv('a,b\n1,"open\n2,3\n')).toEqual({ ok: false, line: 2, error: 'a quoted field is not closed (a " is missing)' });
  });
});
