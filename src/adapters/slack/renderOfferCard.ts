/**
 * The offer card: the DM a rep gets for a lead, with Claim and Pass while the offer is
 * pending, and what became of it afterwards. Rendered from stored state only (`now` is a parameter),
 * so the outbox can re-render and chat.update the same message after every change. Pure.
 */
import type { Lead } from '../../domain/lead.ts';
import type { SignalChannel } from '../../domain/settings.ts';
import { formatDuration } from '../../domain/duration.ts';
import { offerButtonValue, passReasonValue } from './cardValues.ts';
import { actionsBlock, buttonElement, staticSelectElement, contextBlock, dividerBlock, headerBlock, sectionBlock, type Block, type SlackMessage } from './renderBlocks.ts';
import { leadDisplayName, leadSummary, renderLeadSection } from './renderLeadSection.ts';
import { fullMessageButton } from './renderFullMessage.ts';
import { ACTIONS, PASS_REASONS, type PassReasonCode } from './slackIds.ts';
import { escapeClip, escapeLeadText, escapeMrkdwn, mention, slackDate, utcTime } from './slackFormat.ts';

/** Same states as the `offers.state` column. */
import type { OfferState } from '../../domain/offers/offerMachine.ts';
import type { LeadWhereabouts } from '../../domain/offers/whereabouts.ts';

export type { LeadWhereabouts, OfferState };

export interface OfferModel {
  id: number;
  /** Fencing token: a click carries it back and only counts when it still matches. */
  version: number;
  repId: string;
  /** 1 for the lead's first offer, 2 for the next, … */
  attempt: number;
  state: OfferState;
  offeredAt: number;
  deadlineAt: number;
  resolvedAt: number | null;
  /** Why the offer was passed or withdrawn (`away` for a rep who went away), if known. */
  reason: string | null;
}

export interface SignalModel {
  channel: SignalChannel;
  kind: string;
  at: number;
}

export interface OfferCardModel {
  /** `L-17` */
  ref: string;
  lead: Lead;
  /** The lead's company domain (leadDomain), shown when the company has no name. */
  domain: string | null;
  offer: OfferModel;
  /** The one-line "Why you" from the routing trace. */
  why: string;
  /** Where the lead is now; null while the offer is pending or when unknown. */
  whereabouts: LeadWhereabouts | null;
  /** The lead's signals, any order; the card shows the 5 newest. */
  signals: SignalModel[];
  urgent: boolean;
  /** `sla.maxOffers`, for "offer 2 of 3". */
  maxOffers: number;
}

/** Signals shown on a card, newest first. */
export const MAX_CARD_SIGNALS = 5;

/**
 * Where the lead is now, as words that follow "—": `offered to <@U0BOB>`, `escalated to a manager`,
 * `waiting for someone to become available`, `sent to sequence nurture`. `viewer` (the rep reading)
 * is called "you". Also what a stale click answers with.
 */
export function whereaboutsWords(whereabouts: LeadWhereabouts, viewer?: string): string {
  const who = (repId: string) => (repId === viewer ? 'you' : mention(repId));
  switch (whereabouts.kind) {
    case 'offered':
      return `offered to ${who(whereabouts.repId)}`;
    case 'claimed':
      return `claimed by ${who(whereabouts.repId)}`;
    case 'escalated':
      return 'escalated to a manager';
    case 'queued':
      return 'waiting for someone to become available';
    case 'sequence':
      return `sent to sequence ${escapeClip(whereabouts.sequenceId, 100)}`;
    case 'done':
      return whereabouts.repId === null ? 'already done' : `already done by ${who(whereabouts.repId)}`;
    case 'owned':
      return `now owned by ${who(whereabouts.repId)}`;
  }
}

/** The DM card for one offer, in its current state. */
export function renderOfferCard(model: OfferCardModel, now: number): SlackMessage {
  const { ref, lead, offer } = model;
  const name = leadDisplayName(lead, model.domain);
  const header = model.urgent ? `🔥 Urgent: ${ref} · ${name}` : `New lead ${ref} · ${name}`;
  const summary = leadSummary(lead, model.domain);
  const blocks: Block[] = [headerBlock(header), ...renderLeadSection(lead, model.domain), ...fullMessageButton(ref, lead)];

  const signals = signalLines(model.signals);
  if (signals) blocks.push(sectionBlock(signals));
  // The why names the lead's company domain (lead text): escaped so it shows as typed.
  if (model.why.trim() !== '') blocks.push(sectionBlock(`*Why you:* ${escapeLeadText(model.why.trim(), 500)}`));
  blocks.push(dividerBlock());

  if (offer.state === 'pending') {
    const overdue = now >= offer.deadlineAt ? ' (time is up)' : '';
    blocks.push(sectionBlock(`⏳ Claim by ${deadlineDate(offer)}${overdue} · ${attemptWords(offer.attempt, model.maxOffers)}`));
    const value = offerButtonValue(offer.id, offer.version);
    blocks.push(
      actionsBlock([
        buttonElement({ actionId: ACTIONS.claimLead, text: 'Claim', value, style: 'primary' }),
        buttonElement({ actionId: ACTIONS.passLead, text: 'Pass', value }),
      ]),
      // A second block, so that the select can share the `pass_lead` action id (unique per block).
      actionsBlock([
        staticSelectElement({
          actionId: ACTIONS.passLead,
          placeholder: 'Pass with a reason…',
          options: (Object.keys(PASS_REASONS) as PassReasonCode[]).map((code) => ({ text: PASS_REASONS[code], value: passReasonValue(offer.id, offer.version, code) })),
        }),
      ]),
    );
    return { text: `${model.urgent ? '🔥 Urgent lead' : 'New lead'} ${ref}: ${summary} — claim by ${utcTime(offer.deadlineAt)}`, blocks };
  }

  const outcome = offerOutcome(model, offer.state);
  blocks.push(sectionBlock(outcome.line));
  blocks.push(contextBlock([`${capitalize(attemptWords(offer.attempt, model.maxOffers))} · offered ${slackDate(offer.offeredAt)}`]));
  return { text: `${ref}: ${summary} — ${outcome.phrase}`, blocks };
}

