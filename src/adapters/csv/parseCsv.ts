/**
 * A small RFC 4180 CSV reader (no dependency) for `leadrelay simulate` lead files and the
 * enrichment company table: comma-separated, fields optionally in double quotes, `""` for a quote
 * inside quotes, and commas and line breaks (LF or CRLF) allowed inside quotes. Lenient where spreadsheets are sloppy: a quote inside an unquoted
 * field is kept as text, as is text after a closing quote. Pure.
 */

export interface CsvRecord {
  /** The 1-based line the record starts on (a quoted line break makes a record span lines). */
  line: number;
  cells: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; error: string };

/** The records of a CSV text, a leading byte-order mark ignored, empty lines skipped. */
export function parseCsv(text: string): CsvResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 1;
  /** Whether anything (even an empty quoted field) has been read for the current record. */
  let started = false;

  const endRecord = () => {
    cells.push(cell);
    if (started) records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
    started = false;
  };

  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (quoted) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        if (char === '\n') line += 1;
        cell += char;
      }
      continue;
    }
    if (char === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
      started = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
      started = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else {
      cell += char;
      started = true;
    }
  }
  if (quoted) return { ok: false, line: quoteLine, error: 'a quoted field is not closed (a " is missing)' };
  endRecord();
  return { ok: true, records };
}
