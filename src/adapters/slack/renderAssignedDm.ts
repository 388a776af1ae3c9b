/** The DM a rep gets when a manager assigns them a lead. Pure. */
import type { Lead } from '../../domain/lead.ts';
import { contextBlock, headerBlock, sectionBlock, type SlackMessage } from './renderBlocks.ts';
import { leadDisplayName, leadSummary, renderLeadSection } from './renderLeadSection.ts';
import { escapeClip, mention, slackDate } from './slackFormat.ts';

export interface AssignedDmModel {
  /** `L-17` */
  ref: string;
  lead: Lead;
  domain: string | null;
  /** The manager (or previous owner) who assigned it. */
  assignedBy: string;
  /** Why, in their words (e.g. a /reassign reason); shown escaped. */
  why?: string;
}

/** "📌 <@MGR> assigned you L-17", then the lead as on an offer card. The lead is already the rep's: no buttons. */
export function renderAssignedDm(model: AssignedDmModel, now: number): SlackMessage {
  const { ref, lead, domain } = model;
  const lines = [`📌 ${mention(model.assignedBy)} assigned you *${ref}*. It's yours now: reach out while it's warm.`];
  const why = model.why?.trim();
  if (why) lines.push(`*Why:* ${escapeClip(why, 500)}`);
  return {
    text: `📌 ${mention(model.assignedBy)} assigned you ${ref}: ${leadSummary(lead, domain)}`,
    blocks: [
      headerBlock(`Assigned to you: ${ref} · ${leadDisplayName(lead, domain)}`),
      sectionBlock(lines.join('\n')),
      ...renderLeadSection(lead, domain),
      contextBlock([`Assigned ${slackDate(now)}`]),
    ],
  };
}
