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

/** Zod's type names in the words a sales-ops engineer reads. */
function typeOfInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

/**
 * Turns zod issues into short human messages with paths: one issue per unknown key, `required` for
 * a missing value, `expected number, got string` for a wrong type.
 */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue): ValidationIssue[] => {
    const path = formatIssuePath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ path: formatIssuePath([...issue.path, key]), message: `unknown key "${key}"` }));
      case 'invalid_type': {
        const received = /received (\w+)/.exec(issue.message)?.[1];
        if (received === 'undefined' || ('input' in issue && issue.input === undefined && !received)) return [{ path, message: 'required' }];
        if (!issue.message.startsWith('Invalid input')) return [{ path, message: issue.message }];
        const got = received ?? ('input' in issue ? typeOfInput(issue.input) : undefined);
        return [{ path, message: `expected ${issue.expected}${got ? `, got ${got}` : ''}` }];
      }
      case 'invalid_value':
        return [{ path, message: issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map(String).join(', ')}` : issue.message }];
      default:
        return [{ path, message: issue.message }];
    }
  });
}
