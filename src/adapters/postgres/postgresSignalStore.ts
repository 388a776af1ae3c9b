import type { SignalRepository } from '../../app/ports.ts';
import type { SignalFact } from '../../domain/signals/matchSignalRule.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { firstRow, rowsOf } from './pgQuery.ts';

/**
 * Engagement signals stored on leads (SignalRepository). The same sender id arriving at two
 * instances at once: signals_key refuses the second insert (a unique violation), and the unit of
 * work runs that request again, which then finds the signal recorded.
 */
export function postgresSignalStore(q: PgQueryable): SignalRepository {
  return {
    async leadOfKey(signalKey) {
      const row = await firstRow<{ lead_id: number }>(q, 'SELECT lead_id FROM signals WHERE signal_key = $1', [signalKey]);
      return row?.lead_id ?? null;
    },
    async insert(leadId, signal, signalKey, receivedAt) {
      await q.query('INSERT INTO signals (lead_id, signal_key, channel, kind, at, received_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        leadId,
        signalKey,
        signal.channel,
        signal.kind,
        signal.at,
        receivedAt,
      ]);
    },
    async ofLead(leadId) {
      return rowsOf<SignalFact>(q, 'SELECT channel, kind, at FROM signals WHERE lead_id = $1 ORDER BY at, id', [leadId]);
    },
    async recentOfLead(leadId, limit) {
      return rowsOf<SignalFact>(q, 'SELECT channel, kind, at FROM signals WHERE lead_id = $1 ORDER BY at DESC, id DESC LIMIT $2', [leadId, limit]);
    },
    async hasPositiveReply(leadId) {
      return (await firstRow(q, `SELECT 1 FROM signals WHERE lead_id = $1 AND kind = 'reply_positive' LIMIT 1`, [leadId])) !== null;
    },
  };
}
