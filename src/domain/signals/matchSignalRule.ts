/**
 * Signal rules (`signals:`): checked when an engagement signal arrives on a lead. Pure.
 */
import type { SignalChannel, SignalKind, SignalRule } from '../settings.ts';

export interface SignalFact {
  channel: SignalChannel;
  kind: SignalKind;
  /** When it happened (epoch ms). */
  at: number;
}

export interface SignalRuleMatch {
  rule: SignalRule;
  index: number;
  /** How many of the lead's signals the rule counted (this one included). */
  count: number;
}

const passesKindAndChannel = (rule: SignalRule, signal: SignalFact) =>
  (rule.when?.kind === undefined || rule.when.kind.in.includes(signal.kind)) &&
  (rule.when?.channel === undefined || rule.when.channel.in.includes(signal.channel));

function countHolds(test: { gte?: number | undefined; gt?: number | undefined; eq?: number | undefined }, count: number): boolean {
  if (test.gte !== undefined) return count >= test.gte;
  if (test.gt !== undefined) return count > test.gt;
  if (test.eq !== undefined) return count === test.eq;
  return true;
}

/**
 * The first rule (in file order) the arriving `signal` fires: its kind and channel pass the rule's
 * filters, and, with `count`, the number of the lead's signals passing them — within the last
 * `within` of `now` when given — passes the count test. `history` holds the lead's signals,
 * including the arriving one.
 */
export function matchSignalRule(rules: readonly SignalRule[], signal: SignalFact, history: readonly SignalFact[], now: number): SignalRuleMatch | null {
  for (const [index, rule] of rules.entries()) {
    if (!passesKindAndChannel(rule, signal)) continue;
    const since = rule.when?.within === undefined ? Number.NEGATIVE_INFINITY : now - rule.when.within;
    const count = history.filter((s) => s.at >= since && s.at <= now && passesKindAndChannel(rule, s)).length;
    if (rule.when?.count === undefined || countHolds(rule.when.count, count)) return { rule, index, count };
  }
  return null;
}

/** Signals that mean "call now": a rep holding the lead is told so. */
export function isHotSignal(signal: Pick<SignalFact, 'kind'>): boolean {
  return signal.kind === 'reply_positive' || signal.kind === 'meeting_booked';
}
