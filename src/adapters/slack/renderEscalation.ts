/**
 * The escalation: a lead nobody claimed after `max_offers`, or that nobody can take, goes to
 * `escalation.channel` or the team manager with its history, a users_select to assign it and a
 * button to take it. Re-rendered in place once someone owns it. Pure.
 */
import { leadDomain, type Lead } from '../../domain/lead.ts';
import { assignBlockId, leadButtonValue } from './cardValues.ts';
import { actionsBlock, buttonElement, dividerBlock, headerBlock, sectionBlock, usersSelectElement, type Block, type SlackMessage } from './renderBlocks.ts';
import { leadDisplayName, leadSummary, renderLeadSection } from './renderLeadSection.ts';
import { fullMessageButton } from './renderFullMessage.ts';
import { whereaboutsWords, type LeadWhereabouts, type OfferState } from './renderOfferCard.ts';
import { ACTIONS } from './slackIds.ts';
import { escapeClip, mention, slackDate } from './slackFormat.ts';

export interface EscalationOffer {
  repId: string;
  state: OfferState;
  resolvedAt: number | null;
}

export interface EscalationModel {
  /** `L-17` */
  ref: string;
  lead: Lead;
  leadId: number;
  /** The lead's fencing token: the assign and take controls carry it back. */
  leadVersion: number;
  /** `max_offers`: offered that many times, nobody claimed. `queued`: nobody eligible. */
  reason: 'max_offers' | 'queued';
  /** The lead's offers so far, first first. */
  offers: EscalationOffer[];
  teamId: string | null;
  /** Set once a manager assigned the lead with the users_select. */
  assignedTo: string | null;
  /** Who assigned it, for "Assigned to <@U> by <@MGR>". */
  assignedBy?: string | null;
  /** Set once someone took the lead ("Take it myself", or a rep claimed it after it was queued). */
  claimedBy: string | null;
  /** 1 for the first message, 2 for the first re-ping, … */
  pingCount: number;
  /** The lead's company domain; computed from the lead when not given. */
  domain?: string | null;
  /**
   * Where the lead is now when nobody owns it: offered to a rep again (someone became available) or
   * sent to a sequence. The message then says so and asks nothing of the manager any more.
   */
  whereabouts?: LeadWhereabouts | null;
}

/** Offers listed by name before "and N more". */
const MAX_LISTED_OFFERS = 10;

const OFFER_STATE_WORDS: Record<OfferState, string> = {
  pending: 'has not answered yet',
  claimed: 'claimed',
  passed: 'passed',
  expired: 'expired',
  withdrawn: 'was withdrawn',
};

/** The message to the manager or escalation channel, in its current state. */
export function renderEscalation(model: EscalationModel, now: number): SlackMessage {
  const { ref, lead } = model;
  const domain = model.domain === undefined ? leadDomain(lead) : model.domain;
  const name = leadDisplayName(lead, domain);
  const summary = leadSummary(lead, domain);
  const owner = resolution(model);

  // Resolved: the message says who owns the lead (or where it went) and what happened before, in
  // the past tense; nothing in it asks for an owner any more.
  if (owner) {
    return {
      text: `${ref}: ${summary} — ${owner.phrase}`,
      blocks: [headerBlock(`Owner found: ${ref} · ${name}`), sectionBlock(`✅ ${owner.line}`), sectionBlock(pastHistory(model)), ...renderLeadSection(lead, domain), ...fullMessageButton(ref, lead)],
    };
  }
  const moved = model.whereabouts && (model.whereabouts.kind === 'offered' || model.whereabouts.kind === 'sequence') ? whereaboutsWords(model.whereabouts) : null;
  if (moved) {
    return {
      text: `${ref}: ${summary} — ${moved}`,
      blocks: [headerBlock(`On its way: ${ref} · ${name}`), sectionBlock(`↪️ Now ${moved}`), sectionBlock(pastHistory(model)), ...renderLeadSection(lead, domain), ...fullMessageButton(ref, lead)],
    };
  }

  const ping = model.pingCount > 1 ? `Still unassigned (ping ${model.pingCount})` : null;
  const blocks: Block[] = [headerBlock(`Needs an owner: ${ref} · ${name}`)];
  if (ping) blocks.push(sectionBlock(`⏰ *${ping}* — as of ${slackDate(now, '{time}')}`));
  blocks.push(sectionBlock(history(model)), ...renderLeadSection(lead, domain), ...fullMessageButton(ref, lead), dividerBlock());
  blocks.push(
    actionsBlock(
      [
        usersSelectElement({ actionId: ACTIONS.assignLead, placeholder: 'Assign to…' }),
        buttonElement({ actionId: ACTIONS.claimLead, text: 'Take it myself', value: leadButtonValue(model.leadId, model.leadVersion) }),
      ],
      assignBlockId(model.leadId, model.leadVersion),
    ),
  );
  const why = model.reason === 'max_offers' ? offeredWords(model.offers.length).toLowerCase() : 'nobody is available to take it';
  return { text: `${ping ? `${ping}: ` : ''}${ref} needs an owner: ${summary} — ${why}`, blocks };
}

/** Who owns the lead now, if anyone: a line for the message and a phrase for its text. */
function resolution(model: EscalationModel): { line: string; phrase: string } | null {
  if (model.assignedTo !== null) {
    const by = model.assignedBy ? ` by ${mention(model.assignedBy)}` : '';
    return { line: `Assigned to ${mention(model.assignedTo)}${by}`, phrase: `assigned to ${mention(model.assignedTo)}${by}` };
  }
  if (model.claimedBy !== null) {
    return { line: `Taken by ${mention(model.claimedBy)}`, phrase: `taken by ${mention(model.claimedBy)}` };
  }
  return null;
}

/**
 * Why it escalated: "Offered 3 times, nobody claimed: <@A> expired, <@B> passed, <@C> expired", or
 * "Nobody is available to take it" with the offers made before, if any.
 */
function history(model: EscalationModel): string {
  const offers = offerList(model.offers);
  if (model.reason === 'max_offers') return `${offeredWords(model.offers.length)}${offers ? `: ${offers}` : ''}`;
  const team = model.teamId ? ` in team ${escapeClip(model.teamId, 80)}` : '';
  const lines = [`Nobody is available to take it${team}; it will be offered as soon as someone is.`];
  if (offers) lines.push(`Offered before: ${offers}`);
  return lines.join('\n');
}

/** What happened before the lead found its way, for a resolved message: never "nobody is available". */
function pastHistory(model: EscalationModel): string {
  const offers = offerList(model.offers);
  if (model.reason === 'max_offers') return `${offeredWords(model.offers.length)}${offers ? `: ${offers}` : ''}`;
  const team = model.teamId ? ` in team ${escapeClip(model.teamId, 80)}` : '';
  return [`Waited for someone to become available${team}.`, ...(offers ? [`Offers: ${offers}`] : [])].join('\n');
}

function offeredWords(count: number): string {
  if (count === 0) return 'Nobody claimed it';
  return `Offered ${count === 1 ? 'once' : `${count} times`}, nobody claimed`;
}

/** `<@A> expired, <@B> passed`, the first 10, then "and 3 more". */
function offerList(offers: EscalationOffer[]): string {
  const listed = offers.slice(0, MAX_LISTED_OFFERS).map((offer) => `${mention(offer.repId)} ${OFFER_STATE_WORDS[offer.state]}`);
  if (offers.length > MAX_LISTED_OFFERS) listed.push(`and ${offers.length - MAX_LISTED_OFFERS} more`);
  return listed.join(', ');
}
