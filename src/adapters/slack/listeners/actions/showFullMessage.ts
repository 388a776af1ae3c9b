import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { leadRef } from '../../../../domain/lead.ts';
import { parseLeadMessageValue } from '../../cardValues.ts';
import { renderFullMessageModal } from '../../renderFullMessage.ts';
import { ACTIONS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * "Full message" on a card (`show_full_message`): opens the lead's whole message in a modal
 * (views.open with the click's trigger_id, valid for 3 seconds). It only reads: acknowledged at once.
 */
export function registerShowFullMessage(app: App, deps: Pick<ListenerDeps, 'uow' | 'logger'>): void {
  app.action<BlockAction<ButtonAction>>(ACTIONS.showFullMessage, async ({ ack, action, body, client, respond }) => {
    await ack();
    const leadId = parseLeadMessageValue(action.value);
    const stored = leadId === null ? null : await deps.uow.read((tx) => tx.leads.get(leadId));
    if (!stored?.lead.message) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: leadId === null ? 'That lead is not known.' : `${leadRef(leadId)} has no message.` });
      return;
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: renderFullMessageModal({ ref: leadRef(stored.id), lead: stored.lead, domain: stored.domain }) as never });
    } catch (error) {
      deps.logger.warn({ err: error, lead: leadRef(stored.id) }, 'opening the full message failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `Slack did not open the message of ${leadRef(stored.id)}; \`/leads ${leadRef(stored.id)}\` shows it too.` });
    }
  });
}
