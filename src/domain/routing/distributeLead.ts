/**
 * A team's distribution: which eligible member gets the lead. Pure.
 *
 * round_robin is weighted, fair stride scheduling with a team level:
 * - Every member has a `pass`, a position on a virtual clock; each lead a member receives moves
 *   their pass on by `1 / weight`. The eligible member with the smallest pass gets the next lead.
 *   A member of weight 2 advances half as fast per lead, so over any stretch of virtual time they
 *   receive twice the leads of a weight-1 member: everyone's pass stays within one stride of the
 *   others', so each member's count stays within about one lead of weight / Σweights × leads, at
 *   any point in time, not just on average. "Smallest pass" is "furthest below their weighted share".
 * - The team `level` is the pass at which the last lead was handed out. It only moves forward.
 *   A member's effective pass is `max(pass, level)`. A rep away for a week kept their old, low pass
 *   while the others' advanced; pure stride scheduling would then give them every lead until they
 *   "caught up" (a flood of a week's worth of leads). Lifting them to the level puts them at the
 *   front of the line once, level with the member due next, and from there they advance at their
 *   weight like everyone else: time away is neither made up nor punished. A member without a pass
 *   (newly added to the team) starts at the level for the same reason.
 * - Ties (equal effective passes): the member longest since their last offer (never = longest),
 *   then config order.
 * - After choosing: chosen.pass = effective + 1 / weight and level = effective (before the
 *   increment); the caller stores both (RoundRobinUpdate) when it makes the offer.
 *
 * least_loaded: the smallest open leads / capacity (capacity = runtime override, else config; an
 * unlimited rep counts with the team's largest configured capacity, else 1); ties are broken by
 * the round-robin order above, and the round-robin update is still returned, so the rotation
 * advances for the next tie.
 */
import type { Rep } from '../settings.ts';
import type { CompiledTeam } from './compileRouting.ts';
import type { AttemptTrace, CandidateTrace, ChoiceTrace, RepRuntime, RoundRobinState, RoundRobinUpdate, SkipReason } from './types.ts';

/** A member as assessed for this decision. */
export interface AssessedRep {
  rep: Rep;
  runtime: RepRuntime;
  skip: SkipReason | null;
  /** The member's trace entry (without team-specific figures). */
  candidate: CandidateTrace;
}

interface Contender {
  index: number;
  rep: Rep;
  lastOfferAt: number | null;
  pass: number;
  open: number;
  capacity: number;
  /** The capacity as configured (null: unlimited), for the trace. */
  configured: number | null;
  /** Its assessment, whose trace entry is described only if the trace lists it. */
  assessed: AssessedRep;
}

/** Passes are sums of 1/weight: equal up to floating-point noise counts as equal, so tie-breaks apply. */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

const TIE_NAMES = { pass: 'round_robin', last_offer: 'last_offer', config_order: 'config_order' } as const;
type Criterion = 'load' | 'pass' | 'last_offer' | 'config_order';

/**
 * The criterion two contenders first differ on, in order: load (least_loaded only), effective
 * pass, last offer, config order (always differs: no two members share a place in the team).
 */
function criterionOf(a: Contender, b: Contender, byLoad: boolean): Criterion {
  if (byLoad && a.open * b.capacity !== b.open * a.capacity) return 'load';
  if (!sameNumber(a.pass, b.pass)) return 'pass';
  if (a.lastOfferAt !== b.lastOfferAt) return 'last_offer';
  return 'config_order';
}

/**
 * Whether `a` comes before `b`. Load is cross-multiplied, so 2/10 and 1/5 are exactly equal; a
 * last offer of never counts as longest ago.
 */
function precedes(a: Contender, b: Contender, byLoad: boolean): boolean {
  switch (criterionOf(a, b, byLoad)) {
    case 'load':
      return a.open * b.capacity < b.open * a.capacity;
    case 'pass':
      return a.pass < b.pass;
    case 'last_offer':
      return a.lastOfferAt === null || (b.lastOfferAt !== null && a.lastOfferAt < b.lastOfferAt);
    case 'config_order':
      return a.index < b.index;
  }
}

const CRITERION_DEPTH: Record<Criterion, number> = { load: 0, pass: 1, last_offer: 2, config_order: 3 };

export interface Distributed {
  attempt: Extract<AttemptTrace, { kind: 'team' }>;
  /** Present when a member was chosen. */
  update?: RoundRobinUpdate;
}

