import type { App } from '@slack/bolt';
import { isRep } from '../../../../domain/people.ts';
import { ACTIONS, TOGGLE_AWAY_VALUES } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';

/** The App Home's availability toggle (`toggle_away`). Like every click: stored first, acknowledged after the commit. */
export function registerToggleAway(app: App, deps: Pick<ListenerDeps, 'settings' | 'availability' | 'home'>): void {
  app.action(ACTIONS.toggleAway, async ({ ack, body, action, client }) => {
    const userId = body.user.id;
    const value = (action as { value?: string }).value;
    const rep = isRep(deps.settings(), userId);
    try {
      if (rep && value === TOGGLE_AWAY_VALUES.back) await deps.availability.setBack(userId, userId);
      else if (rep && value === TOGGLE_AWAY_VALUES.away) await deps.availability.setAway(userId, null, userId);
    } finally {
      await ack();
    }
    if (rep) await deps.home.publish(client, userId);
  });
}
