/**
 * `/leads`: the reader's pending offers, each with Claim and Pass, and their open leads,
 * each with Done. The two sections are also the App Home's, so a lead looks the same in both. Pure:
 * `now` is a parameter.
 */
import { formatDuration } from '../../domain/duration.ts';
import type { MyLeadsModel, OpenLeadItem, PendingOfferItem } from '../../app/readModels.ts';
import { leadButtonValue, offerButtonValue } from './cardValues.ts';
import { actionsBlock, BLOCK_LIMITS, buttonElement, contextBlock, dividerBlock, headerBlock, sectionBlock, type Block, type SlackMessage } from './renderBlocks.ts';
import { leadSummary, sourceName } from './renderLeadSection.ts';
import { ACTIONS } from './slackIds.ts';
import { slackDate } from './slackFormat.ts';

export type { MyLeadsModel, OpenLeadItem, PendingOfferItem };

/** The "Done" button on an open lead; its value is leadButtonValue(leadId, version). To move to slackIds.ts. */

/** Slack's limit on blocks in a message. */
export const MESSAGE_MAX_BLOCKS = 50;

/** Offers listed with buttons before "… and N more" (each takes two blocks). */
export const MAX_LISTED_OFFERS = 10;

/** Open leads listed with a Done button before "… and N more". */
export const MAX_LISTED_OPEN_LEADS = 20;

export const NOTHING_WAITING = 'Nothing waiting for you. New leads will arrive here as cards.';
export const NO_OPEN_LEADS = 'No open leads. Leads you claim stay here until you mark them done.';

/** Room kept in a list section for its "… and N more" line. */
const MORE_LINE_ROOM = 40;

const HOUR = 60 * 60 * 1000;

