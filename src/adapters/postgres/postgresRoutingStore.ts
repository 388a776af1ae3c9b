import type { RoutingRepository } from '../../app/ports.ts';
import type { RepRuntime } from '../../domain/routing/index.ts';
import { dayStartIn, knownReps, repRuntimesOf, repsByZone, roundRobinOf, type LevelRow, type OpenLeadsRow, type PassRow, type RepStateRow } from '../repRuntimeRows.ts';
import { domainsOf, leadStatesOf, offersMadeRows } from '../batchRows.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { firstRow, lockForTransaction, rowsOf } from './pgQuery.ts';

/** The one lock every routing decision takes, on every instance. */
const DECISION_LOCK = 'leadrelay.routing.decision';

type CountRow = { rep_id: string; n: number };

/**
 * The runtime state a routing decision reads and the round-robin state it changes
 * (RoutingRepository), on the transaction's client. Round-robin state is read, decided on and
 * written back: `lockForDecision` makes the decisions of all instances take turns, so two never
 * start from the same passes (on SQLite the one writer does that).
 */
export function postgresRoutingStore(q: PgQueryable): RoutingRepository {
  const offersToday = async (repIds: readonly string[] | null, zones: Map<string, string[]>, now: number) => {
    const today = new Map<string, number>();
    for (const [zone, zoneIds] of zones) {
      const since = dayStartIn(zone, now);
      const wanted = new Set(zoneIds);
      // Every rep of the zone (loadTeamState) or those asked for, by offers_rep.
      const rows =
        repIds === null
          ? await rowsOf<CountRow>(q, 'SELECT rep_id, count(*) AS n FROM offers WHERE offered_at >= $1 GROUP BY rep_id', [since])
          : await rowsOf<CountRow>(q, 'SELECT rep_id, count(*) AS n FROM offers WHERE rep_id = ANY($1::text[]) AND offered_at >= $2 GROUP BY rep_id', [zoneIds, since]);
      for (const row of rows) if (wanted.has(row.rep_id)) today.set(row.rep_id, row.n);
    }
    return today;
  };

  return {
    async lockForDecision() {
      await lockForTransaction(q, [DECISION_LOCK]);
    },

    async loadTeamState(settings, now) {
      const today = await offersToday(null, repsByZone(settings.reps), now);
      const stateRows = await rowsOf<RepStateRow>(q, 'SELECT rep_id, away_until, capacity_override, last_offer_at FROM rep_state');
      const openRows = await rowsOf<OpenLeadsRow>(q, `SELECT owner_id, count(*) AS n FROM leads WHERE state = 'claimed' AND owner_id IS NOT NULL GROUP BY owner_id`);
      const reps = repRuntimesOf(settings.reps, stateRows, openRows, today);
      const passRows = await rowsOf<PassRow>(q, 'SELECT team_id, rep_id, pass FROM round_robin_passes');
      const levelRows = await rowsOf<LevelRow>(q, 'SELECT team_id, level FROM round_robin_levels');
      return { reps, roundRobin: roundRobinOf(passRows, levelRows, settings.teams.map((team) => team.id)) };
    },

    // Each read by key: the cost does not grow with the number of reps or of offers made today.
    async loadReps(settings, repIds, now) {
      const known = knownReps(settings, repIds);
      if (known.length === 0) return new Map<string, RepRuntime>();
      const ids = known.map((rep) => rep.id);
      const stateRows = await rowsOf<RepStateRow>(q, 'SELECT rep_id, away_until, capacity_override, last_offer_at FROM rep_state WHERE rep_id = ANY($1::text[])', [ids]);
      const openRows = await rowsOf<OpenLeadsRow>(q, `SELECT owner_id, count(*) AS n FROM leads WHERE owner_id = ANY($1::text[]) AND state = 'claimed' GROUP BY owner_id`, [ids]);
      return repRuntimesOf(known, stateRows, openRows, await offersToday(ids, repsByZone(known), now));
    },

    async loadRoundRobin(teamIds) {
      const wanted = [...teamIds];
      const passRows = await rowsOf<PassRow>(q, 'SELECT team_id, rep_id, pass FROM round_robin_passes WHERE team_id = ANY($1::text[])', [wanted]);
      const levelRows = await rowsOf<LevelRow>(q, 'SELECT team_id, level FROM round_robin_levels WHERE team_id = ANY($1::text[])', [wanted]);
      return roundRobinOf(passRows, levelRows, wanted);
    },

    async loadLeadState(lead) {
      const accountOwners = new Map<string, string | null>();
      if (lead.domain) {
        const row = await firstRow<{ owner_id: string | null }>(q, 'SELECT owner_id FROM account_owners WHERE domain = $1', [lead.domain]);
        if (row) accountOwners.set(lead.domain, row.owner_id);
      }
      const excluded =
        lead.id === null ? [] : await rowsOf<{ rep_id: string }>(q, `SELECT DISTINCT rep_id FROM offers WHERE lead_id = $1 AND state IN ('passed', 'expired')`, [lead.id]);
      return { accountOwners, excludedReps: new Set(excluded.map((row) => row.rep_id)) };
    },

    async loadLeadStates(leads) {
      const domains = domainsOf(leads);
      const owners = new Map<string, string | null>();
      if (domains.length > 0) for (const row of await rowsOf<{ domain: string; owner_id: string | null }>(q, 'SELECT domain, owner_id FROM account_owners WHERE domain = ANY($1::text[])', [domains])) owners.set(row.domain, row.owner_id);
      const missed =
        leads.length === 0 ? [] : await rowsOf<{ lead_id: number; rep_id: string }>(q, `SELECT DISTINCT lead_id, rep_id FROM offers WHERE lead_id = ANY($1::bigint[]) AND state IN ('passed', 'expired')`, [leads.map((lead) => lead.id)]);
      return leadStatesOf(leads, owners, missed);
    },

    // One statement per table for a batch (unnest of parallel arrays), each key's last value.
    async recordOffersMade(offers) {
      if (offers.length === 0) return;
      const { passes, levels, lastOffers } = offersMadeRows(offers);
      if (passes.length > 0) {
        await q.query(
          `INSERT INTO round_robin_passes (team_id, rep_id, pass) SELECT * FROM unnest($1::text[], $2::text[], $3::float8[])
            ON CONFLICT (team_id, rep_id) DO UPDATE SET pass = excluded.pass`,
          [passes.map((p) => p[0]), passes.map((p) => p[1]), passes.map((p) => p[2])],
        );
      }
      if (levels.length > 0) {
        await q.query('INSERT INTO round_robin_levels (team_id, level) SELECT * FROM unnest($1::text[], $2::float8[]) ON CONFLICT (team_id) DO UPDATE SET level = excluded.level', [
          levels.map((l) => l[0]),
          levels.map((l) => l[1]),
        ]);
      }
      await q.query(
        `INSERT INTO rep_state (rep_id, last_offer_at, updated_at) SELECT r, at, at FROM unnest($1::text[], $2::bigint[]) AS u(r, at)
          ON CONFLICT (rep_id) DO UPDATE SET last_offer_at = excluded.last_offer_at`,
        [lastOffers.map((o) => o[0]), lastOffers.map((o) => o[1])],
      );
    },

    async saveRoundRobin(update) {
      await q.query('INSERT INTO round_robin_passes (team_id, rep_id, pass) VALUES ($1, $2, $3) ON CONFLICT (team_id, rep_id) DO UPDATE SET pass = excluded.pass', [
        update.teamId,
        update.repId,
        update.pass,
      ]);
      await q.query('INSERT INTO round_robin_levels (team_id, level) VALUES ($1, $2) ON CONFLICT (team_id) DO UPDATE SET level = excluded.level', [update.teamId, update.level]);
    },

    async recordOfferMade(repId, now) {
      await q.query('INSERT INTO rep_state (rep_id, last_offer_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (rep_id) DO UPDATE SET last_offer_at = excluded.last_offer_at', [repId, now]);
    },
  };
}
