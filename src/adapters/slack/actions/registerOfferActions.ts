import type { App, BlockAction, ButtonAction, StaticSelectAction, UsersSelectAction } from '@slack/bolt';
import type { ClickOrigin, CommandResult, OfferLifecycle } from '../../../app/offerLifecycle.ts';
import { isManager, isRep, type PeopleDirectory } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import { parseAssignBlockId, parseLeadButtonValue, parseOfferButtonValue, parsePassReasonValue } from '../cardValues.ts';
import { ACTIONS } from '../slackIds.ts';
import { clickConfirmation, staleClickReply } from './staleClickReply.ts';

interface Deps {
  lifecycle: OfferLifecycle;
  people: () => PeopleDirectory;
  logger: Logger;
  /** Marks a user's App Home for republishing (a click in the Home has no response_url to answer on). */
  touched?: (userId: string) => void;
}

/**
 * Bolt only provides `respond` when the click carries a response_url: a click in the App Home has
 * none (the Home is republished instead), so it may be missing at run time whatever its type says.
 */
type Respond = ((message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>) | undefined;

/** What the click was on, as Slack's payload says: the message itself (card, escalation) or an ephemeral copy of its buttons. */
export function clickOrigin(body: BlockAction): ClickOrigin {
  const container = body.container as { type?: string; channel_id?: string; message_ts?: string; is_ephemeral?: boolean } | undefined;
  const onMessage = container?.type === 'message' && container.is_ephemeral !== true && typeof container.channel_id === 'string' && typeof container.message_ts === 'string';
  return {
    responseUrl: typeof body.response_url === 'string' && body.response_url !== '' ? body.response_url : null,
    message: onMessage ? { channel: container.channel_id as string, ts: container.message_ts as string } : null,
  };
}

/**
 * The buttons and selects of cards and escalations: `claim_lead` (a rep on their card, or a
 * manager's "Take it myself"), `pass_lead`, and `assign_lead`. A click is stored first (one short
 * transaction, with the card's update in the outbox) and acknowledged after the commit, so Slack
 * never shows as accepted a click that a crash lost. The clicked message is then replaced from the
 * stored state through the click's response_url, by the outbox (a crash in between still delivers
 * it). A click that changed nothing is answered ephemerally with where the lead is; one that could
 * not be stored with "nothing was changed, try again".
 */
export function registerOfferActions(app: App, deps: Deps): void {
  const run = async (body: BlockAction, ack: () => Promise<void>, respond: Respond, action: (click: ClickOrigin) => CommandResult) => {
    const userId = body.user.id;
    const click = clickOrigin(body);
    let result: CommandResult;
    try {
      result = action(click);
    } catch (error) {
      await ack();
      deps.logger.error({ err: error }, 'card action failed; nothing was stored');
      await respond?.({ response_type: 'ephemeral', replace_original: false, text: 'Sorry, that failed on our side: nothing was changed. Please try again.' });
      return;
    }
    await ack();
    try {
      if (!result.ok) await respond?.({ response_type: 'ephemeral', replace_original: false, text: staleClickReply(result, userId) });
      // A click on a copy of the card's buttons (`/leads`): the card itself is updated; say it worked here.
      else if (click.message === null) await respond?.({ response_type: 'ephemeral', replace_original: false, text: clickConfirmation(result) });
    } catch (error) {
      deps.logger.warn({ err: error }, 'answering a click ephemerally failed');
    }
    // A click in the App Home: the republished Home is the answer, also when the click changed nothing.
    if (respond === undefined) deps.touched?.(userId);
  };

  app.action<BlockAction<ButtonAction>>(ACTIONS.claimLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const offer = parseOfferButtonValue(action.value);
    const lead = offer ? null : parseLeadButtonValue(action.value);
    await run(body, ack, respond, (click) => {
      if (offer) return deps.lifecycle.onCard({ type: 'claim', offerId: offer.offerId, offerVersion: offer.version, by: userId }, click);
      if (lead) return deps.lifecycle.onEscalation(lead.leadId, { type: 'take', leadVersion: lead.version, by: userId, byManager: isManager(deps.people(), userId) }, click);
      return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
    });
  });

  // The Pass button, or an option of the card's "Pass with a reason…" select (same action id).
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(ACTIONS.passLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const offer: { offerId: number; version: number; reason?: string } | null =
      action.type === 'static_select' ? parsePassReasonValue(action.selected_option?.value) : parseOfferButtonValue(action.value);
    await run(body, ack, respond, (click) =>
      offer
        ? deps.lifecycle.onCard({ type: 'pass', offerId: offer.offerId, offerVersion: offer.version, by: userId, ...(offer.reason !== undefined ? { reason: offer.reason } : {}) }, click)
        : { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null },
    );
  });

  app.action<BlockAction<UsersSelectAction>>(ACTIONS.assignLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const lead = parseAssignBlockId(action.block_id);
    const repId = action.selected_user;
    await run(body, ack, respond, (click) => {
      if (!lead) return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
      const people = deps.people();
      return deps.lifecycle.onEscalation(
        lead.leadId,
        { type: 'assign', leadVersion: lead.version, by: userId, byManager: isManager(people, userId), repId, repKnown: isRep(people, repId) },
        click,
      );
    });
  });
}
