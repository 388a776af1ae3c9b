/**
 * The routing trace as stored with the lead (leads.trace), and back. Every rule tried before the one
 * that fired is kept, with why it did not match, but as a tuple `[index, name, route, detail]` in
 * `notMatched` rather than as a RuleTrace object: the same facts in about half the bytes, which
 * matters because a lead's row is rewritten with its trace at every re-offer (a burst of expiries
 * rewrites thousands) and a config of 40 rules lists up to 39 of them. Matched rules (the one that
 * fired, and any matched but not served) are stored as they are. `traceFromStored` gives back the
 * RoutingTrace the decision made, and reads traces stored before this form as they are. Pure.
 */
import type { Route } from '../settings.ts';
import type { RoutingTrace, RuleTrace } from './types.ts';

/** A rule that did not match: its position, name, route and why it did not match. */
export type NotMatchedRule = [index: number, name: string, route: Route, detail: string];

/** What is stored: the trace with its unmatched rules as tuples. */
export type StoredTrace = Omit<RoutingTrace, 'rules'> & { rules: RuleTrace[]; notMatched?: NotMatchedRule[] };

/** The trace as stored (see above). */
export function storedTrace(trace: RoutingTrace): StoredTrace {
  if (!trace.rules.some((rule) => !rule.matched)) return trace;
  const rules: RuleTrace[] = [];
  const notMatched: NotMatchedRule[] = [];
  for (const rule of trace.rules) {
    if (rule.matched) rules.push(rule);
    else notMatched.push([rule.index, rule.name, rule.route, rule.detail]);
  }
  return { ...trace, rules, notMatched };
}

/** The RoutingTrace a stored trace says (one stored in either form); null when none is stored. */
export function traceFromStored(stored: unknown): RoutingTrace | null {
  if (stored === null || stored === undefined || typeof stored !== 'object') return null;
  const { notMatched, ...trace } = stored as StoredTrace;
  if (!Array.isArray(notMatched)) return trace;
  const rules: RuleTrace[] = [...notMatched.map(([index, name, route, detail]): RuleTrace => ({ index, name, route, matched: false, detail })), ...trace.rules];
  rules.sort((a, b) => a.index - b.index);
  return { ...trace, rules };
}
