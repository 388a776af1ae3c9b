import type { SlackDeliveryLog } from '../../app/ports.ts';
import type { PgQueryable } from './connectPostgres.ts';
import { changedRows } from './pgQuery.ts';

/**
 * Slack deliveries already processed (SlackDeliveryLog). A retry reaching another instance while
 * the first is still in its transaction waits on the key's row, then inserts nothing: it acts once.
 */
export function postgresSlackDeliveryLog(q: PgQueryable): SlackDeliveryLog {
  return {
    async remember(key, at) {
      return (await changedRows(q, 'INSERT INTO slack_deliveries (key, received_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, at])) > 0;
    },
    async forgetBefore(at) {
      await q.query('DELETE FROM slack_deliveries WHERE received_at < $1', [at]);
    },
  };
}
