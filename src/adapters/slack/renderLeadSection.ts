/**
 * The one rendering of "who is this lead" that every lead message shares (offer card, escalation,
 * assignment DM), plus the words for a lead used in headers and notification fallbacks. Pure.
 *
 * Every piece of lead text is escaped and bounded here, so a lead can never inject a mention
 * (`<!channel>`) or push a block past Slack's limits.
 */
import type { Lead, LeadSource } from '../../domain/lead.ts';
import { sectionBlock, type Block } from './renderBlocks.ts';
import { clipPlain, escapeClip, formatCount, slackLink } from './slackFormat.ts';

const SOURCE_NAMES: Record<LeadSource, string> = {
  form: 'web form',
  linkedin: 'LinkedIn',
  email: 'email',
  whatsapp: 'WhatsApp',
  other: 'another source',
};

/** How a lead came in, after "via": `LinkedIn`, `web form`, `another source`. */
export function sourceName(source: LeadSource): string {
  return SOURCE_NAMES[source];
}

/** `1,200 employees`, `1 employee`. */
export function employeesWords(employees: number): string {
  return `${formatCount(employees)} ${employees === 1 ? 'employee' : 'employees'}`;
}

/** The longest message excerpt on a card, in characters. */
export const MESSAGE_EXCERPT_MAX = 280;

/**
 * The lead's message on one line (whitespace collapsed), at most 280 characters, cut at a word
 * boundary when one is near, ending in `…` when cut. Not escaped.
 */
export function messageExcerpt(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  if (flat.length <= MESSAGE_EXCERPT_MAX) return flat;
  const cut = clipPlain(flat, MESSAGE_EXCERPT_MAX).slice(0, -1);
  const space = cut.lastIndexOf(' ');
  return `${(space > MESSAGE_EXCERPT_MAX - 60 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The name people know the lead by, plain text (not escaped): name, else e-mail, company, or domain. */
export function leadDisplayName(lead: Lead, domain: string | null): string {
  return firstText(lead.name, lead.email, lead.company.name, domain, lead.linkedin_url) ?? 'Unnamed lead';
}

/**
 * `Jane Doe, Acme`: the lead in a few words for notification fallbacks, escaped mrkdwn. Falls back to
 * the e-mail or domain when the name or company is missing.
 */
export function leadSummary(lead: Lead, domain: string | null): string {
  const name = firstText(lead.name, lead.email, lead.linkedin_url);
  const company = firstText(lead.company.name, domain);
  const parts = [name, company].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? 'Unnamed lead' : parts.map((part) => escapeClip(part, 80)).join(', ');
}

/**
 * The lead section: who (name, title), the company (name, domain, size, industry, country), how to
 * reach them, where the lead came from and its score, the message excerpt as a quote, and the CRM
 * link. Every renderer that shows a lead uses this, so a lead looks the same everywhere.
 */
export function renderLeadSection(lead: Lead, domain: string | null): Block[] {
  const lines: string[] = [];

  const name = firstText(lead.name);
  const title = firstText(lead.title);
  const who = name ? `*${escapeClip(name, 150)}*` : '_Name not given_';
  lines.push(title ? `${who}, ${escapeClip(title, 150)}` : who);

  const companyName = firstText(lead.company.name);
  const companyDomain = firstText(domain ?? undefined, lead.company.domain);
  const company = [
    companyName ?? companyDomain,
    companyName && companyDomain && companyDomain.toLowerCase() !== companyName.toLowerCase() ? `(${companyDomain})` : undefined,
  ]
    .filter((part): part is string => part !== undefined)
    .map((part) => escapeClip(part, 150))
    .join(' ');
  const companyFacts = [
    company || undefined,
    lead.company.employees !== undefined ? employeesWords(lead.company.employees) : undefined,
    bounded(lead.company.industry, 100),
    bounded(lead.company.country, 60),
  ].filter((part): part is string => part !== undefined);
  if (companyFacts.length > 0) lines.push(companyFacts.join(' · '));

  const contact = [
    bounded(lead.email, 260),
    bounded(lead.phone, 60),
    lead.linkedin_url ? linkedInLink(lead.linkedin_url) : undefined,
  ].filter((part): part is string => part !== undefined);
  if (contact.length > 0) lines.push(contact.join(' · '));

  lines.push(`via ${sourceName(lead.source)}${lead.score === undefined ? '' : ` · score *${lead.score}*`}`);

  const crm = lead.crm_url ? slackLink(lead.crm_url, 'Open in CRM') : null;
  if (crm) lines.push(crm);

  const blocks: Block[] = [sectionBlock(lines.join('\n'))];
  const excerpt = lead.message ? messageExcerpt(lead.message) : '';
  if (excerpt !== '') blocks.push(sectionBlock(`> ${escapeClip(excerpt, 2000)}`));
  return blocks;
}

/** A link to the LinkedIn profile, given with or without a scheme; the bare text when it is no URL. */
function linkedInLink(url: string): string | undefined {
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  return slackLink(withScheme, 'LinkedIn profile') ?? escapeClip(trimmed, 200);
}

/** The value escaped and bounded to `max` characters; undefined when it has no visible text. */
function bounded(value: string | undefined, max: number): string | undefined {
  const text = firstText(value);
  return text === undefined ? undefined : escapeClip(text, max);
}

/** The first value that has visible text, trimmed. */
function firstText(...values: (string | undefined | null)[]): string | undefined {
  for (const value of values) {
    const trimmed = value?.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}
