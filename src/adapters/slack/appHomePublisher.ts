import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { LeadViews } from '../../app/readModels.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Settings } from '../../domain/settings.ts';
import type { Logger } from '../logger.ts';
import type { AppHomeRegistry } from './appHomeRegistry.ts';
import { renderAppHome } from './renderAppHome.ts';

/** Homes published per flush at most (the rest wait for the next second). */
const FLUSH_LIMIT = 200;

/**
 * The App Home: published when a user opens it (listeners/events/appHomeOpened.ts), and
 * republished when their state changes (an offer, a claim, going away, a lead done). Republishing
 * is batched: `touched(userId)` marks a user, `flush()` (every second) hands the marks to the
 * registry and publishes the marked users it gives this instance (each one who has opened their
 * Home once, on whichever instance: see appHomeRegistry.ts).
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
  registry: AppHomeRegistry;
}) {
  const { registry } = deps;
  /** Users touched since the last flush, not yet handed to the registry. */
  const touched = new Set<string>();

  const publish = async (client: WebClient, userId: string, token?: string) => {
    const now = deps.clock.now();
    const view = renderAppHome(await deps.views.appHome(deps.settings(), userId, now), now);
    await client.views.publish({ user_id: userId, view: view as never, ...(token !== undefined ? { token } : {}) });
  };

  return {
    /** A user opened their Home: published now, and republished when their state changes from now on. */
    async opened(client: WebClient, userId: string): Promise<void> {
      touched.delete(userId);
      await registry.opened(userId, deps.clock.now());
      await publish(client, userId);
    },
    /** Publishes a user's Home now (after a click in it). */
    publish: (client: WebClient, userId: string) => publish(client, userId),
    /** Marks a user whose Home should show new state. */
    touched(userId: string): void {
      touched.add(userId);
    },
    /** Publishes the Homes of the users marked since the last flush (by this instance or another) that the registry gives this one. */
    async flush(): Promise<void> {
      if (touched.size > 0) {
        const users = [...touched];
        touched.clear();
        await registry.touched(users, deps.clock.now());
      }
      const users = await registry.takeTouched(FLUSH_LIMIT);
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
