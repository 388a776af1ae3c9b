/** The reminder posted in an offer card's thread at `sla.remindAt`. Pure. */
import { formatDuration } from '../../domain/duration.ts';
import type { SlackText } from './renderBlocks.ts';
import { offerOutcomePhrase, type OfferCardModel } from './renderOfferCard.ts';
import { slackDate } from './slackFormat.ts';

/**
 * "⏰ L-17 is still yours to claim — 2m 30s left (until <!date^…^{time}|…>)". `now` is when the
 * reminder is posted, so the time left is right when it arrives; the deadline itself is shown in
 * the reader's time zone. Once the offer has ended the reminder is updated to say so, and what
 * became of it ("L-17 is no longer waiting for you: expired, offered to <@U0BOB>").
 */
export function renderReminder(model: OfferCardModel, now: number): SlackText {
  const { ref, offer } = model;
  const deadline = slackDate(offer.deadlineAt, '{time}');
  const outcome = offerOutcomePhrase(model);
  if (outcome !== null) return { text: `${offer.state === 'claimed' ? '✅' : '⌛'} ${ref} is no longer waiting for you: ${outcome}.` };
  const left = offer.deadlineAt - now;
  return {
    text:
      left >= 1000
        ? `⏰ ${ref} is still yours to claim — ${formatDuration(left)} left (until ${deadline})`
        : `⏰ ${ref} is still yours to claim — it expires ${deadline}`,
  };
}
