import type { App } from '@slack/bolt';
import { isManager } from '../../../../domain/people.ts';
import { parseLeadButtonValue } from '../../cardValues.ts';
import { ACTIONS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';

/** The App Home's Done button (`lead_done`): the owner closes the lead; stored first, acknowledged after the commit. */
export function registerMarkDone(app: App, deps: Pick<ListenerDeps, 'settings' | 'lifecycle' | 'home'>): void {
  app.action(ACTIONS.leadDone, async ({ ack, body, action, client }) => {
    const userId = body.user.id;
    const lead = parseLeadButtonValue((action as { value?: string }).value);
    try {
      if (lead) await deps.lifecycle.done(lead.leadId, userId, isManager(deps.settings(), userId));
    } finally {
      await ack();
    }
    await deps.home.publish(client, userId);
  });
}
