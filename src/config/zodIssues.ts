import type { z } from 'zod';

/** A validation problem at a path such as `company.employees` or `rules[1].when.score.gte`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** `['rules', 1, 'when', 'score']` → `rules[1].when.score`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text === '' ? String(key) : `${text}.${String(key)}`;
  }, '');
}

/** The words for collections: a config author writes YAML (map, list), an API client JSON (object, array). */
export type Terms = 'yaml' | 'json';

const COLLECTION_NAMES: Record<Terms, { object: string; array: string }> = {
  yaml: { object: 'map', array: 'list' },
  json: { object: 'object', array: 'array' },
};

/** The type of a value in the reader's terms, for "expected number, got string". */
export function typeName(value: unknown, terms: Terms = 'yaml'): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return COLLECTION_NAMES[terms].array;
  if (typeof value === 'object') return COLLECTION_NAMES[terms].object;
  return typeof value;
}

export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function expectedName(expected: string, terms: Terms): string {
  if (expected === 'object' || expected === 'record') return COLLECTION_NAMES[terms].object;
  if (expected === 'array') return COLLECTION_NAMES[terms].array;
  return expected === 'int' ? 'whole number' : expected;
}

/**
 * Zod's generic issues in the words a sales-ops engineer reads: `required`, `expected number, got
 * string`, `must be one of round_robin, least_loaded`. Schema-specific messages set below win over
 * these. An `unrecognized_keys` issue gets one line per key, in the order of `issue.keys`.
 */
export function createHumanErrorMap(terms: Terms): z.core.$ZodErrorMap {
  return (issue) => humanMessage(issue, terms);
}

/** For leadrelay.yml. */
export const humanErrorMap = createHumanErrorMap('yaml');
/** For JSON request bodies. */
export const jsonErrorMap = createHumanErrorMap('json');

function humanMessage(issue: Parameters<z.core.$ZodErrorMap>[0], terms: Terms): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      if (issue.expected === 'int' && typeof issue.input === 'number') return 'must be a whole number';
      return `expected ${expectedName(issue.expected, terms)}, got ${typeName(issue.input, terms)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${quote(issue.values[0])}` : `must be one of ${issue.values.join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return Number(issue.minimum) <= 1 ? 'must not be empty' : `needs at least ${issue.minimum} items`;
      if (issue.origin === 'string') return 'must not be empty';
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case 'too_big':
      return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown key "${key}"`).join('\n');
    case 'invalid_format':
      return `invalid ${issue.format} ${quote(issue.input)}`;
    default:
      return undefined;
  }
}

export interface PathIssue {
  path: PropertyKey[];
  message: string;
}

/** A union's branch failed only because the value has another type, e.g. a string tried as a map. */
function isTypeMismatch(issues: readonly z.core.$ZodIssue[]): boolean {
  return issues.every((issue) => issue.path.length === 0 && issue.code === 'invalid_type');
}

/**
 * Zod issues as one message per path: an unknown-keys issue becomes one error per key, and a union
 * whose value matched the type of exactly one branch reports that branch's problems (so
 * `route: { team: 5 }` says `route.team: expected string`, not "invalid input").
 */
export function flattenZodIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): PathIssue[] {
  return issues.flatMap((issue): PathIssue[] => {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const messages = issue.message.split('\n');
        return issue.keys.map((key, i) => ({ path: [...path, key], message: messages[i] ?? `unknown key "${key}"` }));
      }
      case 'invalid_union': {
        const candidates = issue.errors.filter((branch) => !isTypeMismatch(branch));
        const [only] = candidates;
        return candidates.length === 1 && only ? flattenZodIssues(only, path) : [{ path, message: issue.message }];
      }
      case 'invalid_key':
      case 'invalid_element':
        return flattenZodIssues(issue.issues, path);
      default:
        return [{ path, message: issue.message }];
    }
  });
}

/**
 * Zod issues (from a parse with `{ error: humanErrorMap }`) as human messages with text paths,
 * e.g. `{ path: 'company.employees', message: 'expected number, got string' }`.
 */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return flattenZodIssues(issues).map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}
