import type { AvailabilityRepository } from '../../app/ports.ts';
import { AWAY_INDEFINITELY } from '../repRuntimeRows.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { changedRows, firstRow, rowsOf } from './pgQuery.ts';

/** `/away` as rep_state rows (AvailabilityRepository); "until turned off" is stored as AWAY_INDEFINITELY. */
export function postgresAvailabilityStore(q: PgQueryable): AvailabilityRepository {
  return {
    async awayOf(repId, now) {
      const row = await firstRow<{ away_until: number | null }>(q, 'SELECT away_until FROM rep_state WHERE rep_id = $1', [repId]);
      if (!row || row.away_until === null || row.away_until <= now) return null;
      return { until: row.away_until >= AWAY_INDEFINITELY ? null : row.away_until };
    },
    async setAway(repId, until, now, by) {
      await q.query(
        `INSERT INTO rep_state (rep_id, away_until, away_since, updated_at, updated_by) VALUES ($1, $2, $3, $3, $4)
          ON CONFLICT (rep_id) DO UPDATE SET away_until = excluded.away_until, away_since = coalesce(rep_state.away_since, excluded.away_since),
            updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [repId, until ?? AWAY_INDEFINITELY, now, by],
      );
    },
    async setBack(repId, now, by) {
      const changed = await changedRows(q, 'UPDATE rep_state SET away_until = NULL, away_since = NULL, updated_at = $2, updated_by = $3 WHERE rep_id = $1 AND away_until IS NOT NULL', [
        repId,
        now,
        by,
      ]);
      return changed > 0;
    },
    async returnsDue(now) {
      const rows = await rowsOf<{ rep_id: string }>(q, 'SELECT rep_id FROM rep_state WHERE away_until IS NOT NULL AND away_until <= $1 AND away_until <> $2', [now, AWAY_INDEFINITELY]);
      return rows.map((row) => row.rep_id);
    },
  };
}
