import type { Config } from '../../config/schema.ts';
import { localDayStart, nextLocalDayStart, type RepRuntime, type RoundRobinState, type RoundRobinUpdate, type RoutingSnapshot } from '../../domain/routing/index.ts';
import type { Db } from './openDatabase.ts';

/** `away_until` of a rep away with no return time (`/away` alone). */
export const AWAY_INDEFINITELY = Number.MAX_SAFE_INTEGER;

/**
 * Reads the runtime state a routing decision needs ("fetch everything the decision needs,
 * then decide") and stores the round-robin state it changes. Callers own the transaction.
 */
export function sqliteRoutingStore(db: Db) {
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
    saveLevel: db.prepare(`INSERT INTO round_robin_levels (team_id, level) VALUES (?, ?)
      ON CONFLICT (team_id) DO UPDATE SET level = excluded.level`),
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
  const dayStartIn = (zone: string, now: number) => {
    const day = localDays.get(zone);
    if (day && now >= day.start && now < day.end) return day.start;
    const start = localDayStart(zone, now);
    localDays.set(zone, { start, end: nextLocalDayStart(zone, now) });
    return start;
  };

  const repsById = new WeakMap<Config, Map<string, Config['reps'][number]>>();
  type RepStateRow = { away_until: number | null; capacity_override: number | null; last_offer_at: number | null };
  const toRuntime = (row: RepStateRow | undefined, openLeads: number, offersToday: number): RepRuntime => ({
    awayUntil: row?.away_until === AWAY_INDEFINITELY ? Number.POSITIVE_INFINITY : (row?.away_until ?? null),
    capacityOverride: row?.capacity_override ?? null,
    openLeads,
    offersToday,
    lastOfferAt: row?.last_offer_at ?? null,
  });

  /** Offers per rep since each rep's local midnight: one query per distinct time zone. */
  const offersToday = (config: Config, now: number): Map<string, number> => {
    const byZone = new Map<string, string[]>();
    for (const rep of config.reps) byZone.set(rep.timezone, [...(byZone.get(rep.timezone) ?? []), rep.id]);
    const counts = new Map<string, number>();
    for (const [zone, repIds] of byZone) {
      const wanted = new Set(repIds);
      for (const row of statements.offersSince.all(dayStartIn(zone, now)) as { rep_id: string; n: number }[]) {
        if (wanted.has(row.rep_id)) counts.set(row.rep_id, row.n);
      }
    }
    return counts;
  };

  return {
    /** Everything a decision about this lead (null: no particular lead) depends on, as of `now`. */
    loadSnapshot(config: Config, lead: { id: number | null; domain: string | null }, now: number): RoutingSnapshot {
      return { ...this.loadTeamState(config, now), ...this.loadLeadState(lead) };
    },

    /** The part of a snapshot shared by every lead: reps' runtime state and the round-robin state. */
    loadTeamState(config: Config, now: number): { reps: Map<string, RepRuntime>; roundRobin: Map<string, RoundRobinState> } {
      const state = new Map(
        (statements.repState.all() as { rep_id: string; away_until: number | null; capacity_override: number | null; last_offer_at: number | null }[]).map((row) => [row.rep_id, row]),
      );
      const open = new Map((statements.openLeads.all() as { owner_id: string; n: number }[]).map((row) => [row.owner_id, row.n]));
      const today = offersToday(config, now);
      const reps = new Map<string, RepRuntime>();
      for (const rep of config.reps) reps.set(rep.id, toRuntime(state.get(rep.id), open.get(rep.id) ?? 0, today.get(rep.id) ?? 0));
      const passes = new Map<string, Map<string, number>>();
      for (const row of statements.passes.all() as { team_id: string; rep_id: string; pass: number }[]) {
        passes.set(row.team_id, (passes.get(row.team_id) ?? new Map<string, number>()).set(row.rep_id, row.pass));
      }
      const roundRobin = new Map<string, RoundRobinState>();
      const levels = new Map((statements.levels.all() as { team_id: string; level: number }[]).map((row) => [row.team_id, row.level]));
      for (const team of config.teams) roundRobin.set(team.id, { level: levels.get(team.id) ?? 0, passes: passes.get(team.id) ?? new Map() });
      return { reps, roundRobin };
    },

    /**
     * The runtime state of some reps as of `now`, each read by key (an entry for every id; reps not in
     * the config are left out): what a decision needs when it looks at a few teams of a large config,
     * at a cost that does not grow with the number of reps or of offers made today.
     */
    loadReps(config: Config, repIds: Iterable<string>, now: number): Map<string, RepRuntime> {
      let byId = repsById.get(config);
      if (!byId) {
        byId = new Map(config.reps.map((rep) => [rep.id, rep]));
        repsById.set(config, byId);
      }
      const known = [...repIds].flatMap((id) => {
        const rep = byId.get(id);
        return rep ? [rep] : [];
      });
      const reps = new Map<string, RepRuntime>();
      if (known.length === 0) return reps;
      const ids = JSON.stringify(known.map((rep) => rep.id));
      const state = new Map((statements.repStateOf.all(ids) as (RepStateRow & { rep_id: string })[]).map((row) => [row.rep_id, row]));
      const open = new Map((statements.openLeadsOf.all(ids) as { owner_id: string; n: number }[]).map((row) => [row.owner_id, row.n]));
      const today = new Map<string, number>();
      const byZone = new Map<string, string[]>();
      for (const rep of known) byZone.set(rep.timezone, [...(byZone.get(rep.timezone) ?? []), rep.id]);
      for (const [zone, zoneIds] of byZone) {
        for (const row of statements.offersSinceOf.all(JSON.stringify(zoneIds), dayStartIn(zone, now)) as { rep_id: string; n: number }[]) today.set(row.rep_id, row.n);
      }
      for (const rep of known) reps.set(rep.id, toRuntime(state.get(rep.id), open.get(rep.id) ?? 0, today.get(rep.id) ?? 0));
      return reps;
    },

    /** The round-robin state of some teams (level 0 and no passes when none is stored). */
    loadRoundRobin(teamIds: Iterable<string>): Map<string, RoundRobinState> {
      const wanted = [...teamIds];
      const ids = JSON.stringify(wanted);
      const passes = new Map<string, Map<string, number>>();
      for (const row of statements.passesOf.all(ids) as { team_id: string; rep_id: string; pass: number }[]) {
        passes.set(row.team_id, (passes.get(row.team_id) ?? new Map<string, number>()).set(row.rep_id, row.pass));
      }
      const levels = new Map((statements.levelOf.all(ids) as { team_id: string; level: number }[]).map((row) => [row.team_id, row.level]));
      return new Map(wanted.map((teamId) => [teamId, { level: levels.get(teamId) ?? 0, passes: passes.get(teamId) ?? new Map<string, number>() }]));
    },

    /** The part of a snapshot particular to one lead: its account's runtime owner and the reps who already missed it. */
    loadLeadState(lead: { id: number | null; domain: string | null }): { accountOwners: Map<string, string | null>; excludedReps: Set<string> } {
      const accountOwners = new Map<string, string | null>();
      if (lead.domain) {
        const row = statements.accountOwner.get(lead.domain) as { owner_id: string | null } | undefined;
        if (row) accountOwners.set(lead.domain, row.owner_id);
      }
      const excludedReps = new Set(lead.id === null ? [] : (statements.excluded.all(lead.id) as { rep_id: string }[]).map((row) => row.rep_id));
      return { accountOwners, excludedReps };
    },

    saveRoundRobin(update: RoundRobinUpdate): void {
      statements.savePass.run(update.teamId, update.repId, update.pass);
      statements.saveLevel.run(update.teamId, update.level);
    },

    recordOfferMade(repId: string, now: number): void {
      statements.lastOffer.run(repId, now, now);
    },
  };
}

export type SqliteRoutingStore = ReturnType<typeof sqliteRoutingStore>;
