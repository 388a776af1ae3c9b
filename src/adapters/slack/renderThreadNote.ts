/** Notes posted in a card's thread: short, text only, so they read well as replies and notifications. Pure. */
import type { Lead, LeadSource } from '../../domain/lead.ts';
import type { SlackText } from './renderBlocks.ts';
import { leadSummary, sourceName } from './renderLeadSection.ts';
import { clipPlain, escapeClip, slackDate } from './slackFormat.ts';

/** Slack's hard limit for a message's text is 40,000 characters; a note never needs a tenth of it. */
const MAX_NOTE = 4000;

/** A note for a card's thread. `mrkdwn` is already formatted (escape any lead text in it). */
export function renderThreadNote(mrkdwn: string): SlackText {
  return { text: clipPlain(mrkdwn.trim(), MAX_NOTE) };
}

/** "👀 Seen again via LinkedIn at <!date^…|…>": a duplicate of this lead arrived. */
export function renderSeenAgain(source: LeadSource, now: number): SlackText {
  return renderThreadNote(`👀 Seen again via ${sourceName(source)} at ${slackDate(now)}`);
}

/** "L-17 (Jane Doe, Acme) went to sequence *nurture* — rule “Cold lead”.": the note in a sequence's channel. */
export function renderSequenceNote(model: { ref: string; lead: Lead; domain: string | null; sequenceId: string; rule: string }): SlackText {
  const who = model.lead.name || model.lead.company.name || model.domain ? ` (${leadSummary(model.lead, model.domain)})` : '';
  return renderThreadNote(`${model.ref}${who} went to sequence *${escapeClip(model.sequenceId, 100)}* — rule “${escapeClip(model.rule, 200)}”.`);
}
