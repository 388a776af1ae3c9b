import type { EventBus } from '../../app/events.ts';
import type { OutboxRow, Tx, UnitOfWork } from '../../app/ports.ts';
import { unreachable, type Effect } from '../../domain/effects.ts';
import { leadRef } from '../../domain/lead.ts';
import { escalationTarget } from '../../domain/people.ts';
import type { Settings } from '../../domain/settings.ts';
import type { DeliveryOutcome, Deliverer } from '../outbox/outboxWorker.ts';
import type { CardModels } from './cardModels.ts';
import type { ResponseUrlPoster, SlackCaller } from './deliverSlackCall.ts';
import type { SlackMessage } from './renderBlocks.ts';
import { renderAssignedDm } from './renderAssignedDm.ts';
import { renderEscalation } from './renderEscalation.ts';
import { renderOfferCard, signalWords } from './renderOfferCard.ts';
import { renderReminder } from './renderReminder.ts';
import { renderSequenceNote } from './renderThreadNote.ts';

/** The metadata every offer card carries, so that a card posted just before a crash is found, not posted twice. */
export const OFFER_METADATA_TYPE = 'leadrelay_offer';
/** The same for escalation messages, keyed by the outbox row (a lead can be escalated more than once). */
export const ESCALATION_METADATA_TYPE = 'leadrelay_escalation';
/** The metadata of every other message leadrelay posts for an outbox row (notes, reminders, re-pings, DMs). */
export const OUTBOX_METADATA_TYPE = 'leadrelay_outbox';

export interface SlackMessagesDeps {
  call: SlackCaller;
  /** Posts to a click's response_url (the clicked message is replaced through it). */
  respond: ResponseUrlPoster;
  /** Where the state messages are rendered from (and the response URLs clicks left) is read. */
  uow: UnitOfWork;
  models: CardModels;
  settings: () => Settings;
  now: () => number;
  /** Outbox rows that were pending when this process started: their send may have reached Slack before a crash. */
  maybeInFlight: ReadonlySet<number>;
}

/** An effect of one type, as the switch in deliverEffect.ts hands it over. */
type EffectOf<Type extends Effect['type']> = Extract<Effect, { type: Type }>;

/** Records what a delivery learned, in the transaction that records its outcome. */
type Commit = (tx: Tx) => Promise<void>;

const done = (result?: unknown, commit?: Commit): DeliveryOutcome => ({ ok: true, result, ...(commit ? { commit } : {}) });

type Metadata = { event_type?: string; event_payload?: Record<string, unknown> };
type Found = { channel: string; ts: string } | null | DeliveryOutcome;

/**
 * leadrelay's own Slack messages, one function per effect that posts or updates one: rendered from
 * the current state at delivery (so a message is never out of date), posted or updated in place.
 * `createEffectDeliverer` (below) is the one switch over every effect type.
 *
 * A post that was in flight when the process died (or that failed after possibly reaching Slack) is
 * looked up before it is sent again: every message carries its offer id or its outbox row's id in
 * chat.postMessage `metadata`, and conversations.history / .replies (include_all_metadata) find it.
 */
