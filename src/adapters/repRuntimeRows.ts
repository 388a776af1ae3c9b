/**
 * What both SQL stores' routing repositories do with the rows they read (SQLite's and
 * PostgreSQL's queries differ, these do not): a rep_state row as the routing core's RepRuntime,
 * round-robin rows as each team's state, reps grouped by time zone (offers today count from each
 * zone's local midnight), and the memory that keeps those look-ups cheap per decision.
 */
import { localDayStart, nextLocalDayStart, type RepRuntime, type RoundRobinState } from '../domain/routing/index.ts';
import type { Rep, Settings } from '../domain/settings.ts';

/** `away_until` of a rep away with no return time (`/away` alone): how the stores keep "until turned off". */
export const AWAY_INDEFINITELY = Number.MAX_SAFE_INTEGER;

export type RepStateRow = { rep_id: string; away_until: number | null; capacity_override: number | null; last_offer_at: number | null };
export type OpenLeadsRow = { owner_id: string; n: number };
export type PassRow = { team_id: string; rep_id: string; pass: number };
export type LevelRow = { team_id: string; level: number };

/** A rep's runtime state from its rep_state row (none: the defaults) and its counts. */
function repRuntimeOf(row: RepStateRow | undefined, openLeads: number, offersToday: number): RepRuntime {
  return {
    awayUntil: row?.away_until === AWAY_INDEFINITELY ? Number.POSITIVE_INFINITY : (row?.away_until ?? null),
    capacityOverride: row?.capacity_override ?? null,
    openLeads,
    offersToday,
    lastOfferAt: row?.last_offer_at ?? null,
  };
}

/** The runtime state of each of `reps`, from the rows read for them and their offers today. */
export function repRuntimesOf(reps: readonly Rep[], stateRows: readonly RepStateRow[], openRows: readonly OpenLeadsRow[], offersToday: ReadonlyMap<string, number>): Map<string, RepRuntime> {
  const state = new Map(stateRows.map((row) => [row.rep_id, row]));
  const open = new Map(openRows.map((row) => [row.owner_id, row.n]));
  const runtimes = new Map<string, RepRuntime>();
  for (const rep of reps) runtimes.set(rep.id, repRuntimeOf(state.get(rep.id), open.get(rep.id) ?? 0, offersToday.get(rep.id) ?? 0));
  return runtimes;
}

/** Rep ids grouped by time zone: offers today are counted from each zone's local midnight, one query per zone. */
export function repsByZone(reps: readonly Rep[]): Map<string, string[]> {
  const zones = new Map<string, string[]>();
  for (const rep of reps) zones.set(rep.timezone, [...(zones.get(rep.timezone) ?? []), rep.id]);
  return zones;
}

/** Each wanted team's round-robin state (level 0, no passes when none is stored). */
export function roundRobinOf(passRows: readonly PassRow[], levelRows: readonly LevelRow[], teamIds: Iterable<string>): Map<string, RoundRobinState> {
  const passes = new Map<string, Map<string, number>>();
  for (const row of passRows) passes.set(row.team_id, (passes.get(row.team_id) ?? new Map<string, number>()).set(row.rep_id, row.pass));
  const levels = new Map(levelRows.map((row) => [row.team_id, row.level]));
  const state = new Map<string, RoundRobinState>();
  for (const teamId of teamIds) state.set(teamId, { level: levels.get(teamId) ?? 0, passes: passes.get(teamId) ?? new Map<string, number>() });
  return state;
}

/** Each zone's current local day, [start, end): a day start is computed once a day, not once a decision. */
const localDays = new Map<string, { start: number; end: number }>();

/** The local day of `now` in `zone`, [start, end) (remembered for the day). */
export function localDayIn(zone: string, now: number): { start: number; end: number } {
  const day = localDays.get(zone);
  if (day && now >= day.start && now < day.end) return day;
  const fresh = { start: localDayStart(zone, now), end: nextLocalDayStart(zone, now) };
  localDays.set(zone, fresh);
  return fresh;
}

/** The start of the local day of `now` in `zone` (localDayStart, remembered for the day). */
export function dayStartIn(zone: string, now: number): number {
  return localDayIn(zone, now).start;
}

const repsById = new WeakMap<Settings, Map<string, Rep>>();

/** The rep of `settings` with this id; undefined when the settings do not know it. */
function repOf(settings: Settings, id: string): Rep | undefined {
  let byId = repsById.get(settings);
  if (!byId) {
    byId = new Map(settings.reps.map((rep) => [rep.id, rep]));
    repsById.set(settings, byId);
  }
  return byId.get(id);
}

/** The reps of `settings` among `repIds`, in that order; ids the settings do not know are left out. */
export function knownReps(settings: Settings, repIds: Iterable<string>): Rep[] {
  const reps: Rep[] = [];
  for (const id of repIds) {
    const rep = repOf(settings, id);
    if (rep) reps.push(rep);
  }
  return reps;
}
