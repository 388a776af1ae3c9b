import type { BlockAction } from '@slack/bolt';
import type { ClickOrigin, CommandResult } from '../../../../app/offerLifecycle.ts';
import type { Logger } from '../../../logger.ts';
import { clickConfirmation, staleClickReply } from '../../staleClickReply.ts';

/**
 * Bolt only provides `respond` when the click carries a response_url: a click in the App Home has
 * none (the Home is republished instead), so it may be missing at run time whatever its type says.
 */
export type Respond = ((message: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>) | undefined;

/** What the click was on, as Slack's payload says: the message itself (card, escalation) or an ephemeral copy of its buttons. */
export function clickOrigin(body: BlockAction): ClickOrigin {
  const container = body.container as { type?: string; channel_id?: string; message_ts?: string; is_ephemeral?: boolean } | undefined;
  const channel = container?.channel_id;
  const ts = container?.message_ts;
  const onMessage = container?.type === 'message' && container.is_ephemeral !== true && typeof channel === 'string' && typeof ts === 'string';
  return {
    responseUrl: typeof body.response_url === 'string' && body.response_url !== '' ? body.response_url : null,
    message: onMessage ? { channel, ts } : null,
  };
}

/** A click that names no offer or lead leadrelay knows. */
export const unknownClick: CommandResult = { ok: false, reason: 'stale', leadId: null, ref: null, whereabouts: null };

/**
 * A click on a card or an escalation, answered the way every such click is: stored first (one short
 * transaction, with the card's update in the outbox) and acknowledged after the commit, so Slack
 * never shows as accepted a click that a crash lost. The clicked message is then replaced from the
 * stored state through the click's response_url, by the outbox (a crash in between still delivers
 * it). A click that changed nothing is answered ephemerally with where the lead is; one that could
 * not be stored with "nothing was changed, try again".
 */
export async function answerClick(
  body: BlockAction,
  ack: () => Promise<void>,
  respond: Respond,
  deps: { logger: Logger; touched: (userId: string) => void },
  act: (click: ClickOrigin) => Promise<CommandResult>,
): Promise<void> {
  const userId = body.user.id;
  const click = clickOrigin(body);
  let result: CommandResult;
  try {
    result = await act(click);
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
  if (respond === undefined) deps.touched(userId);
}
