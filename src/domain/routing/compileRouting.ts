/**
 * A config prepared for routing: lookup maps and compiled rule conditions, built once per config
 * (at start and on reload) instead of once per lead. Optional: decideRoute compiles a plain config
 * itself, at the cost of doing this work for every lead. Pure.
 */
import type { Settings, Rep, Route, Team } from '../settings.ts';
import { normalizeEmail } from '../lead.ts';
import type { WorkingHours } from '../workingHours.ts';
import { compileCondition, describeCompiledCondition, type CompiledCondition } from './matchCondition.ts';

export interface CompiledTeam {
  team: Team;
  /** Members in config order; ids not listed under reps are left out (a validated config has none). */
  members: readonly Rep[];
  /** Each member's place among the config's reps (`repIndex`), in the same order. */
  memberIndexes: readonly number[];
  /** least_loaded: the capacity members with unlimited capacity are counted with (the team's largest, else 1). */
  unlimitedCapacityAs: number;
}

export interface CompiledRule {
  index: number;
  name: string;
  route: Route;
  condition: CompiledCondition;
  /** The condition in words, for traces. */
  summary: string;
}

export interface CompiledRouting {
  /** The config this was compiled from. */
  readonly compiledFrom: Settings;
  readonly reps: ReadonlyMap<string, Rep>;
  /** Rep id → the rep's place in the config's reps: a decision keeps what it found about each rep by place. */
  readonly repIndex: ReadonlyMap<string, number>;
  /** Lower-cased rep e-mail → rep, for pre-routed owners given by e-mail. */
  readonly repsByEmail: ReadonlyMap<string, Rep>;
  readonly teams: ReadonlyMap<string, CompiledTeam>;
  /** Rep id → the first team listing them (the owner's team of account routing). */
  readonly firstTeamOf: ReadonlyMap<string, string>;
  /** Domain → owner, from `accounts`. */
  readonly accounts: ReadonlyMap<string, string>;
  readonly sequences: ReadonlySet<string>;
  readonly rules: readonly CompiledRule[];
  /** Rep id → their working hours in words (`Mon-Fri 09:00-17:30`), for traces. */
  readonly hoursText: ReadonlyMap<string, string>;
  /** Whether a rule routes to the account owner: only then does a decision read the runtime owners set with /owner. */
  readonly readsAccountOwners: boolean;
}

export function isCompiledRouting(config: Settings | CompiledRouting): config is CompiledRouting {
  return 'compiledFrom' in config;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** Days listed Monday first, as people write them. */
const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0];

function clock(minute: number): string {
  const inDay = minute > 24 * 60 ? minute - 24 * 60 : minute;
  return `${String(Math.floor(inDay / 60)).padStart(2, '0')}:${String(inDay % 60).padStart(2, '0')}`;
}

/** Days as runs: [1,2,3,4,5] → `Mon-Fri`, [1,3] → `Mon,Wed`. */
function dayRuns(days: readonly number[]): string {
  const positions = WEEK_ORDER.map((day) => days.includes(day));
  if (positions.every(Boolean)) return 'daily';
  const runs: string[] = [];
  for (let start = 0; start < 7; start += 1) {
    if (!positions[start]) continue;
    let end = start;
    while (end + 1 < 7 && positions[end + 1]) end += 1;
    const first = DAY_NAMES[WEEK_ORDER[start] ?? 0];
    const last = DAY_NAMES[WEEK_ORDER[end] ?? 0];
    runs.push(end - start >= 2 ? `${first}-${last}` : end === start ? `${first}` : `${first},${last}`);
    start = end;
  }
  return runs.join(',');
}

/** Working hours back in the config's words: `Mon-Fri 09:00-17:30; Sat 10:00-14:00`. */
export function formatHours(hours: WorkingHours): string {
  const byTimes = new Map<string, number[]>();
  for (const range of hours.ranges) {
    const times = `${clock(range.startMinute)}-${clock(range.endMinute)}`;
    const days = byTimes.get(times) ?? [];
    if (!days.includes(range.day)) days.push(range.day);
    byTimes.set(times, days);
  }
  // Days with the same set of ranges read best together: "Mon-Fri 08:00-12:00, 13:00-18:00".
  const byDays = new Map<string, string[]>();
  for (const [times, days] of byTimes) {
    const key = dayRuns(days);
    byDays.set(key, [...(byDays.get(key) ?? []), times]);
  }
  return [...byDays].map(([days, times]) => `${days} ${times.join(', ')}`).join('; ') || 'never';
}

/** Prepares `config` for decideRoute. */
export function compileRouting(config: Settings): CompiledRouting {
  const reps = new Map(config.reps.map((rep) => [rep.id, rep] as const));
  // The place of the rep `reps` keeps for each id (a validated config repeats none).
  const repIndex = new Map<string, number>();
  config.reps.forEach((rep, index) => {
    if (reps.get(rep.id) === rep) repIndex.set(rep.id, index);
  });
  const repsByEmail = new Map<string, Rep>();
  const hoursText = new Map<string, string>();
  for (const rep of config.reps) {
    if (rep.email !== undefined && !repsByEmail.has(normalizeEmail(rep.email))) repsByEmail.set(normalizeEmail(rep.email), rep);
    if (rep.hours !== undefined) hoursText.set(rep.id, formatHours(rep.hours));
  }
  const teams = new Map<string, CompiledTeam>();
  const firstTeamOf = new Map<string, string>();
  for (const team of config.teams) {
    const members = team.members.flatMap((id) => {
      const rep = reps.get(id);
      return rep ? [rep] : [];
    });
    const capacities = members.flatMap((rep) => (rep.capacity === undefined ? [] : [rep.capacity]));
    const memberIndexes = members.map((rep) => repIndex.get(rep.id) as number);
    teams.set(team.id, { team, members, memberIndexes, unlimitedCapacityAs: capacities.length > 0 ? Math.max(...capacities) : 1 });
    for (const member of team.members) if (!firstTeamOf.has(member)) firstTeamOf.set(member, team.id);
  }
  const rules = config.rules.map((rule, index): CompiledRule => {
    const condition = compileCondition(rule.when);
    return { index, name: rule.name, route: rule.route, condition, summary: describeCompiledCondition(condition) };
  });
  return {
    compiledFrom: config,
    reps,
    repIndex,
    repsByEmail,
    teams,
    firstTeamOf,
    accounts: new Map(config.accounts.map((account) => [account.domain, account.owner] as const)),
    sequences: new Set(config.sequences.map((sequence) => sequence.id)),
    rules,
    hoursText,
    readsAccountOwners: rules.some((rule) => rule.route === 'account_owner'),
  };
}
