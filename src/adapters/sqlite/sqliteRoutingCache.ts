/**
 * The routing state of reps and teams as committed, kept in memory across transactions on the one
 * SQLite connection, so that a lead routed to a team of 400 does not read 400 reps' state (and 400
 * round-robin passes) again: what a lead costs does not grow with the team that serves it.
 *
 * Why it stays true: on SQLite one process writes (the instance lease), through one connection, one
 * transaction at a time (the unit of work), and every statement of the store that changes what an
 * entry says updates the entry (an offer: offers today, last offer, the team's passes) or drops it
 * (a lead's owner or state, a rep's availability). A transaction that rolls back, or a savepoint,
 * drops every entry it wrote. A write by another connection (PRAGMA data_version moves) empties it.
 *
 * It is used only inside the unit of work's transactions: outside one (a test driving the
 * repositories directly, a maintenance script) reads go to the database and any write that
 * touches an entry empties the cache, since nothing would say whether that write was kept.
 * A rep's entry is never changed in place: an update replaces it, so a caller holding one (a
 * batch's routing state, which adds the offer itself) is not changed under it. A team's passes are
 * (a copy of 400 passes per offer costs more than the rest of the offer's bookkeeping): they always
 * say what the database says, and the routing state's afterOffer reads them only to set the same pass.
 */
import type { RepRuntime, RoundRobinState } from '../../domain/routing/index.ts';
import type { Settings } from '../../domain/settings.ts';
import type { Db } from './openDatabase.ts';

interface RepEntry {
  runtime: RepRuntime;
  /** The local day the entry's offersToday counts: [dayStart, dayEnd) in the rep's zone. */
  dayStart: number;
  dayEnd: number;
}

export function createRoutingCache(db: Db) {
  const reps = new Map<string, RepEntry>();
  const teams = new Map<string, RoundRobinState>();
  /** Entries read or written in the open transaction (dropped if it, or a savepoint in it, rolls back). */
  const touchedReps = new Set<string>();
  const touchedTeams = new Set<string>();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let lastDataVersion: unknown;
  let inTransaction = false;
  /** The settings the entries were loaded for (a rep's zone decides its day): another config, another cache. */
  let loadedFor: Settings | undefined;

  const clear = () => {
    reps.clear();
    teams.clear();
    touchedReps.clear();
    touchedTeams.clear();
  };

  const dropTouched = () => {
    for (const id of touchedReps) reps.delete(id);
    for (const id of touchedTeams) teams.delete(id);
    touchedReps.clear();
    touchedTeams.clear();
  };

  /** A write to rep `id` (or team): kept current in a transaction, else the cache is emptied. */
  const writing = (): boolean => {
    if (inTransaction) return true;
    clear();
    return false;
  };

  return {
    /** The unit of work began a transaction: entries may be read from now; another connection's commit empties the cache. */
    began(): void {
      const version = dataVersion.get();
      if (version !== lastDataVersion) clear();
      lastDataVersion = version;
      inTransaction = true;
    },
    committed(): void {
      touchedReps.clear();
      touchedTeams.clear();
      inTransaction = false;
    },
    /** The transaction rolled back (`ended`), or a savepoint in it: what it wrote is read again. */
    rolledBack(ended: boolean): void {
      dropTouched();
      if (ended) inTransaction = false;
    },

    /** A rep's cached runtime as of `now` (its day still the one counted), or undefined to read it. */
    rep(settings: Settings, id: string, now: number): RepRuntime | undefined {
      if (!inTransaction) return undefined;
      if (loadedFor !== settings) {
        clear();
        loadedFor = settings;
        return undefined;
      }
      const entry = reps.get(id);
      if (!entry) return undefined;
      if (now >= entry.dayStart && now < entry.dayEnd) return entry.runtime;
      reps.delete(id);
      return undefined;
    },
    // What is read in a transaction includes what it wrote so far: touched too, dropped if it rolls back.
    putRep(settings: Settings, id: string, runtime: RepRuntime, day: { start: number; end: number }): void {
      if (!inTransaction || loadedFor !== settings) return;
      reps.set(id, { runtime, dayStart: day.start, dayEnd: day.end });
      touchedReps.add(id);
    },
    team(id: string): RoundRobinState | undefined {
      return inTransaction ? teams.get(id) : undefined;
    },
    putTeam(id: string, state: RoundRobinState): void {
      if (!inTransaction) return;
      teams.set(id, state);
      touchedTeams.add(id);
    },

    /** An offer to `repId` at `at` was inserted: one more offer today (if `at` is in the day counted). */
    offerInserted(repId: string, at: number): void {
      if (!writing()) return;
      const entry = reps.get(repId);
      if (!entry) return;
      touchedReps.add(repId);
      const today = at >= entry.dayStart && at < entry.dayEnd ? 1 : 0;
      reps.set(repId, { ...entry, runtime: { ...entry.runtime, offersToday: entry.runtime.offersToday + today } });
    },
    /** rep_state.last_offer_at was set. */
    lastOfferSet(repId: string, at: number): void {
      if (!writing()) return;
      const entry = reps.get(repId);
      if (!entry) return;
      touchedReps.add(repId);
      reps.set(repId, { ...entry, runtime: { ...entry.runtime, lastOfferAt: at } });
    },
    /** A round-robin pass and the team's level were saved. */
    roundRobinSaved(teamId: string, repId: string, pass: number, level: number): void {
      if (!writing()) return;
      const state = teams.get(teamId);
      if (!state) return;
      touchedTeams.add(teamId);
      (state.passes as Map<string, number>).set(repId, pass);
      state.level = level;
    },
    /** Something else about these reps changed (their open leads, their availability): read again. */
    repsChanged(repIds: Iterable<string | null | undefined>): void {
      if (!writing()) return;
      for (const id of repIds) if (id !== null && id !== undefined) reps.delete(id);
    },
    /** Whether any rep is cached (a write that must find out whose entry it changes can skip the lookup when none is). */
    hasReps(): boolean {
      return reps.size > 0;
    },
  };
}

export type RoutingCache = ReturnType<typeof createRoutingCache>;
