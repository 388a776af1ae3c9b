import type { SignalRepository } from '../../app/ports.ts';
import type { SignalFact } from '../../domain/signals/matchSignalRule.ts';
import type { Db } from './openDatabase.ts';

/** Engagement signals stored on leads (SignalRepository). */
export function sqliteSignalStore(db: Db): SignalRepository {
  const statements = {
    byKey: db.prepare('SELECT lead_id FROM signals WHERE signal_key = ?'),
    insert: db.prepare(`INSERT INTO signals (lead_id, signal_key, channel, kind, at, received_at) VALUES (?, ?, ?, ?, ?, ?)`),
    ofLead: db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at'),
    recent: db.prepare('SELECT channel, kind, at FROM signals WHERE lead_id = ? ORDER BY at DESC, id DESC LIMIT ?'),
    positiveReply: db.prepare(`SELECT 1 FROM signals WHERE lead_id = ? AND kind = 'reply_positive' LIMIT 1`),
  };
  return {
    async leadOfKey(signalKey) {
      return (statements.byKey.get(signalKey) as { lead_id: number } | undefined)?.lead_id ?? null;
    },
    async insert(leadId, signal, signalKey, receivedAt) {
      statements.insert.run(leadId, signalKey, signal.channel, signal.kind, signal.at, receivedAt);
    },
    async ofLead(leadId) {
      return statements.ofLead.all(leadId) as SignalFact[];
    },
    async recentOfLead(leadId, limit) {
      return statements.recent.all(leadId, limit) as SignalFact[];
    },
    async hasPositiveReply(leadId) {
      return statements.positiveReply.get(leadId) !== undefined;
    },
  };
}
