/**
 * A configured lead source's mapping (SPEC 2b): its preset's expressions, overridden and extended by
 * the source's `map`, compiled once into one JSONata expression that yields every lead path in one
 * evaluation (the preset's shared values, like Typeform's answers by ref, are computed once per
 * payload). The result is assembled into a lead body, completed with the source's `defaults` and
 * validated by the same code as POST /leads; a problem names the lead path and the expression that
 * produced it.
 */
import type { Lead, LeadSource } from '../../domain/lead.ts';
import { typeName, type ValidationIssue } from '../../config/zodIssues.ts';
import type { LeadSourceConfig } from '../../config/schema.ts';
import { absence, FIELD_NAME, parseLeadPayload, type LeadWarning } from '../http/leadPayload.ts';
import { compileExpression, expressionErrorText, type Expression } from './sourceExpression.ts';
import type { SourcePreset } from './sourcePreset.ts';
import { SOURCE_PRESETS } from './sourcePresets.ts';

/** A problem with a mapped lead: the lead path, and the expression that produced the value when one did. */
export interface MappedLeadIssue extends ValidationIssue {
  expression?: string;
}

export type MappedLead =
  | { kind: 'lead'; lead: Lead; warnings: LeadWarning[] }
  | { kind: 'invalid'; issues: MappedLeadIssue[] }
  /** Not a lead (e.g. a Calendly cancellation): answered 200, nothing stored. */
  | { kind: 'ignored'; reason: string };

export interface SourceMapping {
  id: string;
  preset: SourcePreset;
  source: LeadSource;
  /** Every lead path the source maps, with its expression (the source's own `map` entries win). */
  expressions: ReadonlyMap<string, string>;
  /** The lead a payload (a parsed JSON or form body) becomes, or why it is none. Never throws. */
  toLead(payload: unknown): Promise<MappedLead>;
  /**
   * Issues about a lead the mapping made, each with the expression behind its path (`fields.plan` →
   * the `fields.plan` or else the `fields` entry). (A source's defaults are checked with the config.)
   */
  describeIssues(issues: readonly ValidationIssue[]): MappedLeadIssue[];
}

