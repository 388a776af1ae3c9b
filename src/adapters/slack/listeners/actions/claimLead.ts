import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isManager } from '../../../../domain/people.ts';
import { parseLeadButtonValue, parseOfferButtonValue } from '../../cardValues.ts';
import { ACTIONS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';
import { answerClick, unknownClick } from './answerClick.ts';

/** `claim_lead`: a rep claims the card offered to them, or a manager takes an escalated lead ("Take it myself"). */
export function registerClaimLead(app: App, deps: Pick<ListenerDeps, 'lifecycle' | 'settings' | 'logger' | 'home'>): void {
  app.action<BlockAction<ButtonAction>>(ACTIONS.claimLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const offer = parseOfferButtonValue(action.value);
    const lead = offer ? null : parseLeadButtonValue(action.value);
    await answerClick(body, ack, respond, { logger: deps.logger, touched: deps.home.touched }, async (click) => {
      if (offer) return deps.lifecycle.onCard({ type: 'claim', offerId: offer.offerId, offerVersion: offer.version, by: userId }, click);
      if (lead) return deps.lifecycle.onEscalation(lead.leadId, { type: 'take', leadVersion: lead.version, by: userId, byManager: isManager(deps.settings(), userId) }, click);
      return unknownClick;
    });
  });
}
