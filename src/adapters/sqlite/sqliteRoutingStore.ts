import type { RoutingRepository } from '../../app/ports.ts';
import { localDayStart, nextLocalDayStart, type RepRuntime, type RoundRobinState } from '../../domain/routing/index.ts';
import type { Rep, Settings } from '../../domain/settings.ts';
import type { Db } from './openDatabase.ts';
import type { RoutingCache } from './sqliteRoutingCache.ts';

/** `away_until` of a rep away with no return time (`/away` alone): how SQLite stores "until turned off". */
export const AWAY_INDEFINITELY = Number.MAX_SAFE_INTEGER;

type RepStateRow = { rep_id: string; away_until: number | null; capacity_override: number | null; last_offer_at: number | null };

/**
 * The runtime state a routing decision reads ("fetch everything the decision needs, then decide")
 * and the round-robin state it changes (RoutingRepository). Runs inside the unit of work's transaction.
 */
export function sqliteRoutingStore(db: Db, cache?: RoutingCache): RoutingRepository {
  const statements = {
    repState: db.prepare('SELECT rep_id, away_until, capacity_override, last_offer_at FROM rep_state'),
    openLeads: db.prepare(`SELECT owner_id, count(*) AS n FROM leads WHERE state = 'claimed' AND owner_id IS NOT NULL GROUP BY owner_id`),
    offersSince: db.prepare('SELECT rep_id, count(*) AS n FROM offers WHERE offered_at >= ? GROUP BY rep_id'),
    passes: db.prepare('SELECT team_id, rep_id, pass FROM round_robin_passes'),
    levels: db.prepare('SELECT team_id, level FROM round_robin_levels'),
    accountOwner: db.prepare('SELECT owner_id FROM account_owners WHERE domain = ?'),
    excluded: db.prepare(`SELECT DISTINCT rep_id FROM offers WHERE lead_id = ? AND state IN ('passed', 'expired')`),
    savePass: db.prepare(`INSERT INTO round_robin_passes (team_id, rep_id, pass) VALUES (?, ?, ?)
      ON CONFLICT (team_id, rep_id) DO UPDATE SET pass = excluded.pass`),
    // The level moves only when a round of the team is done: most offers leave its page unwritten.
    saveLevel: db.prepare(`INSERT INTO round_robin_levels (team_id, level) VALUES (?, ?)
      ON CONFLICT (team_id) DO UPDATE SET level = excluded.level WHERE level <> excluded.level`),
    lastOffer: db.prepare(`INSERT INTO rep_state (rep_id, last_offer_at, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (rep_id) DO UPDATE SET last_offer_at = excluded.last_offer_at`),
    // Some reps or teams (a JSON array of ids), each found by key: rep_state and round_robin_* by primary
    // key, open leads by leads_owner, offers since a day's start by offers_rep.
    repStateOf: db.prepare('SELECT rep_id, away_until, capacity_override, last_offer_at FROM rep_state WHERE rep_id IN (SELECT value FROM json_each(?))'),
    openLeadsOf: db.prepare(`SELECT owner_id, count(*) AS n FROM leads WHERE owner_id IN (SELECT value FROM json_each(?)) AND state = 'claimed' GROUP BY owner_id`),
    offersSinceOf: db.prepare('SELECT rep_id, count(*) AS n FROM offers WHERE rep_id IN (SELECT value FROM json_each(?)) AND offered_at >= ? GROUP BY rep_id'),
    passesOf: db.prepare('SELECT team_id, rep_id, pass FROM round_robin_passes WHERE team_id IN (SELECT value FROM json_each(?))'),
    levelOf: db.prepare('SELECT team_id, level FROM round_robin_levels WHERE team_id IN (SELECT value FROM json_each(?))'),
  };

  /** Each zone's current local day, [start, end): a day start is computed once a day, not once a decision. */
  const localDays = new Map<string, { start: number; end: number }>();
  const dayIn = (zone: string, now: number) => {
    const day = localDays.get(zone);
    if (day && now >= day.start && now < day.end) return day;
    const fresh = { start: localDayStart(zone, now), end: nextLocalDayStart(zone, now) };
    localDays.set(zone, fresh);
    return fresh;
  };
  const dayStartIn = (zone: string, now: number) => dayIn(zone, now).start;

  const repsById = new WeakMap<Settings, Map<string, Rep>>();
  const toRuntime = (row: RepStateRow | undefined, openLeads: number, offersToday: number): RepRuntime => ({
    awayUntil: row?.away_until === AWAY_INDEFINITELY ? Number.POSITIVE_INFINITY : (row?.away_until ?? null),
    capacityOverride: row?.capacity_override ?? null,
    openLeads,
    offersToday,
    lastOfferAt: row?.last_offer_at ?? null,
  });

  /** Reps grouped by time zone: offers today are counted from each zone's local midnight, one query per zone. */
  const byZone = (reps: readonly Rep[]) => {
    const zones = new Map<string, string[]>();
    for (const rep of reps) zones.set(rep.timezone, [...(zones.get(rep.timezone) ?? []), rep.id]);
    return zones;
  };

  const roundRobinOf = (passRows: { team_id: string; rep_id: string; pass: number }[], levelRows: { team_id: string; level: number }[], teamIds: Iterable<string>) => {
    const passes = new Map<string, Map<string, number>>();
    for (const row of passRows) passes.set(row.team_id, (passes.get(row.team_id) ?? new Map<string, number>()).set(row.rep_id, row.pass));
    const levels = new Map(levelRows.map((row) => [row.team_id, row.level]));
    const state = new Map<string, RoundRobinState>();
    for (const teamId of teamIds) state.set(teamId, { level: levels.get(teamId) ?? 0, passes: passes.get(teamId) ?? new Map<string, number>() });
    return state;
  };

  return {
    // One writer (BEGIN IMMEDIATE): decisions are serialized already.
    async lockForDecision() {},

    async loadTeamState(settings, now) {
      const state = new Map((statements.repState.all() as RepStateRow[]).map((row) => [row.rep_id, row]));
      const open = new Map((statements.openLeads.all() as { owner_id: string; n: number }[]).map((row) => [row.owner_id, row.n]));
      const today = new Map<string, number>();
      for (const [zone, repIds] of byZone(settings.reps)) {
        const wanted = new Set(repIds);
        for (const row of statements.offersSince.all(dayStartIn(zone, now)) as { rep_id: string; n: number }[]) if (wanted.has(row.rep_id)) today.set(row.rep_id, row.n);
      }
      const reps = new Map<string, RepRuntime>();
      for (const rep of settings.reps) reps.set(rep.id, toRuntime(state.get(rep.id), open.get(rep.id) ?? 0, today.get(rep.id) ?? 0));
      const roundRobin = roundRobinOf(
        statements.passes.all() as { team_id: string; rep_id: string; pass: number }[],
        statements.levels.all() as { team_id: string; level: number }[],
        settings.teams.map((team) => team.id),
      );
      return { reps, roundRobin };
    },

    // Each read by key: the cost does not grow with the number of reps or of offers made today.
    // What the routing cache holds is not read again (in a transaction of the unit of work).
    async loadReps(settings, repIds, now) {
      let byId = repsById.get(settings);
      if (!byId) {
        byId = new Map(settings.reps.map((rep) => [rep.id, rep]));
        repsById.set(settings, byId);
      }
      const reps = new Map<string, RepRuntime>();
      const known: Rep[] = [];
      for (const id of repIds) {
        // A cached entry was loaded for these settings: the rep is in them.
        const cached = cache?.rep(settings, id, now);
        if (cached) {
          reps.set(id, cached);
          continue;
        }
        const rep = byId.get(id);
        if (rep) known.push(rep);
      }
      if (known.length === 0) return reps;
      const ids = JSON.stringify(known.map((rep) => rep.id));
      const state = new Map((statements.repStateOf.all(ids) as RepStateRow[]).map((row) => [row.rep_id, row]));
      const open = new Map((statements.openLeadsOf.all(ids) as { owner_id: string; n: number }[]).map((row) => [row.owner_id, row.n]));
      const today = new Map<string, number>();
      for (const [zone, zoneIds] of byZone(known)) {
        for (const row of statements.offersSinceOf.all(JSON.stringify(zoneIds), dayStartIn(zone, now)) as { rep_id: string; n: number }[]) today.set(row.rep_id, row.n);
      }
      for (const rep of known) {
        const runtime = toRuntime(state.get(rep.id), open.get(rep.id) ?? 0, today.get(rep.id) ?? 0);
        reps.set(rep.id, runtime);
        cache?.putRep(settings, rep.id, runtime, dayIn(rep.timezone, now));
      }
      return reps;
    },

    async loadRoundRobin(teamIds) {
      const result = new Map<string, RoundRobinState>();
      const wanted: string[] = [];
      for (const id of teamIds) {
        const cached = cache?.team(id);
        if (cached) result.set(id, cached);
        else wanted.push(id);
      }
      if (wanted.length === 0) return result;
      const ids = JSON.stringify(wanted);
      const loaded = roundRobinOf(
        statements.passesOf.all(ids) as { team_id: string; rep_id: string; pass: number }[],
        statements.levelOf.all(ids) as { team_id: string; level: number }[],
        wanted,
      );
      for (const [id, state] of loaded) {
        result.set(id, state);
        cache?.putTeam(id, state);
      }
      return result;
    },

    async loadLeadState(lead) {
      const accountOwners = new Map<string, string | null>();
      if (lead.domain) {
        const row = statements.accountOwner.get(lead.domain) as { owner_id: string | null } | undefined;
        if (row) accountOwners.set(lead.domain, row.owner_id);
      }
      const excludedReps = new Set(lead.id === null ? [] : (statements.excluded.all(lead.id) as { rep_id: string }[]).map((row) => row.rep_id));
      return { accountOwners, excludedReps };
    },

    async saveRoundRobin(update) {
      statements.savePass.run(update.teamId, update.repId, update.pass);
      statements.saveLevel.run(update.teamId, update.level);
      cache?.roundRobinSaved(update.teamId, update.repId, update.pass, update.level);
    },

    async recordOfferMade(repId, now) {
      statements.lastOffer.run(repId, now, now);
      cache?.lastOfferSet(repId, now);
    },
  };
}
