import type { SignalChannel, SignalKind } from '../../config/schema.ts';
import type { SignalFact } from '../../domain/signals/matchSignalRule.ts';
import type { Db } from './openDatabase.ts';

/** Engagement signals stored on leads, and finding the lead a signal is about. Callers own the transaction. */
export function sqliteSignalStore(db: Db) {
  const statements = {
    byEmail: db.prepare('SELECT id FROM leads WHERE email_key = ? ORDER BY id DESC LIMIT 1'),
    byLinkedIn: db.prepare('SELECT id FROM leads WHERE linkedin_key = ? ORDER BY id DESC LIMIT 1'),
    byExternalId: db.prepare('SELECT id FROM leads WHERE external_id = ?'),
    byId: db.prepare('SELECT id FROM leads WHERE id = ?'),
    byKey: db.prepare('SELECT lead_id FROM signals WHERE signal_key = ?'),
    insert: db.prepare(`INSERT INTO signals (lead_id, signal_key, channel, kind, at, received_at) VALUES (?, ?, ?, ?, ?, ?)`),
    ofLead: db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at'),
  };
  const idOf = (row: unknown) => (row as { id: number } | undefined)?.id ?? null;
  return {
    /** The newest lead with these keys (already normalized), or null. */
    findLead(key: { emailKey?: string; linkedinKey?: string; externalId?: string; id?: number }): number | null {
      if (key.id !== undefined) return idOf(statements.byId.get(key.id));
      if (key.externalId !== undefined) return idOf(statements.byExternalId.get(key.externalId));
      if (key.emailKey !== undefined) return idOf(statements.byEmail.get(key.emailKey));
      if (key.linkedinKey !== undefined) return idOf(statements.byLinkedIn.get(key.linkedinKey));
      return null;
    },

    /** The lead a signal with this sender id was already recorded on, if any. */
    leadOfSignalKey(signalKey: string): number | null {
      return (statements.byKey.get(signalKey) as { lead_id: number } | undefined)?.lead_id ?? null;
    },

    insert(leadId: number, signal: SignalFact, signalKey: string | null, receivedAt: number): void {
      statements.insert.run(leadId, signalKey, signal.channel, signal.kind, signal.at, receivedAt);
    },

    ofLead(leadId: number): SignalFact[] {
      return statements.ofLead.all(leadId) as { channel: SignalChannel; kind: SignalKind; at: number }[];
    },
  };
}

export type SqliteSignalStore = ReturnType<typeof sqliteSignalStore>;
