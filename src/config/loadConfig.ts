/**
 * Reads leadrelay.yml and validates it, turning every problem into `file:line path: message` so that
 * a sales-ops engineer can fix the whole file in one go.
 */
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { validateConfig, type Config } from './schema.ts';
import { formatIssuePath, type ValidationIssue } from './zodIssues.ts';

/** One problem in the config file; `line` is 1-based, absent when the problem concerns the whole file. */
export interface ConfigError extends ValidationIssue {
  line?: number;
}

/**
 * A valid config, or every problem in it; `companies` is the file's `enrichment.companies` as
 * written, when it names one, so that `leadrelay check` can check that table in the same run.
 */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[]; companies?: string };

/** `enrichment.companies` as written, when it is a path at all. */
function companiesOf(data: unknown): { companies?: string } {
  const enrichment = typeof data === 'object' && data !== null ? (data as { enrichment?: unknown }).enrichment : undefined;
  const companies = typeof enrichment === 'object' && enrichment !== null ? (enrichment as { companies?: unknown }).companies : undefined;
  return typeof companies === 'string' && companies.trim() !== '' ? { companies } : {};
}

/**
 * Where in the text the YAML node at `path` starts, or its nearest existing ancestor (a missing key
 * is reported where its parent map is). For a map entry it is the key, where a reader looks.
 */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  const start = (node: unknown) => (isScalar(node) || isMap(node) || isSeq(node) ? node.range?.[0] : undefined);
  let node: unknown = doc.contents;
  let offset = start(node);
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      offset = start(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && key < node.items.length) {
      node = node.items[key];
      offset = start(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

/** Errors in reading order: by position in the file, whole-file errors last. */
function inFileOrder(errors: (ConfigError & { offset?: number | undefined })[]): ConfigError[] {
  const position = (error: { offset?: number | undefined }) => error.offset ?? Number.POSITIVE_INFINITY;
  return errors.sort((a, b) => position(a) - position(b)).map(({ offset: _offset, ...error }) => error);
}

/**
 * Parses and validates the text of a config file. Returns the config, or every problem found (YAML
 * syntax first, since nothing else can be checked then), sorted by line.
 */
export function parseConfig(text: string, fileName: string): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) => ({
      path: '',
      message: `invalid YAML: ${error.message}`,
      line: lineCounter.linePos(error.pos[0]).line,
      offset: error.pos[0],
    }));
    return { ok: false, errors: inFileOrder(errors) };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // e.g. an alias bomb: yaml refuses to expand excessive aliases.
    return { ok: false, errors: [{ path: '', message: `invalid YAML: ${(error as Error).message}`, line: 1 }] };
  }
  if (data === null || data === undefined) {
    return { ok: false, errors: [{ path: '', message: `${fileName} is empty (start from leadrelay.example.yml)` }] };
  }
  const result = validateConfig(data);
  if (result.ok) return result;
  const errors = result.issues.map((issue) => {
    const offset = offsetOf(doc, issue.path);
    const error = { path: formatIssuePath(issue.path), message: issue.message };
    return offset === undefined ? error : { ...error, line: lineCounter.linePos(offset).line, offset };
  });
  return { ok: false, errors: inFileOrder(errors), ...companiesOf(data) };
}

/** Reads and validates a config file; a missing file says how to get one. */
export function loadConfig(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `config file not found: ${path} (set LEADRELAY_CONFIG or create it from leadrelay.example.yml)`
        : `cannot read config file ${path}: ${(error as Error).message}`;
    return { ok: false, errors: [{ path: '', message }] };
  }
  return parseConfig(text, path);
}

/**
 * One line per error: `leadrelay.yml:23 rules[1].when.score.gte: expected number, got string`.
 * Errors about the whole file (not found, empty) carry no line or path and name the file themselves.
 */
export function formatConfigErrors(fileName: string, errors: readonly ConfigError[]): string {
  return errors
    .map((error) => {
      if (error.line === undefined && error.path === '') return error.message;
      const where = error.line === undefined ? fileName : `${fileName}:${error.line}`;
      return error.path === '' ? `${where} ${error.message}` : `${where} ${error.path}: ${error.message}`;
    })
    .join('\n');
}
