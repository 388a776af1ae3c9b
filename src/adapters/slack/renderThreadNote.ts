/** Notes posted in a card's thread: short, text only, so they read well as replies and notifications. Pure. */
import type { LeadSource } from '../../domain/lead.ts';
import type { SlackText } from './renderBlocks.ts';
import { sourceName } from './renderLeadSection.ts';
import { clipPlain, slackDate } from './slackFormat.ts';

/** Slack's hard limit for a message's text is 40,000 characters; a note never needs a tenth of it. */
const MAX_NOTE = 4000;

/** A note for a card's thread. `mrkdwn` is already formatted (escape any lead text in it). */
export function renderThreadNote(mrkdwn: string): SlackText {
  return { text: clipPlain(mrkdwn.trim(), MAX_NOTE) };
}

/** "👀 Seen again via LinkedIn at <!date^…|…>": a duplicate of this lead arrived (SPEC 6, Duplicates). */
export function renderSeenAgain(source: LeadSource, now: number): SlackText {
  return renderThreadNote(`👀 Seen again via ${sourceName(source)} at ${slackDate(now)}`);
}
