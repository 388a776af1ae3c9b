import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Availability } from '../../app/availability.ts';
import type { OfferLifecycle } from '../../app/offerLifecycle.ts';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../domain/clock.ts';
import { isManager } from '../../domain/people.ts';
import type { Logger } from '../logger.ts';
import type { SqliteReadModels } from '../sqlite/sqliteReadModels.ts';
import { parseLeadButtonValue } from './cardValues.ts';
import { renderAppHome } from './renderAppHome.ts';
import { ACTIONS, TOGGLE_AWAY_VALUES } from './slackIds.ts';

export interface AppHomeDeps {
  config: () => Config;
  readModels: SqliteReadModels;
  availability: Availability;
  lifecycle: OfferLifecycle;
  clock: Clock;
  logger: Logger;
  /**
   * The bot token, for republishing outside a request: the app's own client carries no token (the
   * app authorizes per request), so without it every flush would fail with `not_authed`.
   */
  botToken: string;
}

/**
 * The App Home: published when a user opens it, and republished when their state changes
 * (an offer, a claim, going away, a lead done). Republishing is batched: `touched(userId)` marks a
 * user, `flush()` (every second) publishes each marked user who has opened their Home once.
 */
export function registerAppHome(app: App, deps: AppHomeDeps) {
  const opened = new Set<string>();
  const dirty = new Set<string>();

  const publish = async (client: WebClient, userId: string, token?: string) => {
    const now = deps.clock.now();
    const view = renderAppHome(deps.readModels.appHome(deps.config(), userId, now), now);
    await client.views.publish({ user_id: userId, view: view as never, ...(token !== undefined ? { token } : {}) });
  };

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    opened.add(event.user);
    dirty.delete(event.user);
    await publish(client, event.user);
  });

  // Like every click: the change is stored first, and acknowledged after the commit.
  app.action(ACTIONS.toggleAway, async ({ ack, body, action, client }) => {
    const userId = body.user.id;
    const value = (action as { value?: string }).value;
    const isRep = deps.config().reps.some((rep) => rep.id === userId);
    try {
      if (isRep && value === TOGGLE_AWAY_VALUES.back) deps.availability.setBack(userId, userId);
      else if (isRep && value === TOGGLE_AWAY_VALUES.away) deps.availability.setAway(userId, null, userId);
    } finally {
      await ack();
    }
    if (isRep) await publish(client, userId);
  });

  app.action(ACTIONS.leadDone, async ({ ack, body, action, client }) => {
    const userId = body.user.id;
    const lead = parseLeadButtonValue((action as { value?: string }).value);
    try {
      if (lead) deps.lifecycle.done(lead.leadId, userId, isManager(deps.config(), userId));
    } finally {
      await ack();
    }
    await publish(client, userId);
  });

  return {
    /** Marks a user whose Home should show new state. */
    touched(userId: string) {
      if (opened.has(userId)) dirty.add(userId);
    },
    /** Publishes the Homes of the users marked since the last flush. */
    async flush() {
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
