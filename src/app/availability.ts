import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../adapters/logger.ts';
import type { Db } from '../adapters/sqlite/openDatabase.ts';
import type { SqliteOutboxStore } from '../adapters/sqlite/sqliteOutboxStore.ts';
import { AWAY_INDEFINITELY } from '../adapters/sqlite/sqliteRoutingStore.ts';
import type { OfferLifecycle } from './offerLifecycle.ts';
import type { LeadRouter } from './routeLead.ts';

export type AwayState = { away: false } | { away: true; until: number | null };

/**
 * Availability (`/away`, App Home toggle): a rep away is out of rotation; going away moves
 * their pending offers to the next rep at once; coming back (by hand or at the time they gave)
 * offers them queued leads. Runtime state in rep_state wins over the config file.
 */
export function createAvailability(deps: { db: Db; outbox: SqliteOutboxStore; lifecycle: OfferLifecycle; router: LeadRouter; clock: Clock; logger: Logger; onEffects?: () => void }) {
  const { db, outbox, lifecycle, router, clock, logger } = deps;
  const statements = {
    get: db.prepare('SELECT away_until FROM rep_state WHERE rep_id = ?'),
    setAway: db.prepare(`INSERT INTO rep_state (rep_id, away_until, away_since, updated_at, updated_by) VALUES (@repId, @until, @now, @now, @by)
      ON CONFLICT (rep_id) DO UPDATE SET away_until = excluded.away_until, away_since = coalesce(rep_state.away_since, excluded.away_since),
        updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    back: db.prepare(`UPDATE rep_state SET away_until = NULL, away_since = NULL, updated_at = ?, updated_by = ? WHERE rep_id = ? AND away_until IS NOT NULL`),
    due: db.prepare(`SELECT rep_id FROM rep_state WHERE away_until IS NOT NULL AND away_until <= ? AND away_until != ?`),
  };

  const state = (repId: string): AwayState => {
    const row = statements.get.get(repId) as { away_until: number | null } | undefined;
    if (!row || row.away_until === null || row.away_until <= clock.now()) return { away: false };
    return { away: true, until: row.away_until === AWAY_INDEFINITELY ? null : row.away_until };
  };

  const goAway = db.transaction((repId: string, until: number | null, by: string): number => {
    const now = clock.now();
    statements.setAway.run({ repId, until: until ?? AWAY_INDEFINITELY, now, by });
    return lifecycle.withdrawOffersOf(repId, by);
  });

  const comeBack = (repId: string, by: string, notify: boolean): boolean => {
    const now = clock.now();
    const changed = db.transaction(() => {
      if (statements.back.run(now, by, repId).changes === 0) return false;
      if (notify) {
        outbox.enqueue({ leadId: null, kind: 'card', method: 'post_message', payload: { channel: repId, text: "👋 You're back in rotation: new leads can come your way again." } }, now);
      }
      return true;
    }).immediate();
    if (changed) {
      logger.info({ rep: repId, event: 'rep.back', by }, 'rep back in rotation');
      deps.onEffects?.();
      router.rerouteQueued();
    }
    return changed;
  };

  return {
    state,

    /** Takes the rep out of rotation until `until` (null: until they come back); returns how many offers moved on. */
    setAway(repId: string, until: number | null, by: string): number {
      const moved = goAway.immediate(repId, until, by);
      logger.info({ rep: repId, event: 'rep.away', by, until }, 'rep away');
      deps.onEffects?.();
      return moved;
    },

    /** Back in rotation now; queued leads are offered at once. False when the rep was not away. */
    setBack(repId: string, by: string): boolean {
      return comeBack(repId, by, false);
    },

    /** The automatic return: reps whose away time has passed are back, told by DM. */
    returnDue(): number {
      const due = statements.due.all(clock.now(), AWAY_INDEFINITELY) as { rep_id: string }[];
      let back = 0;
      for (const { rep_id } of due) if (comeBack(rep_id, 'system', true)) back += 1;
      return back;
    },
  };
}

export type Availability = ReturnType<typeof createAvailability>;