function createSlackMessages(deps: SlackMessagesDeps) {
  const { call, uow, models } = deps;

  /** The DM channel of a user (conversations.open), needed for conversations.history; a channel id as is. */
  const channelOf = async (target: string): Promise<string | DeliveryOutcome> => {
    if (!/^[UW]/.test(target)) return target;
    const opened = await call('conversations.open', { users: target });
    if (!opened.ok) return opened;
    return ((opened.result.channel as { id?: string } | undefined)?.id ?? '') || { ok: false, retryable: true, error: 'conversations.open returned no channel' };
  };

  /** The first of the messages a conversations.* read returns whose metadata `matches`, as `{ channel, ts }`. */
  const findByMetadata = async (method: 'conversations.history' | 'conversations.replies', args: { channel: string } & Record<string, unknown>, matches: (metadata: Metadata) => boolean): Promise<Found> => {
    const read = await call(method, { ...args, include_all_metadata: true });
    if (!read.ok) return read;
    const messages = (read.result.messages ?? []) as { ts: string; metadata?: Metadata }[];
    const found = messages.find((m) => m.metadata !== undefined && matches(m.metadata));
    return found ? { channel: args.channel, ts: found.ts } : null;
  };

  /** A message leadrelay may already have posted (the process died, or the call failed, after Slack stored it): looked up in the conversation's recent history. */
  const findPosted = async (target: string, matches: (metadata: Metadata) => boolean): Promise<Found> => {
    const channel = await channelOf(target);
    if (typeof channel !== 'string') return channel;
    return findByMetadata('conversations.history', { channel, limit: 50 }, matches);
  };

  /** Whether this row's earlier send may have reached Slack, so it must be looked up before sending again. */
  const mayHaveBeenSent = (row: OutboxRow) => deps.maybeInFlight.has(row.id) || row.attempts > 0;

  /**
   * Posts a note, a reminder, a re-ping or a DM at most once: the message carries its outbox row's id
   * in `metadata`, and a row that may have been sent before is first looked up, in its thread
   * (conversations.replies) or in the conversation.
   */
  const postOnce = async (row: OutboxRow, args: { channel: string; thread_ts?: string; text: string } & Record<string, unknown>, posted?: (ts: string) => Commit): Promise<DeliveryOutcome> => {
    const ours = (m: Metadata) => m.event_type === OUTBOX_METADATA_TYPE && m.event_payload?.outbox_id === row.id;
    if (mayHaveBeenSent(row)) {
      const found = args.thread_ts === undefined ? await findPosted(args.channel, ours) : await findByMetadata('conversations.replies', { channel: args.channel, ts: args.thread_ts, limit: 200 }, ours);
      if (found !== null && 'ok' in found) return found;
      if (found) return done({ recovered: true, ts: found.ts }, posted?.(found.ts));
    }
    const answer = await call('chat.postMessage', { ...args, metadata: { event_type: OUTBOX_METADATA_TYPE, event_payload: { outbox_id: row.id } } });
    if (!answer.ok) return answer;
    const ts = String(answer.result.ts);
    return done({ ts }, posted?.(ts));
  };

  /**
   * Shows `message` in place of one leadrelay posted: through the response_url of the latest click on
   * it while Slack still takes posts there (5 within 30 minutes of the click), which answers the
   * clicker at once and spends nothing of chat.update's workspace-wide Tier 3; else chat.update
   * (paced). A post that failed on the way is retried on the same URL (it counts as a use: Slack may
   * have taken it); a URL Slack refuses (used up, expired) is not used again, and chat.update carries
   * the change.
   */
  const replaceMessage = async (row: OutboxRow, target: { channel: string; ts: string }, message: SlackMessage): Promise<DeliveryOutcome> => {
    const key = row.messageKey;
    const stored = key === null ? null : await uow.read((tx) => tx.outbox.usableResponseUrl(key, deps.now()));
    let spent: Commit | undefined;
    if (key !== null && stored !== null) {
      const replaced = await deps.respond(stored.url, { replace_original: true, ...message });
      const used: Commit = (tx) => tx.outbox.usedResponseUrl(key, stored.url);
      if (replaced.ok) return done({ via: 'response_url' }, used);
      if ('retryable' in replaced && replaced.retryable) return { ...replaced, commit: used };
      spent = (tx) => tx.outbox.spentResponseUrl(key, stored.url);
    }
    const updated = await call('chat.update', { channel: target.channel, ts: target.ts, ...message });
    const outcome = updated.ok ? done({ via: 'chat.update' }) : updated;
    return spent ? { ...outcome, commit: spent } : outcome;
  };

  const offerOf = (offerId: number) => uow.read((tx) => tx.offers.get(offerId));

  /** Whose offer each recently delivered card is (an offer's rep never changes): `homeOf` without reading it again. */
  const repOfOffer = new Map<number, string>();
  const noteRep = (offerId: number, repId: string) => {
    if (repOfOffer.size >= 4096) repOfOffer.clear();
    repOfOffer.set(offerId, repId);
  };

  /** Where a card is in Slack (once posted), and what it shows now; null when it was never posted. */
  const postedCard = async (offerId: number) => {
    const card = await models.offerCard(offerId);
    const offer = card?.offer;
    return card && offer?.channelId && offer.messageTs ? { offer, model: card.model, channel: offer.channelId, ts: offer.messageTs } : null;
  };

  const postInCardThread = async (row: OutboxRow, offerId: number, text: string, posted?: (ts: string) => Commit): Promise<DeliveryOutcome> => {
    const offer = await offerOf(offerId);
    if (!offer?.channelId || !offer.messageTs) return done({ skipped: 'card never posted' });
    return postOnce(row, { channel: offer.channelId, thread_ts: offer.messageTs, text }, posted);
  };

  /** Where a lead's escalation goes (see escalationTarget): a channel id, or a manager's user id for a DM. */
  const escalationChannel = async (leadId: number): Promise<string | null> => {
    const teamId = (await uow.read((tx) => tx.leads.get(leadId)))?.teamId ?? null;
    const target = escalationTarget(deps.settings(), teamId);
    return target === null ? null : target.kind === 'channel' ? target.channelId : target.userId;
  };

  return {
    async postOfferCard(row: OutboxRow, { offerId }: EffectOf<'post_offer_card'>): Promise<DeliveryOutcome> {
      const card = await models.offerCard(offerId);
      if (!card) return done({ skipped: 'offer gone' });
      const { model, offer } = card;
      noteRep(offerId, offer.repId);
      if (offer.messageTs) return done({ skipped: 'already posted' });
      // An offer that ended before its card went out (a long Slack outage, a restart) is not worth a DM:
      // the rep would only learn it expired, and the post would use up their rate-limit budget.
      if (offer.state !== 'pending' && !mayHaveBeenSent(row)) return done({ skipped: 'offer ended before its card was sent' });
      if (mayHaveBeenSent(row)) {
        const found = await findPosted(model.offer.repId, (m) => m.event_type === OFFER_METADATA_TYPE && m.event_payload?.offer_id === offerId);
        if (found !== null && 'ok' in found) return found;
        if (found) return done({ recovered: true, ts: found.ts }, (tx) => tx.offers.setMessage(offerId, found.channel, found.ts));
      }
      const message = renderOfferCard(model, deps.now());
      const posted = await call('chat.postMessage', { channel: model.offer.repId, ...message, unfurl_links: false, metadata: { event_type: OFFER_METADATA_TYPE, event_payload: { offer_id: offerId, lead: model.ref } } });
      if (!posted.ok) return posted;
      return done({ ts: posted.result.ts }, (tx) => tx.offers.setMessage(offerId, String(posted.result.channel), String(posted.result.ts)));
    },

    // An update is due only once its message's post is done (the outbox's lanes): a card that has no
    // ts by then was never posted (its offer ended first, or Slack refused it), and nothing shows it.
    async updateOfferCard(row: OutboxRow, { offerId }: EffectOf<'update_offer_card'>): Promise<DeliveryOutcome> {
      const card = await postedCard(offerId);
      if (!card) return done({ skipped: 'card never posted' });
      return replaceMessage(row, card, renderOfferCard(card.model, deps.now()));
    },

    async postReminder(row: OutboxRow, { offerId }: EffectOf<'post_reminder'>): Promise<DeliveryOutcome> {
      const model = (await models.offerCard(offerId))?.model;
      if (!model) return done({ skipped: 'offer gone' });
      // An offer that ended before its reminder went out needs none.
      if (model.offer.state !== 'pending' && !mayHaveBeenSent(row)) return done({ skipped: 'offer ended before its reminder was sent' });
      return postInCardThread(row, offerId, renderReminder(model, deps.now()).text, (ts) => (tx) => tx.offers.setReminderMessage(offerId, ts));
    },

    /** The reminder in the card's thread, once the offer ended: it says so instead of counting down. */
    async updateReminder(_row: OutboxRow, { offerId }: EffectOf<'update_reminder'>): Promise<DeliveryOutcome> {
      const card = await models.offerCard(offerId);
      const offer = card?.offer;
      if (!card || !offer?.channelId || !offer.reminderTs) return done({ skipped: 'no reminder posted' });
      const updated = await call('chat.update', { channel: offer.channelId, ts: offer.reminderTs, ...renderReminder(card.model, deps.now()) });
      return updated.ok ? done() : updated;
    },

    threadNote: (row: OutboxRow, { offerId, text }: EffectOf<'thread_note'>) => postInCardThread(row, offerId, text),

    signalNote: (row: OutboxRow, signal: EffectOf<'signal_note'>) => postInCardThread(row, signal.offerId, `📣 ${signalWords(signal)}${signal.hot ? ': call now' : ''}`),

    async postEscalation(row: OutboxRow, { leadId }: EffectOf<'post_escalation'>): Promise<DeliveryOutcome> {
      const model = await models.escalation(leadId);
      const target = await escalationChannel(leadId);
      if (!model || !target) return done({ skipped: 'nobody to escalate to' });
      if (mayHaveBeenSent(row)) {
        const found = await findPosted(target, (m) => m.event_type === ESCALATION_METADATA_TYPE && m.event_payload?.outbox_id === row.id);
        if (found !== null && 'ok' in found) return found;
        if (found) return done({ recovered: true, ts: found.ts }, (tx) => tx.leads.setEscalationMessage(leadId, found.channel, found.ts));
      }
      const metadata = { event_type: ESCALATION_METADATA_TYPE, event_payload: { lead_id: leadId, outbox_id: row.id } };
      const posted = await call('chat.postMessage', { channel: target, ...renderEscalation(model, deps.now()), unfurl_links: false, metadata });
      if (!posted.ok) return posted;
      return done({ ts: posted.result.ts }, (tx) => tx.leads.setEscalationMessage(leadId, String(posted.result.channel), String(posted.result.ts)));
    },

    async updateEscalation(row: OutboxRow, { leadId }: EffectOf<'update_escalation'>): Promise<DeliveryOutcome> {
      const info = await uow.read((tx) => tx.leads.escalation(leadId));
      const model = await models.escalation(leadId);
      if (!info?.channel || !info.ts || !model) return done({ skipped: 'no escalation message' });
      return replaceMessage(row, { channel: info.channel, ts: info.ts }, renderEscalation(model, deps.now()));
    },

    async repingEscalation(row: OutboxRow, { leadId }: EffectOf<'reping_escalation'>): Promise<DeliveryOutcome> {
      const [info, stored] = await uow.read(async (tx) => [await tx.leads.escalation(leadId), await tx.leads.get(leadId)] as const);
      if (!info?.channel || !info.ts || !stored || (stored.state !== 'escalated' && stored.state !== 'queued')) return done({ skipped: 'nothing to re-ping' });
      // Only a reply in the thread (broadcast): updating the message too would spend the workspace's
      // chat.update budget (Tier 3) that live cards need, once per escalated lead per claim_within.
      const text = `🔔 ${leadRef(leadId)} still needs an owner (ping ${info.pings}).`;
      return postOnce(row, { channel: info.channel, thread_ts: info.ts, text, reply_broadcast: true });
    },

    async dmAssigned(row: OutboxRow, { leadId, repId, by }: EffectOf<'dm_assigned'>): Promise<DeliveryOutcome> {
      const model = await models.assigned(leadId, by);
      if (!model) return done({ skipped: 'lead gone' });
      return postOnce(row, { channel: repId, ...renderAssignedDm(model, deps.now()), unfurl_links: false });
    },

    dmReassignedAway: (row: OutboxRow, { leadId, repId, by, to }: EffectOf<'dm_reassigned_away'>) =>
      postOnce(row, { channel: repId, text: `↪️ <@${by}> reassigned ${leadRef(leadId)} to <@${to}>.` }),

    /** A plain text message (a "back in rotation" DM), posted at most once. */
    postMessage: (row: OutboxRow, { channel, text }: EffectOf<'post_message'>) => postOnce(row, { channel, text, unfurl_links: false }),

    /** A sequence's channel note, rendered from the stored lead (its name is lead text: the renderer escapes it). */
    async sequenceNote(row: OutboxRow, note: EffectOf<'sequence_note'>): Promise<DeliveryOutcome> {
      const leadId = row.leadId;
      const stored = leadId === null ? null : await uow.read((tx) => tx.leads.get(leadId));
      if (!stored) return done({ skipped: 'lead gone' });
      const text = renderSequenceNote({ ref: leadRef(stored.id), lead: stored.lead, domain: stored.domain, sequenceId: note.sequenceId, rule: note.rule }).text;
      return postOnce(row, { channel: note.channel, text, unfurl_links: false });
    },

    /** Whose App Home a delivered effect changes (the rep of its card, the rep DMed); null for none. */
    async homeOf(effect: Effect): Promise<string | null> {
      if ('repId' in effect) return effect.repId;
      if ('offerId' in effect) return repOfOffer.get(effect.offerId) ?? (await offerOf(effect.offerId))?.repId ?? null;
      return null;
    },
  };
}

type SlackMessages = ReturnType<typeof createSlackMessages>;

/**
 * Delivery of every effect (src/domain/effects.ts): ONE exhaustive switch over the effect's type,
 * each case handing its own typed effect to the function that performs it — a Slack message above,
 * or a signed webhook (src/adapters/outbox/deliverWebhook.ts). A new effect type does not compile
 * until it is delivered here.
 */
export function createEffectDeliverer(
  deps: SlackMessagesDeps & {
    webhook: (row: OutboxRow, effect: Extract<Effect, { type: 'webhook' }>) => Promise<DeliveryOutcome>;
    /** Told whose App Home a delivered message changed (`homeTouched`). */
    events?: EventBus;
  },
): Deliverer {
  const { webhook } = deps;
  const slack: SlackMessages = createSlackMessages(deps);

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
