import type { Config } from '../../config/schema.ts';
import { leadRef } from '../../domain/lead.ts';
import { escalationTarget } from '../../domain/people.ts';
import type { DeliveryOutcome } from '../outbox/outboxWorker.ts';
import type { SqliteLeadStore } from '../sqlite/sqliteLeadStore.ts';
import type { SqliteOfferStore } from '../sqlite/sqliteOfferStore.ts';
import type { OutboxRow, SqliteOutboxStore } from '../sqlite/sqliteOutboxStore.ts';
import type { CardModels } from './cardModels.ts';
import type { ResponseUrlPoster, SlackCaller } from './deliverSlackCall.ts';
import type { SlackMessage } from './renderBlocks.ts';
import { renderAssignedDm } from './renderAssignedDm.ts';
import { renderEscalation } from './renderEscalation.ts';
import { renderOfferCard, signalWords, type SignalModel } from './renderOfferCard.ts';
import { renderReminder } from './renderReminder.ts';
import { renderSequenceNote } from './renderThreadNote.ts';

/** The metadata every offer card carries, so that a card posted just before a crash is found, not posted twice. */
export const OFFER_METADATA_TYPE = 'leadrelay_offer';
/** The same for escalation messages, keyed by the outbox row (a lead can be escalated more than once). */
export const ESCALATION_METADATA_TYPE = 'leadrelay_escalation';
/** The metadata of every other message leadrelay posts for an outbox row (notes, reminders, re-pings, DMs). */
export const OUTBOX_METADATA_TYPE = 'leadrelay_outbox';

export interface CardDelivererDeps {
  call: SlackCaller;
  /** Posts to a click's response_url (the clicked message is replaced through it). */
  respond: ResponseUrlPoster;
  /** Where clicks' response URLs are kept, per message. */
  responseUrls: Pick<SqliteOutboxStore, 'usableResponseUrl' | 'usedResponseUrl' | 'spentResponseUrl'>;
  leads: SqliteLeadStore;
  offers: SqliteOfferStore;
  models: CardModels;
  config: () => Config;
  now: () => number;
  /** Outbox rows that were pending when this process started: their send may have reached Slack before a crash. */
  maybeInFlight: ReadonlySet<number>;
  /** Told whose state a delivered card reflects, so their App Home can be republished. */
  touched?: (userId: string) => void;
}

const done = (result?: unknown, commit?: () => void): DeliveryOutcome => ({ ok: true, result, ...(commit ? { commit } : {}) });

/**
 * Delivers `card` outbox rows: leadrelay's own messages, rendered from the current state at delivery
 * (so a card is never out of date) and posted or updated in place.
 *
 * A post that was in flight when the process died (or that failed after possibly reaching Slack) is
 * looked up before it is sent again: every offer card carries its offer id in chat.postMessage
 * `metadata`, and conversations.history (with include_all_metadata) finds it in the rep's DM.
 */
