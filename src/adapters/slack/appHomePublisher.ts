import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { LeadViews } from '../../app/readModels.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Settings } from '../../domain/settings.ts';
import type { Logger } from '../logger.ts';
import { renderAppHome } from './renderAppHome.ts';

/**
 * The App Home: published when a user opens it (listeners/events/appHomeOpened.ts), and
 * republished when their state changes (an offer, a claim, going away, a lead done). Republishing
 * is batched: `touched(userId)` marks a user, `flush()` (every second) publishes each marked user
 * who has opened their Home once.
 */
export function createAppHomePublisher(app: App, deps: {
  settings: () => Settings;
  views: LeadViews;
  clock: Clock;
  logger: Logger;
  /**
   * The bot token, for republishing outside a request: the app's own client carries no token (the
   * app authorizes per request), so without it every flush would fail with `not_authed`.
   */
  botToken: string;
}) {
  const opened = new Set<string>();
  const dirty = new Set<string>();

  const publish = async (client: WebClient, userId: string, token?: string) => {
    const now = deps.clock.now();
    const view = renderAppHome(await deps.views.appHome(deps.settings(), userId, now), now);
    await client.views.publish({ user_id: userId, view: view as never, ...(token !== undefined ? { token } : {}) });
  };

  return {
    /** A user opened their Home: published now, and republished when their state changes from now on. */
    async opened(client: WebClient, userId: string): Promise<void> {
      opened.add(userId);
      dirty.delete(userId);
      await publish(client, userId);
    },
    /** Publishes a user's Home now (after a click in it). */
    publish: (client: WebClient, userId: string) => publish(client, userId),
    /** Marks a user whose Home should show new state. */
    touched(userId: string): void {
      if (opened.has(userId)) dirty.add(userId);
    },
    /** Publishes the Homes of the users marked since the last flush. */
    async flush(): Promise<void> {
      const users = [...dirty];
      dirty.clear();
      for (const userId of users) {
        try {
          await publish(app.client, userId, deps.botToken);
        } catch (error) {
          deps.logger.warn({ err: error, user: userId }, 'App Home publish failed; it is published again when the user opens it');
        }
      }
    },
  };
}

export type AppHomePublisher = ReturnType<typeof createAppHomePublisher>;
