import type { App, BlockAction, ButtonAction, StaticSelectAction, UsersSelectAction } from '@slack/bolt';
import type { CommandResult, OfferLifecycle } from '../../../app/offerLifecycle.ts';
import { isManager, isRep, type PeopleDirectory } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import { parseAssignBlockId, parseLeadButtonValue, parseOfferButtonValue, parsePassReasonValue } from '../cardValues.ts';
import { ACTIONS } from '../slackIds.ts';
import { staleClickReply } from './staleClickReply.ts';

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

/** Answers a click that changed nothing, only to the person who clicked. */
async function answer(result: CommandResult, userId: string, respond: Respond): Promise<void> {
  if (!result.ok) await respond?.({ response_type: 'ephemeral', replace_original: false, text: staleClickReply(result, userId) });
}

/**
 * The buttons and selects of cards and escalations: `claim_lead` (a rep on their card, or a
 * manager's "Take it myself"), `pass_lead`, and `assign_lead`. Each click is acknowledged at once; the
 * card itself is updated from state through the outbox, so what the clicker sees is what is stored.
 */
export function registerOfferActions(app: App, deps: Deps): void {
  const run = async (userId: string, respond: Respond, action: () => CommandResult) => {
    try {
      await answer(action(), userId, respond);
      // A click in the App Home: the republished Home is the answer, also when the click changed nothing.
      if (respond === undefined) deps.touched?.(userId);
    } catch (error) {
      deps.logger.error({ err: error }, 'card action failed');
      await respond?.({ response_type: 'ephemeral', replace_original: false, text: 'Sorry, that failed on our side; nothing was changed. Please try again.' });
    }
  };

  app.action<BlockAction<ButtonAction>>(ACTIONS.claimLead, async ({ ack, action, body, respond }) => {
    await ack();
    const userId = body.user.id;
    const offer = parseOfferButtonValue(action.value);
    const lead = offer ? null : parseLeadButtonValue(action.value);
    await run(userId, respond, () => {
      if (offer) return deps.lifecycle.onCard({ type: 'claim', offerId: offer.offerId, offerVersion: offer.version, by: userId });
      if (lead) return deps.lifecycle.onEscalation(lead.leadId, { type: 'take', leadVersion: lead.version, by: userId, byManager: isManager(deps.people(), userId) });
      return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
    });
  });

  // The Pass button, or an option of the card's "Pass with a reason…" select (same action id).
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(ACTIONS.passLead, async ({ ack, action, body, respond }) => {
    await ack();
    const userId = body.user.id;
    const offer: { offerId: number; version: number; reason?: string } | null =
      action.type === 'static_select' ? parsePassReasonValue(action.selected_option?.value) : parseOfferButtonValue(action.value);
    await run(userId, respond, () =>
      offer
        ? deps.lifecycle.onCard({ type: 'pass', offerId: offer.offerId, offerVersion: offer.version, by: userId, ...(offer.reason !== undefined ? { reason: offer.reason } : {}) })
        : { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null },
    );
  });

  app.action<BlockAction<UsersSelectAction>>(ACTIONS.assignLead, async ({ ack, action, body, respond }) => {
    await ack();
    const userId = body.user.id;
    const lead = parseAssignBlockId(action.block_id);
    const repId = action.selected_user;
    await run(userId, respond, () => {
      if (!lead) return { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };
      const people = deps.people();
      return deps.lifecycle.onEscalation(lead.leadId, {
        type: 'assign',
        leadVersion: lead.version,
        by: userId,
        byManager: isManager(people, userId),
        repId,
        repKnown: isRep(people, repId),
      });
    });
  });
}
