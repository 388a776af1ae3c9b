/** The one-line "Why you" on an offer card, read from a stored trace. Pure. */
import { escalationTargetWords } from '../people.ts';
import { choiceWords, firedAttempts, skipWords } from './traceText.ts';
import type { AttemptTrace, RoutingTrace } from './types.ts';

const MAX_SUMMARY = 80;

function shorten(text: string): string {
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}

/** What led to the target: `Hot lead (score ≥ 80)`, `Fallback`, `Pre-routed`. */
function origin(trace: RoutingTrace): string {
  const fired = trace.fired;
  if (fired === null) return 'Queued';
  if (fired.by === 'fallback') return 'Fallback';
  if (fired.by === 'pre-routed') return 'Pre-routed';
  return fired.summary === 'always' ? fired.name : `${fired.name} (${shorten(fired.summary)})`;
}

/** The rep tried first, when they could not take it (an account owner, a pre-routed owner), in words. */
function unavailableOwner(attempts: readonly AttemptTrace[]): string | null {
  const first = attempts[0];
  if (first?.kind !== 'rep' || first.chosen) return null;
  return `${first.candidate.name ?? first.candidate.repId} is unavailable (${skipWords(first.candidate)})`;
}

/**
 * One line for the card, e.g. "Hot lead (score ≥ 80) → team senior: you were furthest below your
 * weighted share", "You own the account acme.com", "Pre-routed to you by the source", "Fallback →
 * team sdr: fewest open leads for your capacity (2 of 10)". Works for every outcome, so the
 * sequence note and the queue escalation can use it too.
 */
export function whyYou(trace: RoutingTrace): string {
  const outcome = trace.outcome;
  if (outcome.kind === 'queued') {
    const team = outcome.teamId === null ? '' : ` in team ${outcome.teamId}`;
    return `Queued: nobody eligible${team}${outcome.escalateTo === undefined ? '' : `; escalated to ${escalationTargetWords(outcome.escalateTo)}`}`;
  }
  if (outcome.kind === 'sequence') return `${origin(trace)} → sequence ${outcome.sequenceId}`;
  if (outcome.via === 'owner') return 'Pre-routed to you by the source';
  if (outcome.via === 'account_owner') return `You own the account ${trace.domain ?? ''}`.trimEnd();
  if (outcome.via === 'rep') return `${origin(trace)} → you directly`;

  const attempts = firedAttempts(trace);
  const attempt = attempts.find((a) => a.kind === 'team' && a.chosen === outcome.repId);
  const choice =
    attempt?.kind === 'team' && attempt.choice
      ? choiceWords(attempt.choice, attempt.candidates.find((c) => c.repId === outcome.repId))
      : 'picked by the team distribution';
  const owner = unavailableOwner(attempts);
  let start = origin(trace);
  if (owner !== null) start = trace.fired?.by === 'rule' ? `${trace.fired.name}: owner ${owner}` : `Pre-routed, but ${owner}`;
  return `${start} → team ${outcome.teamId ?? '?'}: ${choice}`;
}
