import type { RoutingRepository } from '../../app/ports.ts';
import type { RepRuntime, RoundRobinState } from '../../domain/routing/index.ts';
import type { Rep } from '../../domain/settings.ts';
import { dayStartIn, knownReps, localDayIn, repRuntimesOf, repsByZone, roundRobinOf, type LevelRow, type OpenLeadsRow, type PassRow, type RepStateRow } from '../repRuntimeRows.ts';
import { domainsOf, leadStatesOf, offersMadeRows } from '../batchRows.ts';
import type { Db } from './openDatabase.ts';
import type { RoutingCache } from './sqliteRoutingCache.ts';

export { AWAY_INDEFINITELY } from '../repRuntimeRows.ts';

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
    // A batch's offers: the last state per team member, team and rep, each upserted in one statement.
    savePasses: db.prepare(`INSERT INTO round_robin_passes (team_id, rep_id, pass) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
      ON CONFLICT (team_id, rep_id) DO UPDATE SET pass = excluded.pass`),
    saveLevels: db.prepare(`INSERT INTO round_robin_levels (team_id, level) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
      ON CONFLICT (team_id) DO UPDATE SET level = excluded.level WHERE level <> excluded.level`),
    lastOffers: db.prepare(`INSERT INTO rep_state (rep_id, last_offer_at, updated_at) SELECT value ->> 0, value ->> 1, value ->> 1 FROM json_each(?) WHERE true
      ON CONFLICT (rep_id) DO UPDATE SET last_offer_at = excluded.last_offer_at`),
    accountOwnersOf: db.prepare('SELECT domain, owner_id FROM account_owners WHERE domain IN (SELECT value FROM json_each(?))'),
    excludedOf: db.prepare(`SELECT DISTINCT lead_id, rep_id FROM offers WHERE lead_id IN (SELECT value FROM json_each(?)) AND state IN ('passed', 'expired')`),
    // Some reps or teams (a JSON array of ids), each found by key: rep_state and round_robin_* by primary
    // key, open leads by leads_owner, offers since a day's start by offers_rep.
    repStateOf: db.prepare('SELECT rep_id, away_until, capacity_override, last_offer_at FROM rep_state WHERE rep_id IN (SELECT value FROM json_each(?))'),
    openLeadsOf: db.prepare(`SELECT owner_id, count(*) AS n FROM leads WHERE owner_id IN (SELECT value FROM json_each(?)) AND state = 'claimed' GROUP BY owner_id`),
    offersSinceOf: db.prepare('SELECT rep_id, count(*) AS n FROM offers WHERE rep_id IN (SELECT value FROM json_each(?)) AND offered_at >= ? GROUP BY rep_id'),
    passesOf: db.prepare('SELECT team_id, rep_id, pass FROM round_robin_passes WHERE team_id IN (SELECT value FROM json_each(?))'),
    levelOf: db.prepare('SELECT team_id, level FROM round_robin_levels WHERE team_id IN (SELECT value FROM json_each(?))'),
  };

  return {
    // One writer (BEGIN IMMEDIATE): decisions are serialized already.
    async lockForDecision() {},

    async loadTeamState(settings, now) {
      const today = new Map<string, number>();
      for (const [zone, repIds] of repsByZone(settings.reps)) {
        const wanted = new Set(repIds);
        for (const row of statements.offersSince.all(dayStartIn(zone, now)) as { rep_id: string; n: number }[]) if (wanted.has(row.rep_id)) today.set(row.rep_id, row.n);
      }
      const reps = repRuntimesOf(settings.reps, statements.repState.all() as RepStateRow[], statements.openLeads.all() as OpenLeadsRow[], today);
      const roundRobin = roundRobinOf(
        statements.passes.all() as PassRow[],
        statements.levels.all() as LevelRow[],
        settings.teams.map((team) => team.id),
      );
      return { reps, roundRobin };
    },

    // Each read by key: the cost does not grow with the number of reps or of offers made today.
    // What the routing cache holds is not read again (in a transaction of the unit of work).
    async loadReps(settings, repIds, now) {
      const reps = new Map<string, RepRuntime>();
      const missing: string[] = [];
      for (const id of repIds) {
        // A cached entry was loaded for these settings: the rep is in them.
        const cached = cache?.rep(settings, id, now);
        if (cached) reps.set(id, cached);
        else missing.push(id);
      }
      const known: Rep[] = missing.length === 0 ? [] : knownReps(settings, missing);
      if (known.length === 0) return reps;
      const ids = JSON.stringify(known.map((rep) => rep.id));
      const today = new Map<string, number>();
      for (const [zone, zoneIds] of repsByZone(known)) {
        for (const row of statements.offersSinceOf.all(JSON.stringify(zoneIds), dayStartIn(zone, now)) as { rep_id: string; n: number }[]) today.set(row.rep_id, row.n);
      }
      const loaded = repRuntimesOf(known, statements.repStateOf.all(ids) as RepStateRow[], statements.openLeadsOf.all(ids) as OpenLeadsRow[], today);
      for (const rep of known) {
        const runtime = loaded.get(rep.id) as RepRuntime;
        reps.set(rep.id, runtime);
        cache?.putRep(settings, rep.id, runtime, localDayIn(rep.timezone, now));
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
        statements.passesOf.all(ids) as PassRow[],
        statements.levelOf.all(ids) as LevelRow[],
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

    async loadLeadStates(leads) {
      const domains = domainsOf(leads);
      const owners = new Map<string, string | null>();
      if (domains.length > 0) for (const row of statements.accountOwnersOf.all(JSON.stringify(domains)) as { domain: string; owner_id: string | null }[]) owners.set(row.domain, row.owner_id);
      const missed = leads.length === 0 ? [] : (statements.excludedOf.all(JSON.stringify(leads.map((lead) => lead.id))) as { lead_id: number; rep_id: string }[]);
      return leadStatesOf(leads, owners, missed);
    },

    async recordOffersMade(offers) {
      if (offers.length === 0) return;
      const rows = offersMadeRows(offers);
      if (rows.passes.length > 0) statements.savePasses.run(JSON.stringify(rows.passes));
      if (rows.levels.length > 0) statements.saveLevels.run(JSON.stringify(rows.levels));
      statements.lastOffers.run(JSON.stringify(rows.lastOffers));
      for (const { repId, now, roundRobin } of offers) {
        if (roundRobin) cache?.roundRobinSaved(roundRobin.teamId, roundRobin.repId, roundRobin.pass, roundRobin.level);
        cache?.lastOfferSet(repId, now);
      }
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
