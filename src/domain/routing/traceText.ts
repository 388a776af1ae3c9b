/** The words shared by formatTrace and whyYou: one place says how a skip reason or a choice reads. Pure. */
import type { Route } from '../settings.ts';
import type { AttemptTrace, CandidateTrace, ChoiceTrace, RoutingTrace } from './types.ts';

/** `2026-11-23 14:05 UTC`. */
export function formatInstant(at: number): string {
  if (!Number.isFinite(at)) return 'further notice';
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** At most two decimals, no trailing zeros: 3, 3.5, 3.33. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** `U0ALICE (Alice Example)` or `U0ALICE`. */
export function repLabel(candidate: Pick<CandidateTrace, 'repId' | 'name'>): string {
  return candidate.name === undefined ? candidate.repId : `${candidate.repId} (${candidate.name})`;
}

export function routeText(route: Route): string {
  if (route === 'account_owner') return 'account owner';
  if ('team' in route) return `team ${route.team}`;
  if ('rep' in route) return `rep ${route.rep}`;
  return `sequence ${route.sequence}`;
}

/** Why a candidate was skipped: `away until 2026-11-23 18:00 UTC`, `at capacity 10/10` …; '' when eligible. */
export function skipWords(candidate: CandidateTrace): string {
  switch (candidate.skip) {
    case undefined:
      return '';
    case 'away':
      return candidate.awayUntil === null || candidate.awayUntil === undefined ? 'away with no return time set' : `away until ${formatInstant(candidate.awayUntil)}`;
    case 'outside_hours':
      return `outside working hours (${candidate.hours ?? '?'}, ${candidate.timezone ?? '?'})`;
    case 'at_capacity':
      return `at capacity ${candidate.open ?? '?'}/${candidate.capacity ?? '?'}`;
    case 'daily_cap':
      return `daily cap ${candidate.today ?? '?'}/${candidate.dailyCap ?? '?'}`;
    case 'already_offered':
      return 'already passed/expired this lead';
  }
}

/** How a team's distribution chose, addressed to the chosen rep: `you were furthest below your weighted share`. */
export function choiceWords(choice: ChoiceTrace, chosen: CandidateTrace | undefined): string {
  if (choice.eligible === 1) return 'you were the only one available';
  if (choice.by === 'least_loaded') {
    const load = chosen?.capacity === null ? `${choice.open ?? 0} open, no limit` : `${choice.open ?? 0} of ${choice.capacity ?? '?'}`;
    const tie = choice.tie === null ? '' : '; tied, so next in the rotation';
    return `fewest open leads for your capacity (${load}${tie})`;
  }
  const tie = choice.tie === 'last_offer' ? ' (tied; longest since your last lead)' : choice.tie === 'config_order' ? ' (tied; first in the team list)' : '';
  return `you were furthest below your weighted share${tie}`;
}

/** The attempts of the stage that fired (the rule, the fallback or the pre-routing). */
export function firedAttempts(trace: RoutingTrace): readonly AttemptTrace[] {
  const fired = trace.fired;
  if (fired === null) return [];
  if (fired.by === 'pre-routed') return trace.preRouted?.attempts ?? [];
  if (fired.by === 'fallback') return trace.fallback?.attempts ?? [];
  return trace.rules.find((rule) => rule.index === fired.index)?.attempts ?? [];
}
