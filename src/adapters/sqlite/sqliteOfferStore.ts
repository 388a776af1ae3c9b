import type { Db } from './openDatabase.ts';

export interface NewOffer {
  leadId: number;
  repId: string;
  offeredAt: number;
  deadlineAt: number;
  remindAt: number | null;
}

/** Offers of leads to reps (SPEC 6). Callers own the transaction. */
export function sqliteOfferStore(db: Db) {
  const statements = {
    attempts: db.prepare('SELECT count(*) AS n FROM offers WHERE lead_id = ?'),
    insert: db.prepare(`INSERT INTO offers (lead_id, rep_id, attempt, offered_at, deadline_at, remind_at)
      VALUES (@leadId, @repId, @attempt, @offeredAt, @deadlineAt, @remindAt)`),
  };
  return {
    /** Records an offer as the lead's next attempt; returns its id and attempt number. */
    create(offer: NewOffer): { id: number; attempt: number } {
      const attempt = (statements.attempts.get(offer.leadId) as { n: number }).n + 1;
      const result = statements.insert.run({ ...offer, attempt });
      return { id: Number(result.lastInsertRowid), attempt };
    },
  };
}

export type SqliteOfferStore = ReturnType<typeof sqliteOfferStore>;
