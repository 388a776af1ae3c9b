/**
 * Delivery of every effect (src/domain/effects.ts): ONE exhaustive switch over the effect's type,
 * each case handing its own typed effect to the adapter that performs it — leadrelay's Slack
 * messages (src/adapters/slack/slackMessages.ts) or a signed webhook. A new effect type does not
 * compile until it is delivered here.
 */
import type { EventBus } from '../../app/events.ts';
import type { OutboxRow } from '../../app/ports.ts';
import { unreachable, type Effect } from '../../domain/effects.ts';
import type { SlackMessages } from '../slack/slackMessages.ts';
import type { DeliveryOutcome, Deliverer } from './outboxWorker.ts';

export function createEffectDeliverer(deps: {
  slack: SlackMessages;
  webhook: (row: OutboxRow, effect: Extract<Effect, { type: 'webhook' }>) => Promise<DeliveryOutcome>;
  /** Told whose App Home a delivered message changed (`homeTouched`). */
  events?: EventBus;
}): Deliverer {
  const { slack, webhook } = deps;

  const perform = (row: OutboxRow): Promise<DeliveryOutcome> => {
    const effect = row.effect;
    switch (effect.type) {
      case 'post_offer_card':
        return slack.postOfferCard(row, effect);
      case 'update_offer_card':
        return slack.updateOfferCard(row, effect);
      case 'post_reminder':
        return slack.postReminder(row, effect);
      case 'update_reminder':
        return slack.updateReminder(row, effect);
      case 'thread_note':
        return slack.threadNote(row, effect);
      case 'signal_note':
        return slack.signalNote(row, effect);
      case 'post_escalation':
        return slack.postEscalation(row, effect);
      case 'update_escalation':
        return slack.updateEscalation(row, effect);
      case 'reping_escalation':
        return slack.repingEscalation(row, effect);
      case 'dm_assigned':
        return slack.dmAssigned(row, effect);
      case 'dm_reassigned_away':
        return slack.dmReassignedAway(row, effect);
      case 'post_message':
        return slack.postMessage(row, effect);
      case 'sequence_note':
        return slack.sequenceNote(row, effect);
      case 'webhook':
        return webhook(row, effect);
      default:
        return unreachable(effect);
    }
  };

  return async (row) => {
    const outcome = await perform(row);
    const events = deps.events;
    if (outcome.ok && events && row.effect.type !== 'webhook') {
      const userId = await slack.homeOf(row.effect);
      if (userId) events.publish({ type: 'homeTouched', userId });
    }
    return outcome;
  };
}
