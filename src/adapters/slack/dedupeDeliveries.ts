import type { App } from '@slack/bolt';
import type { Clock } from '../../domain/clock.ts';
import type { Db } from '../sqlite/openDatabase.ts';

/** How long a delivery's id is remembered: Slack retries within minutes, so a day is plenty. */
const REMEMBER_MS = 24 * 60 * 60_000;

/**
 * Processes each Slack event once: Slack retries an event (`x-slack-retry-num`) when our ack
 * was slow or lost, and Bolt hands every retry to the listeners; the event_id is recorded in
 * slack_deliveries and a repeat stops here. (Interactions and slash commands are not retried by
 * Slack; their effects are guarded by compare-and-set instead.)
 */
export function dedupeSlackDeliveries(app: App, deps: { db: Db; clock: Clock }): void {
  const remember = deps.db.prepare('INSERT OR IGNORE INTO slack_deliveries (key, received_at) VALUES (?, ?)');
  const forget = deps.db.prepare('DELETE FROM slack_deliveries WHERE received_at < ?');
  let lastCleanup = 0;
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      const now = deps.clock.now();
      if (now - lastCleanup > 60 * 60_000) {
        forget.run(now - REMEMBER_MS);
        lastCleanup = now;
      }
      if (remember.run(`event:${eventId}`, now).changes === 0) return;
    }
    await next();
  });
}
