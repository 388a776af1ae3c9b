import type { SignalChannel, SignalKind } from '../../domain/settings.ts';
import type { SignalFact } from '../../domain/signals/matchSignalRule.ts';
import type { Db } from './openDatabase.ts';

/** Engagement signals stored on leads. Callers own the transaction. */
export function sqliteSignalStore(db: Db) {
  const statements = {
    byKey: db.prepare('SELECT lead_id FROM signals WHERE signal_key = ?'),
    insert: db.prepare(`INSERT INTO signals (lead_id, signal_key, channel, kind, at, received_at) VALUES (?, ?, ?, ?, ?, ?)`),
    ofLead: db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at'),
  };
  return {
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
