/**
 * Block Kit building blocks shared by the renderers, each holding Slack's limits so that no lead
 * text, however long, can make Slack reject a card (`invalid_blocks` would leave a lead without one).
 * Pure.
 */
import type { types } from '@slack/bolt';
import { clipPlain } from './slackFormat.ts';

export type Block = types.KnownBlock;

/** A chat.postMessage / chat.update payload without its channel: re-rendered from state on every change. */
export interface SlackMessage {
  /** The fallback shown in notifications and by clients that cannot show blocks. */
  text: string;
  blocks: Block[];
}

/** A text-only message, e.g. a note in a card's thread. */
export interface SlackText {
  text: string;
}

/** Slack's limits (docs.slack.dev/reference/block-kit), in characters. */
export const BLOCK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  contextElements: 10,
  buttonText: 75,
  placeholder: 150,
  optionText: 75,
} as const;

/** A header: plain text, shown as written (`:shortcodes:` too, since headers carry lead names; Unicode emoji show as they are). */
export function headerBlock(text: string): types.HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: clipPlain(text, BLOCK_LIMITS.headerText), emoji: false } };
}

/**
 * A section of plain text, for text that must show exactly as typed (a lead's name, company,
 * message): Slack applies no markup, mentions or `:shortcodes:` to it.
 */
export function plainSectionBlock(text: string): types.SectionBlock {
  return { type: 'section', text: { type: 'plain_text', text: clipPlain(text, BLOCK_LIMITS.sectionText), emoji: false } };
}

/**
 * A mrkdwn section. Renderers bound each piece of lead text, so this cut is a last resort; it drops
 * whole lines, so that a mention, link or `<!date>` is never cut in half.
 */
export function sectionBlock(mrkdwn: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clipLines(mrkdwn, BLOCK_LIMITS.sectionText) } };
}

/** Small grey text: at most 10 elements, each a mrkdwn line. */
export function contextBlock(mrkdwnParts: string[]): types.ContextBlock {
  return {
    type: 'context',
    elements: mrkdwnParts.slice(0, BLOCK_LIMITS.contextElements).map((text) => ({ type: 'mrkdwn', text: clipLines(text, BLOCK_LIMITS.sectionText) })),
  };
}

export function dividerBlock(): types.DividerBlock {
  return { type: 'divider' };
}

export function buttonElement(options: { actionId: string; text: string; value: string; style?: 'primary' | 'danger' }): types.Button {
  return {
    type: 'button',
    action_id: options.actionId,
    text: { type: 'plain_text', text: clipPlain(options.text, BLOCK_LIMITS.buttonText), emoji: true },
    value: options.value,
    ...(options.style ? { style: options.style } : {}),
  };
}

export function usersSelectElement(options: { actionId: string; placeholder: string }): types.UsersSelect {
  return {
    type: 'users_select',
    action_id: options.actionId,
    placeholder: { type: 'plain_text', text: clipPlain(options.placeholder, BLOCK_LIMITS.placeholder), emoji: true },
  };
}

export function staticSelectElement(options: { actionId: string; placeholder: string; options: { text: string; value: string }[] }): types.StaticSelect {
  return {
    type: 'static_select',
    action_id: options.actionId,
    placeholder: { type: 'plain_text', text: clipPlain(options.placeholder, BLOCK_LIMITS.placeholder), emoji: true },
    options: options.options.map((o) => ({ text: { type: 'plain_text', text: clipPlain(o.text, BLOCK_LIMITS.optionText), emoji: true }, value: o.value })),
  };
}

export function actionsBlock(elements: types.ActionsBlockElement[], blockId?: string): types.ActionsBlock {
  return { type: 'actions', ...(blockId === undefined ? {} : { block_id: blockId }), elements };
}

/** `text` if it fits in `max`, else its first lines that fit followed by `…`. */
function clipLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split('\n');
  let out = '';
  for (const line of lines) {
    const next = out === '' ? line : `${out}\n${line}`;
    if (next.length > max - 2) break;
    out = next;
  }
  // A single line over the limit is lead text the renderer failed to bound: cut it rather than fail.
  return out === '' ? clipPlain(text, max) : `${out}\n…`;
}
