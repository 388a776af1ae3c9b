/**
 * A lead's message in full (nothing is silently cut). Cards show an excerpt; when it is cut,
 * they carry a "Full message" button that opens the whole text in a modal, and `/leads L-17` shows
 * it too. The text goes in plain_text sections (the lead's words are shown as typed, never as
 * markup), split at line or word boundaries into as many 3,000-character sections as it needs
 * within the surface's block limit (50 in a message, 100 in a modal). Pure.
 */
import { parseLeadRef, type Lead } from '../../domain/lead.ts';
import { leadMessageValue } from './cardValues.ts';
import { actionsBlock, BLOCK_LIMITS, buttonElement, contextBlock, type Block } from './renderBlocks.ts';
import { leadSummary, MESSAGE_EXCERPT_MAX } from './renderLeadSection.ts';
import { ACTIONS } from './slackIds.ts';
import { clipPlain } from './slackFormat.ts';

/** Slack's limit on blocks in a modal. */
export const MODAL_MAX_BLOCKS = 100;
/** A modal title's limit, in characters. */
const MODAL_TITLE_MAX = 24;

/** Whether a card's excerpt of this message is shorter than the message (so the card offers the full text). */
export function messageIsCut(message: string | undefined): boolean {
  return message !== undefined && message.replace(/\s+/g, ' ').trim().length > MESSAGE_EXCERPT_MAX;
}

/** "Full message" for a card (of lead `ref`) whose lead message was cut to its excerpt; nothing otherwise. */
export function fullMessageButton(ref: string, lead: Lead): Block[] {
  const leadId = parseLeadRef(ref);
  if (leadId === null || !messageIsCut(lead.message)) return [];
  return [actionsBlock([buttonElement({ actionId: ACTIONS.showFullMessage, text: 'Full message', value: leadMessageValue(leadId) })])];
}

/**
 * The message as plain_text sections of at most 3,000 characters, cut at a line break, else at a
 * space, near the limit. At most `maxBlocks`: what does not fit (only a message of hundreds of
 * thousands of characters) ends with a line saying how many characters are not shown.
 */
export function messageSections(message: string, maxBlocks: number): Block[] {
  const text = message.trim();
  if (text === '' || maxBlocks <= 0) return [];
  const max = BLOCK_LIMITS.sectionText;
  const pieces: string[] = [];
  let rest = text;
  while (rest !== '' && pieces.length < maxBlocks) {
    if (rest.length <= max) {
      pieces.push(rest);
      rest = '';
      break;
    }
    const window = rest.slice(0, max);
    const newline = window.lastIndexOf('\n');
    const space = window.lastIndexOf(' ');
    const cut = newline > max * 0.6 ? newline : space > max * 0.6 ? space : max;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== '') {
    const last = pieces.pop() ?? '';
    const note = `\n… ${rest.length.toLocaleString('en-US')} more characters are not shown here.`;
    pieces.push(`${clipPlain(last, max - note.length)}${note}`);
  }
  return pieces.map((piece) => ({ type: 'section', text: { type: 'plain_text', text: piece, emoji: false } }));
}

export interface FullMessageModel {
  /** `L-17` */
  ref: string;
  lead: Lead;
  domain: string | null;
}

/** The modal "Full message" opens (views.open): who the lead is, then the whole message. */
export function renderFullMessageModal(model: FullMessageModel) {
  const header: Block[] = [contextBlock([`*${model.ref}* · ${leadSummary(model.lead, model.domain)}`])];
  return {
    type: 'modal' as const,
    title: { type: 'plain_text' as const, text: clipPlain(`${model.ref} · message`, MODAL_TITLE_MAX), emoji: true },
    close: { type: 'plain_text' as const, text: 'Close', emoji: true },
    blocks: [...header, ...messageSections(model.lead.message ?? '', MODAL_MAX_BLOCKS - header.length)],
  };
}
