/**
 * Rule conditions: does a lead satisfy a rule's `when`, and if not, which clause failed,
 * in words a sales-ops reader understands ("score 20 is not ≥ 80"). Pure.
 *
 * Semantics, chosen for people typing leads and configs by hand:
 * - A field is missing when it is absent, null or a blank string. Every operator needs a value,
 *   except `exists: false`, `ne` and `not_in`, which a missing value satisfies (it is not the value).
 * - Strings compare trimmed and case-insensitively (`eq`, `ne`, `in`, `not_in`, `contains`), like
 *   `matches`, which the config compiles case-insensitive. A number and a numeric string are equal
 *   (`fields.seats: 300` matches `"300"`), as are a boolean and `"true"`/`"false"`.
 * - `gt gte lt lte` need a number (or a numeric string); anything else fails the clause.
 */
import type { Condition, Operators, Scalar } from '../settings.ts';
import type { Lead } from '../lead.ts';
import { leadPathReader, type LeadPathReader } from './readLeadPath.ts';

/** One operator test on a present value: null when it holds, else the failure in words. */
type Check = (value: unknown) => string | null;

interface CompiledClause {
  path: string;
  read: LeadPathReader;
  ops: Operators;
  /** What a missing value fails with; null when a missing value passes (only exists: false, ne, not_in). */
  whenMissing: string | null;
  /** The operators as checks on a present value, in the order they are reported. */
  checks: readonly Check[];
}

/** A condition prepared for repeated evaluation: its field tests and `any` alternatives. */
export interface CompiledCondition {
  /** Field tests (`kind: 'field'`) in the order written, then the `any` group (`kind: 'any'`). */
  parts: readonly ({ kind: 'field'; clause: CompiledClause } | { kind: 'any'; alternatives: readonly CompiledCondition[] })[];
}

// ---------------------------------------------------------------------------------------------
// Values

