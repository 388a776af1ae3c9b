import type { AvailabilityRepository } from '../../app/ports.ts';
import type { Db } from './openDatabase.ts';
import { AWAY_INDEFINITELY } from '../repRuntimeRows.ts';
import type { RoutingCache } from './sqliteRoutingCache.ts';

/** `/away` as rep_state rows (AvailabilityRepository); "until turned off" is stored as AWAY_INDEFINITELY. */
export function sqliteAvailabilityStore(db: Db, cache?: RoutingCache): AvailabilityRepository {
  const statements = {
    get: db.prepare('SELECT away_until FROM rep_state WHERE rep_id = ?'),
    setAway: db.prepare(`INSERT INTO rep_state (rep_id, away_until, away_since, updated_at, updated_by) VALUES (@repId, @until, @now, @now, @by)
      ON CONFLICT (rep_id) DO UPDATE SET away_until = excluded.away_until, away_since = coalesce(rep_state.away_since, excluded.away_since),
        updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    back: db.prepare(`UPDATE rep_state SET away_until = NULL, away_since = NULL, updated_at = ?, updated_by = ? WHERE rep_id = ? AND away_until IS NOT NULL`),
    due: db.prepare(`SELECT rep_id FROM rep_state WHERE away_until IS NOT NULL AND away_until <= ? AND away_until != ?`),
  };
  return {
    async awayOf(repId, now) {
      const row = statements.get.get(repId) as { away_until: number | null } | undefined;
      if (!row || row.away_until === null || row.away_until <= now) return null;
      return { until: row.away_until >= AWAY_INDEFINITELY ? null : row.away_until };
    },
    async setAway(repId, until, now, by) {
      statements.setAway.run({ repId, until: until ?? AWAY_INDEFINITELY, now, by });
      cache?.repsChanged([repId]);
    },
    async setBack(repId, now, by) {
      const changed = statements.back.run(now, by, repId).changes > 0;
      if (changed) cache?.repsChanged([repId]);
      return changed;
    },
    async returnsDue(now) {
      return (statements.due.all(now, AWAY_INDEFINITELY) as { rep_id: string }[]).map((row) => row.rep_id);
    },
  };
}
