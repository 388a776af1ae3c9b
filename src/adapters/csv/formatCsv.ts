/**
 * RFC 4180 CSV writing for `leadrelay export` (the reader is parseCsv.ts): CRLF line ends, a field
 * quoted when it holds a comma, quote or line break, `""` for a quote inside. Pure.
 */

export type CsvCell = string | number | null;

/**
 * Text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+…`, `-…`, `@…`) gets a leading
 * `'`: company names and ids come from lead sources, which are not trusted (CSV injection).
 * Numbers are written as numbers.
 */
function cellText(cell: CsvCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function formatCsvRow(cells: readonly CsvCell[]): string {
  return `${cells.map((cell) => quote(cellText(cell))).join(',')}\r\n`;
}