const MAX_SHOWN = 40;
const SIMPLE = /^[\w.@+:/-]+$/;

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A value as shown in a detail: bare when it is a simple word or number, quoted otherwise, shortened. */
export function showValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return JSON.stringify(value) ?? String(value);
  if (value.length <= MAX_SHOWN && SIMPLE.test(value)) return value;
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN - 1)}…` : value;
  return JSON.stringify(shown);
}

function showList(values: readonly Scalar[]): string {
  return values.map(showValue).join(', ');
}

function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value.trim());
    return Number.isFinite(number) ? number : null;
  }
  return null;
}

function sameValue(value: unknown, expected: Scalar): boolean {
  if (typeof value === typeof expected) {
    return typeof value === 'string' ? value.trim().toLowerCase() === (expected as string).trim().toLowerCase() : value === expected;
  }
  if (typeof expected === 'number' || typeof value === 'number') {
    const a = asNumber(value);
    const b = asNumber(expected);
    return a !== null && a === b;
  }
  if (typeof expected === 'boolean' && typeof value === 'string') return value.trim().toLowerCase() === String(expected);
  if (typeof value === 'boolean' && typeof expected === 'string') return expected.trim().toLowerCase() === String(value);
  return false;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

// ---------------------------------------------------------------------------------------------
// Compiling

const COMPARISONS = [
  ['gt', '>', (a: number, b: number) => a > b],
  ['gte', '≥', (a: number, b: number) => a >= b],
  ['lt', '<', (a: number, b: number) => a < b],
  ['lte', '≤', (a: number, b: number) => a <= b],
] as const;

/** The operators of one field as checks, with every word that does not depend on the lead worked out once. */
function compileChecks(path: string, ops: Operators): Check[] {
  const checks: Check[] = [];
  if (ops.exists === false) checks.push((value) => `${path} is present (${showValue(value)})`);
  const { eq, ne, in: within, notIn, matches, contains } = ops;
  if (eq !== undefined) {
    const expected = showValue(eq);
    checks.push((value) => (sameValue(value, eq) ? null : `${path} is ${showValue(value)}, not ${expected}`));
  }
  if (ne !== undefined) checks.push((value) => (sameValue(value, ne) ? `${path} is ${showValue(value)} (excluded by ne)` : null));
  if (within !== undefined) {
    const list = showList(within);
    checks.push((value) => (within.some((option) => sameValue(value, option)) ? null : `${path} ${showValue(value)} is not in ${list}`));
  }
  if (notIn !== undefined) {
    const list = showList(notIn);
    checks.push((value) => (notIn.some((option) => sameValue(value, option)) ? `${path} ${showValue(value)} is in ${list} (excluded by not_in)` : null));
  }
  for (const [name, symbol, holds] of COMPARISONS) {
    const bound = ops[name];
    if (bound === undefined) continue;
    checks.push((value) => {
      const number = asNumber(value);
      if (number === null) return `${path} ${showValue(value)} is not a number`;
      return holds(number, bound) ? null : `${path} ${showValue(value)} is not ${symbol} ${bound}`;
    });
  }
  if (matches !== undefined) {
    const pattern = String(matches);
    checks.push((value) => {
      matches.lastIndex = 0; // a global or sticky pattern would otherwise carry state between leads
      return matches.test(textOf(value)) ? null : `${path} ${showValue(value)} does not match ${pattern}`;
    });
  }
  if (contains !== undefined) {
    const needle = contains.toLowerCase();
    const shown = showValue(contains);
    checks.push((value) => (textOf(value).toLowerCase().includes(needle) ? null : `${path} ${showValue(value)} does not contain ${shown}`));
  }
  return checks;
}

function compileClause(path: string, ops: Operators): CompiledClause {
  const needsValue =
    ops.exists === true || ops.eq !== undefined || ops.in !== undefined || ops.gt !== undefined || ops.gte !== undefined ||
    ops.lt !== undefined || ops.lte !== undefined || ops.matches !== undefined || ops.contains !== undefined;
  return { path, read: leadPathReader(path), ops, whenMissing: needsValue ? `${path} is missing` : null, checks: compileChecks(path, ops) };
}

export function compileCondition(condition: Condition | undefined): CompiledCondition {
  if (condition === undefined) return { parts: [] };
  const parts: CompiledCondition['parts'][number][] = [];
  for (const [key, value] of Object.entries(condition)) {
    if (value !== undefined && key !== 'any') parts.push({ kind: 'field', clause: compileClause(key, value as Operators) });
  }
  // Field tests first, then the alternatives: the order people read "these, and one of those" in.
  if (condition.any !== undefined) parts.push({ kind: 'any', alternatives: condition.any.map(compileCondition) });
  return { parts };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Null when the field value passes every operator; otherwise the first failing operator in words. */
function clauseFailure(clause: CompiledClause, value: unknown): string | null {
  if (isMissing(value)) return clause.whenMissing;
  for (const check of clause.checks) {
    const failure = check(value);
    if (failure !== null) return failure;
  }
  return null;
}

/** Null when the lead satisfies the condition; otherwise the first failing clause in words. */
export function conditionFailure(condition: CompiledCondition, lead: Lead): string | null {
  for (const part of condition.parts) {
    if (part.kind === 'field') {
      const failure = clauseFailure(part.clause, part.clause.read(lead));
      if (failure !== null) return failure;
      continue;
    }
    let failures: string[] | null = [];
    for (const alternative of part.alternatives) {
      const failure = conditionFailure(alternative, lead);
      if (failure === null) {
        failures = null;
        break;
      }
      failures.push(failure);
    }
    if (failures !== null) return `none of any holds (${failures.join('; ')})`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Description

function describeOperators(path: string, ops: Operators): string[] {
  const words: string[] = [];
  if (ops.exists !== undefined) words.push(ops.exists ? `${path} exists` : `${path} is missing`);
  if (ops.eq !== undefined) words.push(`${path} = ${showValue(ops.eq)}`);
  if (ops.ne !== undefined) words.push(`${path} ≠ ${showValue(ops.ne)}`);
  if (ops.in !== undefined) words.push(`${path} in ${showList(ops.in)}`);
  if (ops.notIn !== undefined) words.push(`${path} not in ${showList(ops.notIn)}`);
  for (const [name, symbol] of COMPARISONS) {
    const bound = ops[name];
    if (bound !== undefined) words.push(`${path} ${symbol} ${bound}`);
  }
  if (ops.matches !== undefined) words.push(`${path} matches ${String(ops.matches)}`);
  if (ops.contains !== undefined) words.push(`${path} contains ${showValue(ops.contains)}`);
  return words;
}

/** A compiled condition in words (see describeCondition). */
export function describeCompiledCondition(condition: CompiledCondition): string {
  const words = condition.parts.flatMap((part) =>
    part.kind === 'field'
      ? describeOperators(part.clause.path, part.clause.ops)
      : [`(${part.alternatives.map(describeCompiledCondition).join(' or ')})`],
  );
  return words.length === 0 ? 'always' : words.join(' and ');
}

/** The condition in words: `score ≥ 80 and (source = form or fields.plan = free)`; `always` when empty. */
export function describeCondition(condition: Condition | undefined): string {
  return describeCompiledCondition(compileCondition(condition));
}

/**
 * Whether `lead` satisfies `condition`. `detail` is the first failing clause in words
 * ("score 20 is not ≥ 80", "company.country is missing") or, when it matches, the condition in words.
 */
export function matchCondition(condition: Condition, lead: Lead): { matched: boolean; detail: string } {
  const compiled = compileCondition(condition);
  const failure = conditionFailure(compiled, lead);
  return failure === null ? { matched: true, detail: describeCompiledCondition(compiled) } : { matched: false, detail: failure };
}
