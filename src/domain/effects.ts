/**
 * Every effect a decision causes, as data: the one union that goes from the state machines through
 * the outbox to delivery. A use case stores effects with the state change that causes them (one
 * transaction); the outbox worker delivers them after commit with one exhaustive switch. Cards and
 * escalation messages carry ids only: they are rendered from the stored state when delivered, so
 * they are never out of date. Pure.
 */
import type { SignalChannel, SignalKind, WebhookEvent } from './settings.ts';

export type Effect =
  /** The claim card, DMed to the offered rep. */
  | { type: 'post_offer_card'; offerId: number }
  /**
   * The card shown again from the current state, in place. Like every update of a message: through
   * the latest click's response_url while Slack takes it (it answers the clicker, and spends none of
   * chat.update's Tier 3), else chat.update; coalesced, so only the latest state is sent.
   */
  | { type: 'update_offer_card'; offerId: number }
  /** The reminder in the card's thread. */
  | { type: 'post_reminder'; offerId: number }
  /** The reminder, once its offer ended, says so instead of counting down. */
  | { type: 'update_reminder'; offerId: number }
  /** A note in the card's thread ("seen again via LinkedIn"). */
  | { type: 'thread_note'; offerId: number; text: string }
  /** An engagement signal told in the card's thread; `hot`: "call now". */
  | { type: 'signal_note'; offerId: number; channel: SignalChannel; kind: SignalKind; hot: boolean }
  /** The lead needs a manager: the escalation message with one-click assignment. */
  | { type: 'post_escalation'; leadId: number }
  /** The escalation message shown again from the lead's current state ("now offered to Bob"). */
  | { type: 'update_escalation'; leadId: number }
  /** The manager pinged again in the escalation's thread. */
  | { type: 'reping_escalation'; leadId: number }
  /** The rep a lead was assigned or reassigned to is told by DM. */
  | { type: 'dm_assigned'; leadId: number; repId: string; by: string }
  /** The previous owner of a reassigned lead is told by DM. */
  | { type: 'dm_reassigned_away'; leadId: number; repId: string; by: string; to: string }
  /** A plain text message (a "back in rotation" DM). */
  | { type: 'post_message'; channel: string; text: string }
  /** A sequence's channel is told about a lead sent to it (rendered from the stored lead). */
  | { type: 'sequence_note'; channel: string; sequenceId: string; rule: string }
  /** A signed POST: CRM write-back (`event` is the ownership event) or a sequence's webhook (`sequence`). */
  | { type: 'webhook'; event: WebhookEvent | 'sequence'; url: string; body: unknown };

export type EffectType = Effect['type'];

/** Every effect type, for code that reads stored effects back. */
export const EFFECT_TYPES: readonly EffectType[] = [
  'post_offer_card',
  'update_offer_card',
  'post_reminder',
  'update_reminder',
  'thread_note',
  'signal_note',
  'post_escalation',
  'update_escalation',
  'reping_escalation',
  'dm_assigned',
  'dm_reassigned_away',
  'post_message',
  'sequence_note',
  'webhook',
];

/**
 * The order effects of one lead keep across retries: effects in the same lane go one after the
 * other, lanes do not wait for each other.
 * - `slack`: leadrelay's posts and DMs about the lead, in order (a thread note after its card).
 * - `card_update`: updates of messages in place. They wait only for the post of their own message
 *   (they need its ts) and hold nothing back: they render the current state whenever they run, and
 *   chat.update is paced far slower than new posts, so a new rep's card never waits on an old one's.
 * - `webhook:<url>`: each webhook receiver on its own, so a CRM that is down holds back only its
 *   own events, never a rep's card.
 */
export type Lane = 'slack' | 'card_update' | `webhook:${string}`;

/** The lane an effect is delivered in: a property of its type. */
export function laneOf(effect: Effect): Lane {
  switch (effect.type) {
    case 'update_offer_card':
    case 'update_escalation':
    case 'update_reminder':
      return 'card_update';
    case 'webhook':
      return `webhook:${effect.url}`;
    case 'post_offer_card':
    case 'post_reminder':
    case 'thread_note':
    case 'signal_note':
    case 'post_escalation':
    case 'reping_escalation':
    case 'dm_assigned':
    case 'dm_reassigned_away':
    case 'post_message':
    case 'sequence_note':
      return 'slack';
    default:
      return unreachable(effect);
  }
}

/**
 * The leadrelay message an effect posts or updates, as a key shared by its post and its updates
 * (`offer:12` a card, `reminder:12` its reminder, `escalation:17` a lead's escalation message);
 * null for effects that are not such a message. An update waits for the post with the same key, a
 * message has at most one pending update (later changes join it), and a click's response_url is
 * kept under the key of the message clicked.
 */
export function messageKeyOf(effect: Effect): string | null {
  switch (effect.type) {
    case 'post_offer_card':
    case 'update_offer_card':
      return `offer:${effect.offerId}`;
    case 'post_reminder':
    case 'update_reminder':
      return `reminder:${effect.offerId}`;
    case 'post_escalation':
    case 'update_escalation':
      return `escalation:${effect.leadId}`;
    case 'thread_note':
    case 'signal_note':
    case 'reping_escalation':
    case 'dm_assigned':
    case 'dm_reassigned_away':
    case 'post_message':
    case 'sequence_note':
    case 'webhook':
      return null;
    default:
      return unreachable(effect);
  }
}

/** An effect's name in logs, history and metrics: its type, a webhook's event. */
export function effectLabel(effect: Effect): string {
  return effect.type === 'webhook' ? effect.event : effect.type;
}

/** For exhaustive switches: a type error when a case is missing, a clear error if data is not an effect. */
export function unreachable(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