/** `1 offer`, `2 offers`. */
export function countWords(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** `_… and 3 more_` */
export function moreLine(n: number, noun = ''): string {
  return `_… and ${n} more${noun === '' ? '' : ` ${noun}`}_`;
}

/**
 * A bold title over lines, packed into as few sections as Slack's 3,000-character limit allows and
 * at most `maxBlocks` of them; lines that do not fit, and `total − lines.length` items that were not
 * even loaded, become "… and N more". `empty` is shown under the title when there is nothing.
 * `separator` goes between lines (a blank line, `\n\n`, sets multi-line entries apart).
 */
export function listBlocks(
  title: string,
  lines: readonly string[],
  options: { maxBlocks: number; empty: string; total?: number; noun?: string; separator?: string },
): Block[] {
  const joinLines = (a: string, b: string) => (a === '' ? b : `${a}${options.separator ?? '\n'}${b}`);
  const total = Math.max(options.total ?? lines.length, lines.length);
  if (total === 0) return [sectionBlock(title === '' ? options.empty : `${title}\n${options.empty}`)];
  const budget = BLOCK_LIMITS.sectionText - MORE_LINE_ROOM;
  const sections: string[] = [];
  let current = title;
  let shown = 0;
  for (const line of lines) {
    const next = joinLines(current, line);
    if (next.length <= budget || current === '') {
      current = next;
    } else if (sections.length + 1 < Math.max(1, options.maxBlocks)) {
      sections.push(current);
      current = line;
    } else {
      break;
    }
    shown += 1;
  }
  if (total > shown) current = joinLines(current, moreLine(total - shown, options.noun));
  sections.push(current);
  return sections.map((text) => sectionBlock(text));
}

/** `*L-17* · Jane Doe, Acme`: the reference and who the lead is, escaped. */
export function leadLine(item: { ref: string; lead: PendingOfferItem['lead']; domain: string | null }): string {
  return `*${item.ref}* · ${leadSummary(item.lead, item.domain)}`;
}

/** The deadline in the reader's zone: the time alone when it is within 12 hours, else with the date. */
function deadlineDate(deadlineAt: number, now: number): string {
  return slackDate(deadlineAt, deadlineAt - now < 12 * HOUR ? '{time}' : '{date_short_pretty} {time}');
}

/** One pending offer: who, where from, the deadline, and Claim (primary) + Pass carrying the offer's version. */
function pendingOfferBlocks(offer: PendingOfferItem, now: number): Block[] {
  const facts = [`via ${sourceName(offer.lead.source)}`, ...(offer.lead.score === undefined ? [] : [`score *${offer.lead.score}*`])];
  const left = offer.deadlineAt - now;
  const timing = left > 0 ? `${formatDuration(left)} left` : 'time is up';
  const value = offerButtonValue(offer.offerId, offer.offerVersion);
  return [
    sectionBlock(`${leadLine(offer)} · ${facts.join(' · ')}\n⏳ Claim by ${deadlineDate(offer.deadlineAt, now)} · ${timing}`),
    actionsBlock([
      buttonElement({ actionId: ACTIONS.claimLead, text: 'Claim', value, style: 'primary' }),
      buttonElement({ actionId: ACTIONS.passLead, text: 'Pass', value }),
    ]),
  ];
}

/**
 * "Waiting for you": each pending offer with Claim and Pass, at most `maxOffers` (two blocks each,
 * plus a title and a "… and N more" line).
 */
export function pendingOffersBlocks(offers: readonly PendingOfferItem[], now: number, maxOffers = MAX_LISTED_OFFERS): Block[] {
  if (offers.length === 0) return [sectionBlock(`*Waiting for you*\n${NOTHING_WAITING}`)];
  const blocks: Block[] = [sectionBlock(`*Waiting for you* (${offers.length})`)];
  for (const offer of offers.slice(0, maxOffers)) blocks.push(...pendingOfferBlocks(offer, now));
  if (offers.length > maxOffers) blocks.push(contextBlock([`${moreLine(offers.length - maxOffers)} — see their cards in your DMs`]));
  return blocks;
}

/** One open lead: who, when it was claimed, and a Done button carrying the lead's version. */
function openLeadBlock(item: OpenLeadItem, now: number): Block {
  const claimed = item.claimedAt === null ? 'Claimed' : `Claimed ${slackDate(item.claimedAt)} · ${formatDuration(now - item.claimedAt)} ago`;
  return {
    ...sectionBlock(`${leadLine(item)}\n${claimed}`),
    accessory: buttonElement({ actionId: ACTIONS.leadDone, text: 'Done', value: leadButtonValue(item.leadId, item.leadVersion) }),
  };
}

/** "Your open leads": each with its claim time and Done, at most `maxLeads` (one block each, plus a title and "… and N more"). */
export function openLeadsBlocks(leads: readonly OpenLeadItem[], now: number, maxLeads = MAX_LISTED_OPEN_LEADS): Block[] {
  if (leads.length === 0) return [sectionBlock(`*Your open leads*\n${NO_OPEN_LEADS}`)];
  const blocks: Block[] = [sectionBlock(`*Your open leads* (${leads.length})`)];
  for (const item of leads.slice(0, maxLeads)) blocks.push(openLeadBlock(item, now));
  if (leads.length > maxLeads) blocks.push(contextBlock([`${moreLine(leads.length - maxLeads)} — \`/leads done L-17\` works for any of them`]));
  return blocks;
}

/** The reply to `/leads`: at most 1 + 22 + 1 + 22 = 46 blocks. */
export function renderMyLeads(model: MyLeadsModel, now: number): SlackMessage {
  const waiting = model.pendingOffers.length;
  const open = model.openLeads.length;
  const text =
    waiting === 0 && open === 0
      ? 'Nothing waiting for you and no open leads.'
      : `${waiting === 0 ? 'Nothing' : countWords(waiting, 'lead')} waiting for you · ${countWords(open, 'open lead')}`;
  return {
    text,
    blocks: [headerBlock('Your leads'), ...pendingOffersBlocks(model.pendingOffers, now), dividerBlock(), ...openLeadsBlocks(model.openLeads, now)],
  };
}
