/**
 * A routing trace as readable text, for `leadrelay route` and `/leads L-17`: what
 * enrichment filled in and from where, every rule tried and why it matched or not, what fired, each candidate rep with ✓ chosen / ✗ the reason
 * they were skipped, and the round-robin / load figures. Pure; reads only the stored trace.
 */
import { enrichmentLines } from '../enrichment.ts';
import { escalationTargetWords } from '../people.ts';
import { formatInstant, formatNumber, repLabel, routeText, skipWords } from './traceText.ts';
import type { AttemptTrace, CandidateTrace, ChoiceTrace, RoutingTrace } from './types.ts';

function choiceText(choice: ChoiceTrace): string {
  const main = choice.by === 'least_loaded' ? 'lowest load' : 'lowest pass, furthest below weighted share';
  const tie =
    choice.tie === 'round_robin' ? '; load tied, lower pass'
    : choice.tie === 'last_offer' ? '; tied, longest since last offer'
    : choice.tie === 'config_order' ? '; tied, first in team order'
    : '';
  return `${choice.eligible === 1 ? 'only one eligible' : `${main}${tie}; ${choice.eligible} eligible`}`;
}

function loadText(candidate: CandidateTrace, unlimitedAs: number | undefined): string {
  if (candidate.open === undefined) return '';
  const capacity = candidate.capacity === null || candidate.capacity === undefined ? `unlimited (counted as ${unlimitedAs ?? '?'})` : String(candidate.capacity);
  return `open ${candidate.open}/${capacity}, `;
}

function candidateLines(attempt: Extract<AttemptTrace, { kind: 'team' }>, indent: string): string[] {
  const lines = attempt.candidates.map((candidate) => {
    const label = repLabel(candidate);
    if (candidate.skip !== undefined) return `${indent}✗ ${label}: ${skipWords(candidate)}`;
    const load = loadText(candidate, attempt.unlimitedCapacityAs);
    const pass = formatNumber(candidate.pass ?? 0);
    if (candidate.repId === attempt.chosen && attempt.choice) {
      return `${indent}✓ ${label}: chosen, ${load}pass ${pass} → ${formatNumber(attempt.choice.nextPass)} (${choiceText(attempt.choice)})`;
    }
    const next = candidate.repId === attempt.choice?.runnerUp ? ' (next in line)' : '';
    return `${indent}· ${label}: eligible, ${load}pass ${pass}${next}`;
  });
  const others = attempt.othersEligible ?? 0;
  if (others > 0) {
    const order = attempt.distribution === 'least_loaded' ? 'load order' : 'pass order';
    lines.push(`${indent}· ${others} other${others === 1 ? '' : 's'} eligible, behind in ${order}`);
  }
  return lines;
}

function attemptLines(attempts: readonly AttemptTrace[], indent: string): string[] {
  return attempts.flatMap((attempt): string[] => {
    switch (attempt.kind) {
      case 'team':
        return [
          `${indent}team ${attempt.teamId} (${attempt.distribution}, level ${formatNumber(attempt.level)}):`,
          ...candidateLines(attempt, `${indent}  `),
        ];
      case 'rep': {
        const label = repLabel(attempt.candidate);
        return [attempt.chosen ? `${indent}✓ ${label}: chosen` : `${indent}✗ ${label}: ${skipWords(attempt.candidate)}`];
      }
      case 'sequence':
        return [`${indent}sequence ${attempt.sequenceId}`];
      case 'unknown':
        return [`${indent}✗ unknown ${attempt.what} ${attempt.id}`];
    }
  });
}