export interface DistributeOptions {
  /**
   * List every eligible member in the trace (`leadrelay route --all`). By default the trace names
   * the skipped members (with why), the chosen one and the runner-up, and counts the rest, so that
   * its size does not grow with the team.
   */
  listAll?: boolean;
}

/** Picks the member of `team` to offer the lead to, by the team's distribution, among eligible members. */
export function distributeLead(team: CompiledTeam, assessed: readonly AssessedRep[], state: RoundRobinState | undefined, options: DistributeOptions = {}): Distributed {
  const byLoad = team.team.distribution === 'least_loaded';
  const level = state?.level ?? 0;
  const contenders: Contender[] = [];
  // Plain loops, and a member's trace entry only for the members the trace lists: a team of 400
  // costs 400 small steps, not 400 trace entries.
  for (let index = 0; index < assessed.length; index += 1) {
    const member = assessed[index] as AssessedRep;
    if (member.skip !== null) continue;
    const { rep, runtime } = member;
    const pass = Math.max(state?.passes.get(rep.id) ?? level, level);
    const configured = runtime.capacityOverride ?? rep.capacity ?? null;
    const capacity = configured ?? team.unlimitedCapacityAs;
    contenders.push({ index, rep, lastOfferAt: runtime.lastOfferAt, pass, open: runtime.openLeads, capacity, configured, assessed: member });
  }

  // The winner, and the runner-up: the one who would have got it instead.
  let best: Contender | undefined;
  let second: Contender | undefined;
  for (const contender of contenders) {
    if (best === undefined || precedes(contender, best, byLoad)) {
      second = best;
      best = contender;
    } else if (second === undefined || precedes(contender, second, byLoad)) {
      second = contender;
    }
  }

  // The trace, in team order: every skipped member, and the eligible ones it lists.
  const listed = new Set<Contender>(options.listAll ? contenders : [best, second].filter((c): c is Contender => c !== undefined));
  const figures = (c: Contender): CandidateTrace => (byLoad ? { ...c.assessed.candidate, pass: c.pass, open: c.open, capacity: c.configured } : { ...c.assessed.candidate, pass: c.pass });
  const candidates: CandidateTrace[] = [];
  let next = 0;
  for (let index = 0; index < assessed.length; index += 1) {
    const member = assessed[index] as AssessedRep;
    const contender = contenders[next]?.index === index ? contenders[next++] : undefined;
    if (member.skip !== null) candidates.push(member.candidate);
    else if (contender !== undefined && listed.has(contender)) candidates.push(figures(contender));
  }
  const unlisted = contenders.length - listed.size;

  const attempt: Distributed['attempt'] = {
    kind: 'team',
    teamId: team.team.id,
    distribution: team.team.distribution,
    level,
    ...(byLoad ? { unlimitedCapacityAs: team.unlimitedCapacityAs } : {}),
    candidates,
    ...(unlisted > 0 ? { othersEligible: unlisted } : {}),
    chosen: null,
  };
  if (best === undefined) return { attempt };

  // The deepest criterion needed to separate the winner from anyone else: what decided a tie.
  let depth = -1;
  let decidedBy: Criterion | null = null;
  for (const contender of contenders) {
    if (contender === best) continue;
    const criterion = criterionOf(best, contender, byLoad);
    if (CRITERION_DEPTH[criterion] > depth) {
      depth = CRITERION_DEPTH[criterion];
      decidedBy = criterion;
    }
  }
  const primary: Criterion = byLoad ? 'load' : 'pass';
  const tie = decidedBy === null || decidedBy === primary ? null : decidedBy === 'load' ? null : TIE_NAMES[decidedBy];

  const weight = best.rep.weight > 0 ? best.rep.weight : 1;
  const nextPass = best.pass + 1 / weight;
  const choice: ChoiceTrace = {
    by: team.team.distribution,
    eligible: contenders.length,
    tie,
    pass: best.pass,
    nextPass,
    ...(byLoad ? { open: best.open, capacity: best.capacity } : {}),
    ...(second !== undefined ? { runnerUp: second.rep.id } : {}),
  };
  attempt.chosen = best.rep.id;
  attempt.choice = choice;
  return { attempt, update: { teamId: team.team.id, repId: best.rep.id, pass: nextPass, level: best.pass } };
}
