import type { App } from '@slack/bolt';
import type { UnitOfWork } from '../../../app/ports.ts';
import type { Clock } from '../../../domain/clock.ts';

/** How long a delivery's id is remembered: Slack retries within minutes, so a day is plenty. */
const REMEMBER_MS = 24 * 60 * 60_000;

/**
 * Processes each Slack event once: Slack retries an event (`x-slack-retry-num`) when our ack
 * was slow or lost, and Bolt hands every retry to the listeners; the event_id is recorded in the
 * store's Slack delivery log and a repeat stops here. (Interactions and slash commands are not
 * retried by Slack; their effects are guarded by compare-and-set instead.)
 */
export function dedupeSlackDeliveries(app: App, deps: { uow: UnitOfWork; clock: Clock }): void {
  let lastCleanup = 0;
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string') {
      const now = deps.clock.now();
      const cleanup = now - lastCleanup > 60 * 60_000;
      if (cleanup) lastCleanup = now;
      const first = await deps.uow.run(async (tx) => {
        if (cleanup) await tx.slackDeliveries.forgetBefore(now - REMEMBER_MS);
        return tx.slackDeliveries.remember(`event:${eventId}`, now);
      });
      if (!first) return;
    }
    await next();
  });
}
