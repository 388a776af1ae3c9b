import type { SlackDeliveryLog } from '../../app/ports.ts';
import type { Db } from './openDatabase.ts';

/** Slack deliveries already processed (SlackDeliveryLog). */
export function sqliteSlackDeliveryLog(db: Db): SlackDeliveryLog {
  const remember = db.prepare('INSERT OR IGNORE INTO slack_deliveries (key, received_at) VALUES (?, ?)');
  const forget = db.prepare('DELETE FROM slack_deliveries WHERE received_at < ?');
  return {
    async remember(key, at) {
      return remember.run(key, at).changes > 0;
    },
    async forgetBefore(at) {
      forget.run(at);
    },
  };
}