/**
 * What became of the offer, in a few words for texts such as its ended reminder: `you passed, offered
 * to <@U0BOB>`, `claimed by you in 1m 12s`, `expired, escalated to a manager`. Null while pending.
 */
export function offerOutcomePhrase(model: OfferCardModel): string | null {
  return model.offer.state === 'pending' ? null : offerOutcome(model, model.offer.state).phrase;
}

/** What became of a resolved offer: a line for the card and a phrase for the notification text. */
function offerOutcome(model: OfferCardModel, state: Exclude<OfferState, 'pending'>): { line: string; phrase: string } {
  const { offer } = model;
  const where = model.whereabouts ? whereaboutsWords(model.whereabouts, offer.repId) : null;
  const dash = where ? ` — ${where}` : '';
  const comma = where ? `, ${where}` : '';
  const reason = offer.reason?.trim() ? escapeClip(offer.reason.trim(), 300) : null;
  switch (state) {
    case 'claimed': {
      const took = offer.resolvedAt === null ? '' : ` in ${formatDuration(offer.resolvedAt - offer.offeredAt)}`;
      // Reassigned since: the lead is someone else's now.
      const w = model.whereabouts;
      const since = w && (w.kind === 'claimed' || w.kind === 'owned') && w.repId !== offer.repId ? mention(w.repId) : null;
      return since
        ? { line: `✅ Claimed by you${took}\n↪️ Since reassigned to ${since}`, phrase: `claimed by you${took}, since reassigned to ${since}` }
        : { line: `✅ Claimed by you${took}`, phrase: `claimed by you${took}` };
    }
    case 'passed':
      return { line: `👋 You passed${dash}${reason ? `\nReason: ${reason}` : ''}`, phrase: `you passed${comma}` };
    case 'expired':
      return { line: `⌛ Expired${dash}`, phrase: `expired${comma}` };
    case 'withdrawn': {
      if (offer.reason?.trim().toLowerCase() === 'away') {
        return { line: `↪️ Withdrawn: you went away${dash}`, phrase: `withdrawn: you went away${comma}` };
      }
      const w = model.whereabouts;
      if (w && (w.kind === 'offered' || w.kind === 'claimed' || w.kind === 'owned') && w.repId !== offer.repId) {
        return {
          line: `↪️ Reassigned to ${mention(w.repId)}${reason ? `\nReason: ${reason}` : ''}`,
          phrase: `reassigned to ${mention(w.repId)}`,
        };
      }
      const why = reason ? `: ${reason}` : '';
      return { line: `↪️ Withdrawn${why}${dash}`, phrase: `withdrawn${why}${comma}` };
    }
  }
}

/** `offer 2 of 3`; `offer 4` once past max_offers (a lead re-offered after it was queued). */
function attemptWords(attempt: number, maxOffers: number): string {
  return maxOffers > 0 && attempt <= maxOffers ? `offer ${attempt} of ${maxOffers}` : `offer ${attempt}`;
}

/** The deadline in the reader's time zone: the time only, with the date when the SLA spans half a day or more. */
function deadlineDate(offer: OfferModel): string {
  const long = offer.deadlineAt - offer.offeredAt >= 12 * 60 * 60 * 1000;
  return slackDate(offer.deadlineAt, long ? '{date_short_pretty} {time}' : '{time}');
}

const SIGNAL_KINDS: Record<string, string> = {
  reply_positive: 'replied positively',
  reply_negative: 'replied negatively',
  reply: 'replied',
  profile_view: 'viewed a profile',
  email_open: 'opened an email',
  link_click: 'clicked a link',
  meeting_booked: 'booked a meeting',
  connection_accepted: 'accepted a connection request',
};

const SIGNAL_CHANNELS: Record<SignalChannel, string> = {
  linkedin: 'on LinkedIn',
  email: 'by email',
  whatsapp: 'on WhatsApp',
  web: 'on the website',
};

/** One signal in words: `replied positively on LinkedIn`. */
export function signalWords(signal: Pick<SignalModel, 'channel' | 'kind'>): string {
  const kind = Object.hasOwn(SIGNAL_KINDS, signal.kind) ? SIGNAL_KINDS[signal.kind] : escapeClip(signal.kind.replace(/_/g, ' '), 60);
  // "opened an email by email" says the channel twice.
  const channel = signal.kind === 'email_open' && signal.channel === 'email' ? '' : ` ${SIGNAL_CHANNELS[signal.channel] ?? `on ${escapeMrkdwn(String(signal.channel))}`}`;
  return `${kind}${channel}`;
}

/** `*Recent signals*` and the 5 newest, one per line; null when there are none. */
function signalLines(signals: SignalModel[]): string | null {
  if (signals.length === 0) return null;
  const newest = [...signals].sort((a, b) => b.at - a.at);
  const lines = newest.slice(0, MAX_CARD_SIGNALS).map((signal) => `• ${signalWords(signal)} · ${slackDate(signal.at)}`);
  const more = newest.length - MAX_CARD_SIGNALS;
  if (more > 0) lines.push(`_and ${more} earlier_`);
  return `*Recent signals*\n${lines.join('\n')}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
