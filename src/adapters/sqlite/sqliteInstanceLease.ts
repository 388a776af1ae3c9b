import { holderIsGone, instanceName } from '../instanceName.ts';
import type { Db } from './openDatabase.ts';

/** The lease as stored: who holds it and until when (epoch ms). */
export interface LeaseRecord {
  holder: string;
  acquired_at: number;
  heartbeat_at: number;
  expires_at: number;
}

export type LeaseAttempt = { acquired: true; tookOverFrom: LeaseRecord | null } | { acquired: false; holder: LeaseRecord };

export interface InstanceLeaseOptions {
  /** This instance's name; default `instanceName()`. */
  holder?: string;
  /** How long a heartbeat keeps the lease (default 6 s): another instance takes over this long after the last one. */
  ttlMs?: number;
  now?: () => number;
  /**
   * Whether the holder named is known to be dead: on this host, in this PID namespace, with no such
   * process (a kill -9 is then noticed at once instead of after `ttlMs`). Default `holderIsGone`.
   */
  holderIsGone?: (holder: string) => boolean;
}

/**
 * One writer on SQLite: the instance that holds this lease (one row in the database) is the
 * only one that serves; another instance started on the same file waits and takes over once the
 * holder's heartbeat has lapsed for `ttlMs`, or at once when the holder stopped cleanly (it releases
 * the lease) or is known to be dead. Acquiring is compare-and-set in an IMMEDIATE transaction, so
 * two instances starting together cannot both win.
 */
export function sqliteInstanceLease(db: Db, options: InstanceLeaseOptions = {}) {
  const holder = options.holder ?? instanceName();
  const ttlMs = options.ttlMs ?? 6000;
  const now = options.now ?? Date.now;
  const gone = options.holderIsGone ?? holderIsGone;
  const statements = {
    read: db.prepare('SELECT holder, acquired_at, heartbeat_at, expires_at FROM instance_lease WHERE id = 1'),
    take: db.prepare(`INSERT INTO instance_lease (id, holder, acquired_at, heartbeat_at, expires_at) VALUES (1, @holder, @now, @now, @expires)
      ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`),
    renew: db.prepare('UPDATE instance_lease SET heartbeat_at = @now, expires_at = @expires WHERE id = 1 AND holder = @holder'),
    release: db.prepare('DELETE FROM instance_lease WHERE id = 1 AND holder = ?'),
  };
  /** Until when this instance may act, as it last wrote it; 0 when it does not hold the lease. */
  let heldUntil = 0;
  const read = () => statements.read.get() as LeaseRecord | undefined;
  const takeable = (record: LeaseRecord | undefined, at: number) => record === undefined || record.holder === holder || record.expires_at <= at || gone(record.holder);

  const acquire = db.transaction((): LeaseAttempt => {
    const at = now();
    const record = read();
    if (!takeable(record, at)) return { acquired: false, holder: record as LeaseRecord };
    statements.take.run({ holder, now: at, expires: at + ttlMs });
    heldUntil = at + ttlMs;
    return { acquired: true, tookOverFrom: record !== undefined && record.holder !== holder ? record : null };
  });

  return {
    /** This instance's name, as stored while it holds the lease. */
    holder,
    ttlMs,

    /** Takes the lease when nobody holds it (or its holder is gone); otherwise says who holds it. */
    tryAcquire(): LeaseAttempt {
      // A read first: a waiting instance polls without taking the database's write lock.
      const record = read();
      if (!takeable(record, now())) return { acquired: false, holder: record as LeaseRecord };
      return acquire.immediate();
    },

    /** The heartbeat: extends the lease; false when this instance no longer holds it (it must stop at once). */
    renew(): boolean {
      const at = now();
      const renewed = statements.renew.run({ holder, now: at, expires: at + ttlMs }).changes === 1;
      heldUntil = renewed ? at + ttlMs : 0;
      return renewed;
    },

    /**
     * Whether this instance may act now: it holds the lease and its last heartbeat has not lapsed (a
     * process paused past its lease stops before the instance that takes over starts).
     */
    held(): boolean {
      return now() < heldUntil;
    },

    /** Gives the lease up (a clean stop): a waiting instance takes over at its next poll. */
    release(): void {
      statements.release.run(holder);
      heldUntil = 0;
    },

    /** Who holds the lease now, if anyone. */
    current(): LeaseRecord | undefined {
      return read();
    },
  };
}

export type InstanceLease = ReturnType<typeof sqliteInstanceLease>;