function outcomeLines(trace: RoutingTrace): string[] {
  const outcome = trace.outcome;
  const fired = trace.fired;
  const firedText = fired === null ? 'nothing' : fired.by === 'rule' ? `rule ${fired.index + 1} "${fired.name}"` : fired.by;
  const lines = [`Fired: ${firedText}`];
  if (outcome.kind === 'queued') {
    const team = outcome.teamId === null ? '' : ` (last tried: team ${outcome.teamId})`;
    const to = outcome.escalateTo === undefined ? `escalated${outcome.teamId === null ? '' : ` for team ${outcome.teamId}`}` : `escalated to ${escalationTargetWords(outcome.escalateTo)}`;
    lines.push(`Result: queued, nobody eligible${team}; ${to}`);
    return lines;
  }
  if (outcome.kind === 'sequence') {
    lines.push(`Result: sequence ${outcome.sequenceId}`);
    return lines;
  }
  const all = [...(trace.preRouted?.attempts ?? []), ...trace.rules.flatMap((rule) => rule.attempts ?? []), ...(trace.fallback?.attempts ?? [])];
  const team = all.find((a): a is Extract<AttemptTrace, { kind: 'team' }> => a.kind === 'team' && a.chosen === outcome.repId && a.teamId === outcome.teamId);
  const candidates = all.flatMap((a) => (a.kind === 'team' ? a.candidates : a.kind === 'rep' ? [a.candidate] : []));
  const chosen = candidates.find((c) => c.repId === outcome.repId);
  const label = chosen ? repLabel(chosen) : outcome.repId;
  const via =
    outcome.via === 'owner' ? 'the pre-routed owner'
    : outcome.via === 'account_owner' ? `the owner of ${trace.domain ?? 'the account'}`
    : outcome.via === 'rep' ? 'named by the rule'
    : `via team ${outcome.teamId ?? '?'}`;
  const figures = team?.choice
    ? `; round-robin pass ${formatNumber(team.choice.pass)} → ${formatNumber(team.choice.nextPass)}, team level ${formatNumber(team.level)} → ${formatNumber(team.choice.pass)}`
    : '';
  lines.push(`Result: offer to ${label}, ${via}${figures}`);
  return lines;
}

/** The trace as lines of text (no trailing newline). */
export function formatTrace(trace: RoutingTrace): string {
  const lines = [`Routing at ${formatInstant(trace.at)}, company domain ${trace.domain ?? '(none)'}`, ...enrichmentLines(trace.enrichment)];
  const pre = trace.preRouted;
  if (pre) {
    const named = [pre.owner === undefined ? '' : `owner ${pre.owner}`, pre.team === undefined ? '' : `team ${pre.team}`].filter(Boolean).join(', ');
    lines.push(`Pre-routed by the source (${named}); rules skipped`);
    lines.push(...attemptLines(pre.attempts, '  '));
    if (!pre.served) lines.push(`  → not served: ${pre.notServed ?? 'nobody eligible'}`);
  }
  if (trace.rules.length > 0) lines.push('Rules:');
  for (const rule of trace.rules) {
    const head = `  ${rule.index + 1}. ${rule.name} → ${routeText(rule.route)}`;
    if (!rule.matched) {
      lines.push(`${head}: not matched (${rule.detail})`);
      continue;
    }
    lines.push(`${head}: matched (${rule.detail})`);
    if (rule.account) {
      const { domain, owner, source } = rule.account;
      const whose =
        domain === null ? 'no company domain'
        : owner === null ? (source === 'cleared' ? `account ${domain}: owner cleared with /owner` : `account ${domain}: no owner`)
        : `account ${domain}: owner ${owner} (${source === 'runtime' ? 'set with /owner' : 'from the config'})`;
      lines.push(`     ${whose}`);
    }
    lines.push(...attemptLines(rule.attempts ?? [], '     '));
    lines.push(rule.served ? '     → served' : `     → not served: ${rule.notServed ?? 'nobody eligible'}; next rule`);
  }
  if (trace.fallback) {
    lines.push(`Fallback → ${routeText(trace.fallback.route)}:`);
    lines.push(...attemptLines(trace.fallback.attempts, '  '));
    if (!trace.fallback.served) lines.push(`  → not served: ${trace.fallback.notServed ?? 'nobody eligible'}`);
  }
  lines.push(...outcomeLines(trace));
  return lines.join('\n');
}
