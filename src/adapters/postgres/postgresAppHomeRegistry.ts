/**
 * The App Home registry on PostgreSQL (table app_homes, migration 0003): which users opened their
 * Home, and which are marked for a republish, shared by every instance; each marked user is taken by
 * one instance (SKIP LOCKED), so a Home is published once per change however many instances run.
 */
import type { AppHomeRegistry } from '../slack/appHomeRegistry.ts';
import type { PgPool } from './connectPostgres.ts';

const SQL = {
  opened: `INSERT INTO app_homes (user_id, opened_at, touched_at) VALUES ($1, $2, NULL)
    ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at, touched_at = NULL`,
  // The first mark's time is kept: the oldest marks are published first.
  touched: `UPDATE app_homes SET touched_at = coalesce(touched_at, $2) WHERE user_id = ANY($1::text[])`,
  take: `WITH picked AS (
      SELECT user_id, touched_at FROM app_homes WHERE touched_at IS NOT NULL ORDER BY touched_at, user_id LIMIT $1 FOR UPDATE SKIP LOCKED
    ), taken AS (
      UPDATE app_homes SET touched_at = NULL FROM picked WHERE app_homes.user_id = picked.user_id RETURNING picked.user_id, picked.touched_at
    )
    SELECT user_id FROM taken ORDER BY touched_at, user_id`,
} as const;

export function postgresAppHomeRegistry(pool: PgPool): AppHomeRegistry {
  return {
    async opened(userId, now) {
      await pool.query({ name: 'appHomes.opened', text: SQL.opened, values: [userId, now] });
    },
    async touched(userIds, now) {
      if (userIds.length === 0) return;
      await pool.query({ name: 'appHomes.touched', text: SQL.touched, values: [userIds, now] });
    },
    async takeTouched(limit) {
      const { rows } = await pool.query<{ user_id: string }>({ name: 'appHomes.take', text: SQL.take, values: [limit] });
      return rows.map((row) => row.user_id);
    },
  };
}