/** A string longer than this in a mapped `fields` object is cut (a lead's field values are at most 1000 characters). */
const FIELD_VALUE_MAX = 1000;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `( $a := (…); $b := (…); (<body>) )`: the preset's shared values bound before `body`, and where
 * `body` starts in the text (to give an error's position in the expression as the person wrote it).
 */
function withBindings(preset: SourcePreset, body: string): { text: string; offset: number } {
  const prefix = `(\n${preset.bindings.map(([name, expression]) => `$${name} := (${expression});\n`).join('')}(`;
  return { text: `${prefix}${body})\n)`, offset: prefix.length };
}

/** A JSONata error with its position made relative to `offset` (the start of the person's expression). */
function shifted(error: unknown, offset: number): unknown {
  const { position } = (error ?? {}) as { position?: unknown };
  return typeof position === 'number' ? { ...(error as object), message: (error as { message?: unknown }).message, position: position - offset } : error;
}

/** Sets `company.employees` in a nested lead body. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    target[path] = value;
    return;
  }
  const head = path.slice(0, dot);
  const inner = isPlainObject(target[head]) ? (target[head] as Record<string, unknown>) : {};
  target[head] = inner;
  inner[path.slice(dot + 1)] = value;
}

const isScalar = (value: unknown): value is string | number | boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * A mapped value as a lead takes it: a list of texts or numbers joined with ", ", and an object of
 * one entry (a Typeform choice, `{ "label": "London" }`) as that entry's value. Anything else as is.
 */
function flatten(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 && value.every(isScalar) ? value.join(', ') : value;
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.values(value);
  if (entries.length !== 1) return value;
  const [only] = entries;
  return isScalar(only) || Array.isArray(only) ? flatten(only) : value;
}

/**
 * The entries of a mapped `fields` object as a lead's fields: what is "nothing" ("", null) and the
 * provider's generated keys are left out quietly; keys that are not field names and values that are
 * lists or objects are left out with a warning, over-long text is cut with one.
 */
function mappedFields(value: Record<string, unknown>, preset: SourcePreset, warnings: LeadWarning[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    const item = flatten(entry);
    if (item === undefined || absence(item) !== undefined || key === '' || preset.generatedFieldKeys?.test(key)) continue;
    if (!FIELD_NAME.test(key)) {
      warnings.push({ path: 'fields', message: `${JSON.stringify(key)} is not a field name (letters, digits, _ . -; at most 64), left out` });
      continue;
    }
    if (typeof item === 'object' || typeof item === 'function') {
      warnings.push({ path: `fields.${key}`, message: `${typeName(item, 'json') === 'array' ? 'a list' : 'an object'}, left out (fields hold text, numbers and true/false)` });
      continue;
    }
    if (typeof item === 'string' && item.length > FIELD_VALUE_MAX) {
      warnings.push({ path: `fields.${key}`, message: `longer than ${FIELD_VALUE_MAX} characters, cut to ${FIELD_VALUE_MAX}` });
      fields[key] = item.slice(0, FIELD_VALUE_MAX);
      continue;
    }
    fields[key] = item;
  }
  return fields;
}

/** The expression of the longest mapped path that is `path` or contains it. */
function findExpression(expressions: ReadonlyMap<string, string>, path: string): string | undefined {
  let best: string | undefined;
  for (const key of expressions.keys()) {
    if ((path === key || path.startsWith(`${key}.`)) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : expressions.get(best);
}

/**
 * Compiles a source of leadrelay.yml once (at start; `leadrelay check` and `leadrelay map` too).
 * Throws on an expression that does not compile: the config schema reports those first, by path.
 */
export function compileSourceMapping(config: LeadSourceConfig): SourceMapping {
  const preset: SourcePreset = SOURCE_PRESETS[config.preset];
  const expressions = new Map<string, string>([...Object.entries(preset.map), ...Object.entries(config.map)]);
  const keys = [...expressions.keys()];
  const object = `{\n${keys.map((key) => `  ${JSON.stringify(key)}: (${expressions.get(key)})`).join(',\n')}\n}`;
  const combined = compileExpression(withBindings(preset, object).text);
  const accepts = preset.accepts ? compileExpression(preset.accepts.expression) : undefined;
  const defaults = Object.entries(config.defaults);
  // One expression per path, compiled on the first evaluation error: evaluated one by one, they tell
  // which expression failed.
  let single: Map<string, { expression: Expression; offset: number }> | undefined;

  const locateFailure = async (payload: unknown, error: unknown): Promise<MappedLeadIssue> => {
    single ??= new Map(
      keys.map((key) => {
        const { text, offset } = withBindings(preset, expressions.get(key) ?? '');
        return [key, { expression: compileExpression(text), offset }];
      }),
    );
    for (const [key, { expression, offset }] of single) {
      try {
        await expression.evaluate(payload);
      } catch (failure) {
        return { path: key, message: `the expression failed: ${expressionErrorText(shifted(failure, offset))}`, expression: expressions.get(key) ?? '' };
      }
    }
    return { path: '', message: `the ${preset.name} preset cannot read this payload: ${expressionErrorText(error)}` };
  };

  const describeIssues = (issues: readonly ValidationIssue[]): MappedLeadIssue[] =>
    issues.map((issue) => {
      const expression = findExpression(expressions, issue.path);
      return expression === undefined ? issue : { ...issue, expression };
    });

  return {
    id: config.id,
    preset,
    source: config.source,
    expressions,
    describeIssues,
    async toLead(payload) {
      if (!isPlainObject(payload)) return { kind: 'invalid', issues: [{ path: '', message: `expected a JSON object, got ${typeName(payload, 'json')}` }] };
      let values: Record<string, unknown>;
      try {
        if (accepts && preset.accepts && !(await accepts.evaluate(payload))) return { kind: 'ignored', reason: preset.accepts.otherwise };
        values = ((await combined.evaluate(payload)) ?? {}) as Record<string, unknown>;
      } catch (error) {
        return { kind: 'invalid', issues: [await locateFailure(payload, error)] };
      }
      const warnings: LeadWarning[] = [];
      const body: Record<string, unknown> = {};
      for (const key of keys) {
        const value = flatten(values[key]);
        if (value === undefined) continue;
        if (key === 'fields' && isPlainObject(value)) body.fields = { ...mappedFields(value, preset, warnings), ...(isPlainObject(body.fields) ? body.fields : {}) };
        else setPath(body, key, value);
      }
      for (const [path, value] of defaults) {
        const dot = path.indexOf('.');
        const container = dot < 0 ? body : body[path.slice(0, dot)];
        const current = isPlainObject(container) ? container[dot < 0 ? path : path.slice(dot + 1)] : undefined;
        if (current !== undefined && absence(current) === undefined) continue;
        setPath(body, path, value);
      }
      const submission = body.external_id;
      if (typeof submission === 'string' || typeof submission === 'number') {
        if (absence(submission) === undefined) body.external_id = `${config.id}:${submission}`;
      }
      body.source = config.source;
      const parsed = parseLeadPayload(body);
      if (!parsed.ok) return { kind: 'invalid', issues: describeIssues(parsed.issues) };
      return { kind: 'lead', lead: parsed.lead, warnings: [...warnings, ...parsed.warnings] };
    },
  };
}