export function createCardDeliverer(deps: CardDelivererDeps) {
  const { call, leads, offers, models } = deps;

  /** The DM channel of a user (conversations.open), needed for conversations.history; a channel id as is. */
  const channelOf = async (target: string): Promise<string | DeliveryOutcome> => {
    if (!/^[UW]/.test(target)) return target;
    const opened = await call('conversations.open', { users: target });
    if (!opened.ok) return opened;
    return ((opened.result.channel as { id?: string } | undefined)?.id ?? '') || { ok: false, retryable: true, error: 'conversations.open returned no channel' };
  };

  type Metadata = { event_type?: string; event_payload?: Record<string, unknown> };

  /** The first of the messages a conversations.* read returns whose metadata `matches`, as `{ channel, ts }`. */
  const findByMetadata = async (method: 'conversations.history' | 'conversations.replies', args: { channel: string } & Record<string, unknown>, matches: (metadata: Metadata) => boolean): Promise<{ channel: string; ts: string } | null | DeliveryOutcome> => {
    const read = await call(method, { ...args, include_all_metadata: true });
    if (!read.ok) return read;
    const messages = (read.result.messages ?? []) as { ts: string; metadata?: Metadata }[];
    const found = messages.find((m) => m.metadata !== undefined && matches(m.metadata));
    return found ? { channel: args.channel, ts: found.ts } : null;
  };

  /**
   * A message leadrelay may already have posted (the process died, or the call failed, after Slack
   * stored it): looked up by its metadata in the conversation's recent history. Null when not found.
   */
  const findPosted = async (target: string, matches: (metadata: Metadata) => boolean): Promise<{ channel: string; ts: string } | null | DeliveryOutcome> => {
    const channel = await channelOf(target);
    if (typeof channel !== 'string') return channel;
    return findByMetadata('conversations.history', { channel, limit: 50 }, matches);
  };

  /** Whether this row's earlier send may have reached Slack, so it must be looked up before sending again. */
  const mayHaveBeenSent = (row: OutboxRow) => deps.maybeInFlight.has(row.id) || row.attempts > 0;

  /**
   * Posts a note, a reminder, a re-ping or a DM at most once: the message carries its outbox row's id
   * in `metadata`, and a row that may have been sent before (a crash or a failed answer after Slack
   * stored it) is first looked up, in its thread (conversations.replies) or in the conversation.
   */
  const postOnce = async (
    row: OutboxRow,
    args: { channel: string; thread_ts?: string; text: string } & Record<string, unknown>,
    /** Records where the message is, with the delivery. */
    posted?: (ts: string) => void,
  ): Promise<DeliveryOutcome> => {
    const ours = (m: Metadata) => m.event_type === OUTBOX_METADATA_TYPE && m.event_payload?.outbox_id === row.id;
    if (mayHaveBeenSent(row)) {
      const found =
        args.thread_ts === undefined
          ? await findPosted(args.channel, ours)
          : await findByMetadata('conversations.replies', { channel: args.channel, ts: args.thread_ts, limit: 200 }, ours);
      if (found !== null && 'ok' in found) return found;
      if (found) return done({ recovered: true, ts: found.ts }, posted && (() => posted(found.ts)));
    }
    const answer = await call('chat.postMessage', { ...args, metadata: { event_type: OUTBOX_METADATA_TYPE, event_payload: { outbox_id: row.id } } });
    if (!answer.ok) return answer;
    const ts = String(answer.result.ts);
    return done({ ts }, posted && (() => posted(ts)));
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
    const key = row.message_key;
    const stored = key === null ? null : deps.responseUrls.usableResponseUrl(key, deps.now());
    let spent: (() => void) | undefined;
    if (key !== null && stored !== null) {
      const replaced = await deps.respond(stored.url, { replace_original: true, ...message });
      const used = () => deps.responseUrls.usedResponseUrl(key, stored.url);
      if (replaced.ok) return done({ via: 'response_url' }, used);
      if ('retryable' in replaced && replaced.retryable) return { ...replaced, commit: used };
      spent = () => deps.responseUrls.spentResponseUrl(key, stored.url);
    }
    const updated = await call('chat.update', { channel: target.channel, ts: target.ts, ...message });
    const outcome = updated.ok ? done({ via: 'chat.update' }) : updated;
    return spent ? { ...outcome, commit: spent } : outcome;
  };


  const postOfferCard = async (row: OutboxRow, offerId: number): Promise<DeliveryOutcome> => {
    const model = models.offerCard(offerId);
    if (!model) return done({ skipped: 'offer gone' });
    const offer = offers.get(offerId);
    if (offer?.message_ts) return done({ skipped: 'already posted' });
    // An offer that ended before its card went out (a long Slack outage, a restart) is not worth a DM:
    // the rep would only learn it expired, and the post would use up their rate-limit budget.
    if (offer && offer.state !== 'pending' && !mayHaveBeenSent(row)) return done({ skipped: 'offer ended before its card was sent' });
    if (mayHaveBeenSent(row)) {
      const found = await findPosted(model.offer.repId, (m) => m.event_type === OFFER_METADATA_TYPE && m.event_payload?.offer_id === offerId);
      if (found !== null && 'ok' in found) return found;
      if (found) return done({ recovered: true, ts: found.ts }, () => offers.setMessage(offerId, found.channel, found.ts));
    }
    const message = renderOfferCard(model, deps.now());
    const posted = await call('chat.postMessage', {
      channel: model.offer.repId,
      ...message,
      unfurl_links: false,
      metadata: { event_type: OFFER_METADATA_TYPE, event_payload: { offer_id: offerId, lead: model.ref } },
    });
    if (!posted.ok) return posted;
    return done({ ts: posted.result.ts }, () => offers.setMessage(offerId, String(posted.result.channel), String(posted.result.ts)));
  };

  // An update is due only once its message's post is done (see the outbox's due query): a card that
  // has no ts by then was never posted (its offer ended first, or Slack refused it), and nothing shows it.
  const updateOfferCard = async (row: OutboxRow, offerId: number): Promise<DeliveryOutcome> => {
    const offer = offers.get(offerId);
    const model = models.offerCard(offerId);
    if (!offer?.channel_id || !offer.message_ts || !model) return done({ skipped: 'card never posted' });
    return replaceMessage(row, { channel: offer.channel_id, ts: offer.message_ts }, renderOfferCard(model, deps.now()));
  };

  /** The reminder in the card's thread, once the offer ended: it says so instead of counting down. */
  const updateReminder = async (offerId: number): Promise<DeliveryOutcome> => {
    const offer = offers.get(offerId);
    const model = models.offerCard(offerId);
    if (!offer?.channel_id || !offer.reminder_ts || !model) return done({ skipped: 'no reminder posted' });
    const updated = await call('chat.update', { channel: offer.channel_id, ts: offer.reminder_ts, ...renderReminder(model, deps.now()) });
    return updated.ok ? done() : updated;
  };

  const postInCardThread = async (row: OutboxRow, offerId: number, text: string, posted?: (ts: string) => void): Promise<DeliveryOutcome> => {
    const offer = offers.get(offerId);
    if (!offer?.channel_id || !offer.message_ts) return done({ skipped: 'card never posted' });
    return postOnce(row, { channel: offer.channel_id, thread_ts: offer.message_ts, text }, posted);
  };

  /** Where a lead's escalation goes (see escalationTarget): a channel id, or a manager's user id for a DM. */
  const escalationChannel = (leadId: number): string | null => {
    const target = escalationTarget(deps.config(), leads.getLead(leadId)?.team_id ?? null);
    return target === null ? null : target.kind === 'channel' ? target.channelId : target.userId;
  };

  const postEscalation = async (row: OutboxRow, leadId: number): Promise<DeliveryOutcome> => {
    const model = models.escalation(leadId);
    const target = escalationChannel(leadId);
    if (!model || !target) return done({ skipped: 'nobody to escalate to' });
    if (mayHaveBeenSent(row)) {
      const found = await findPosted(target, (m) => m.event_type === ESCALATION_METADATA_TYPE && m.event_payload?.outbox_id === row.id);
      if (found !== null && 'ok' in found) return found;
      if (found) return done({ recovered: true, ts: found.ts }, () => leads.setEscalationMessage(leadId, found.channel, found.ts));
    }
    const posted = await call('chat.postMessage', {
      channel: target,
      ...renderEscalation(model, deps.now()),
      unfurl_links: false,
      metadata: { event_type: ESCALATION_METADATA_TYPE, event_payload: { lead_id: leadId, outbox_id: row.id } },
    });
    if (!posted.ok) return posted;
    return done({ ts: posted.result.ts }, () => leads.setEscalationMessage(leadId, String(posted.result.channel), String(posted.result.ts)));
  };

  const updateEscalation = async (row: OutboxRow, leadId: number): Promise<DeliveryOutcome> => {
    const info = leads.escalation(leadId);
    const model = models.escalation(leadId);
    if (!info?.escalation_channel || !info.escalation_ts || !model) return done({ skipped: 'no escalation message' });
    return replaceMessage(row, { channel: info.escalation_channel, ts: info.escalation_ts }, renderEscalation(model, deps.now()));
  };

  const repingEscalation = async (row: OutboxRow, leadId: number): Promise<DeliveryOutcome> => {
    const info = leads.escalation(leadId);
    const stored = leads.getLead(leadId);
    if (!info?.escalation_channel || !info.escalation_ts || !stored || (stored.state !== 'escalated' && stored.state !== 'queued')) return done({ skipped: 'nothing to re-ping' });
    // Only a reply in the thread (broadcast): updating the message too would spend the workspace's
    // chat.update budget (Tier 3) that live cards need, once per escalated lead per claim_within.
    const text = `🔔 ${leadRef(leadId)} still needs an owner (ping ${info.escalation_pings}).`;
    return postOnce(row, { channel: info.escalation_channel, thread_ts: info.escalation_ts, text, reply_broadcast: true });
  };

  const dmAssigned = async (row: OutboxRow, leadId: number, repId: string, by: string): Promise<DeliveryOutcome> => {
    const model = models.assigned(leadId, by);
    if (!model) return done({ skipped: 'lead gone' });
    return postOnce(row, { channel: repId, ...renderAssignedDm(model, deps.now()), unfurl_links: false });
  };

  const deliver = async (row: OutboxRow): Promise<DeliveryOutcome> => {
    const payload = row.payload as { offerId?: number; leadId?: number; repId?: string; by?: string; text?: string };
    switch (row.method) {
      case 'post_offer_card':
        return postOfferCard(row, Number(payload.offerId));
      case 'update_offer_card':
        return updateOfferCard(row, Number(payload.offerId));
      case 'post_reminder': {
        const model = models.offerCard(Number(payload.offerId));
        if (!model) return done({ skipped: 'offer gone' });
        // An offer that ended before its reminder went out needs none.
        if (model.offer.state !== 'pending' && !mayHaveBeenSent(row)) return done({ skipped: 'offer ended before its reminder was sent' });
        const offerId = model.offer.id;
        return postInCardThread(row, offerId, renderReminder(model, deps.now()).text, (ts) => offers.setReminderMessage(offerId, ts));
      }
      case 'update_reminder':
        return updateReminder(Number(payload.offerId));
      case 'thread_note':
        return postInCardThread(row, Number(payload.offerId), String(payload.text ?? ''));
      case 'signal_note': {
        const signal = payload as unknown as { offerId: number; channel: SignalModel['channel']; kind: string; hot: boolean };
        return postInCardThread(row, signal.offerId, `📣 ${signalWords(signal)}${signal.hot ? ': call now' : ''}`);
      }
      case 'post_escalation':
        return postEscalation(row, Number(payload.leadId));
      case 'update_escalation':
        return updateEscalation(row, Number(payload.leadId));
      case 'reping_escalation':
        return repingEscalation(row, Number(payload.leadId));
      case 'dm_assigned':
        return dmAssigned(row, Number(payload.leadId), String(payload.repId), String(payload.by));
      case 'dm_reassigned_away': {
        const text = `↪️ <@${String(payload.by)}> reassigned ${leadRef(Number(payload.leadId))} to <@${String((payload as { to?: string }).to)}>.`;
        return postOnce(row, { channel: String(payload.repId), text });
      }
      case 'post_message': {
        // A plain text message (a "back in rotation" DM, a sequence's channel note), posted at most once.
        const message = row.payload as { channel?: string; text?: string; sequenceNote?: { sequenceId: string; rule: string } };
        let text = String(message.text ?? '');
        if (message.sequenceNote && row.lead_id !== null) {
          const stored = leads.getLead(row.lead_id);
          if (!stored) return done({ skipped: 'lead gone' });
          text = renderSequenceNote({ ref: leadRef(stored.id), lead: stored.lead, domain: stored.domain, ...message.sequenceNote }).text;
        }
        return postOnce(row, { channel: String(message.channel), text, unfurl_links: false });
      }
      default:
        return { ok: false, retryable: false, error: `unknown card effect ${row.method}` };
    }
  };

  return async (row: OutboxRow): Promise<DeliveryOutcome> => {
    const outcome = await deliver(row);
    if (outcome.ok && deps.touched) {
      const payload = row.payload as { offerId?: number; repId?: string };
      const userId = payload.repId ?? (payload.offerId !== undefined ? offers.get(payload.offerId)?.rep_id : undefined);
      if (userId) deps.touched(userId);
    }
    return outcome;
  };
}
