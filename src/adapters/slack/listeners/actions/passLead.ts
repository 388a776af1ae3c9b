import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { parseOfferButtonValue, parsePassReasonValue } from '../../cardValues.ts';
import { ACTIONS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';
import { answerClick, unknownClick } from './answerClick.ts';

/** `pass_lead`: the Pass button, or an option of the card's "Pass with a reason…" select (same action id). */
export function registerPassLead(app: App, deps: Pick<ListenerDeps, 'lifecycle' | 'logger' | 'home'>): void {
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(ACTIONS.passLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const offer: { offerId: number; version: number; reason?: string } | null =
      action.type === 'static_select' ? parsePassReasonValue(action.selected_option?.value) : parseOfferButtonValue(action.value);
    await answerClick(body, ack, respond, { logger: deps.logger, touched: deps.home.touched }, async (click) =>
      offer
        ? deps.lifecycle.onCard({ type: 'pass', offerId: offer.offerId, offerVersion: offer.version, by: userId, ...(offer.reason !== undefined ? { reason: offer.reason } : {}) }, click)
        : unknownClick,
    );
  });
}
