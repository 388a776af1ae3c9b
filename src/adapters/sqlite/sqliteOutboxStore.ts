import type { Db } from './openDatabase.ts';

/** Read side of the outbox that operations need (health, metrics). Delivery comes with the offer lifecycle. */
export function sqliteOutboxStore(db: Db) {
  const backlog = db.prepare(`SELECT count(*) AS pending, min(created_at) AS oldest FROM outbox WHERE state = 'pending'`);
  return {
    backlog(now: number): { pending: number; oldestAgeSeconds: number | null } {
      const row = backlog.get() as { pending: number; oldest: number | null };
      return { pending: row.pending, oldestAgeSeconds: row.oldest === null ? null : Math.max(0, Math.round((now - row.oldest) / 1000)) };
    },
  };
}
