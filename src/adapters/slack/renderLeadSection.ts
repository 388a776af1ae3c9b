/**
 * The one rendering of "who is this lead" that every lead message shares (offer card, escalation,
 * assignment DM), plus the words for a lead used in headers and notification fallbacks. Pure.
 *
 * Every piece of lead text is put in plain_text (or, in mrkdwn, escaped), stripped of bidi controls
 * and bounded here, so a lead can never restyle a card, inject a mention (`<!channel>`), disguise a
 * file name, or push a block past Slack's limits.
 */
import type { Lead, LeadSource } from '../../domain/lead.ts';
import { plainSectionBlock, sectionBlock, type Block } from './renderBlocks.ts';
import { clipPlain, escapeLeadText, formatCount, plainLeadText, slackLink, stripBidiControls } from './slackFormat.ts';

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
 * `Jane Doe, Acme`: the lead in a few words for mrkdwn text (lists, notification fallbacks), the
 * lead text escaped so it shows as typed (see escapeLeadText). Falls back to the e-mail or domain
 * when the name or company is missing.
 */
export function leadSummary(lead: Lead, domain: string | null): string {
  const name = firstText(lead.name, lead.email, lead.linkedin_url);
  const company = firstText(lead.company.name, domain);
  const parts = [name, company].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? 'Unnamed lead' : parts.map((part) => escapeLeadText(part, 80)).join(', ');
}

/**
 * The lead section: who (name, title), the company (name, domain, size, industry, country), how to
 * reach them, where the lead came from and its score, the message excerpt, and the CRM link. Every
 * renderer that shows a lead uses this, so a lead looks the same everywhere.
 *
 * Everything the lead's source wrote is in plain_text sections, so that `*`, `_`, `~`, backticks,
 * `<!channel>` or `:shortcodes:` in a name or message show as typed and never restyle the card; the
 * mrkdwn line holds only leadrelay's own words and links (whose URLs are checked by slackLink).
 */
export function renderLeadSection(lead: Lead, domain: string | null): Block[] {
  const lines: string[] = [];

  const name = firstText(lead.name);
  const title = firstText(lead.title);
  const who = name ? plainLeadText(name, 150) : 'Name not given';
  lines.push(title ? `${who}, ${plainLeadText(title, 150)}` : who);

  const companyName = firstText(lead.company.name);
  const companyDomain = firstText(domain ?? undefined, lead.company.domain);
  const company = [
    companyName ?? companyDomain,
    companyName && companyDomain && companyDomain.toLowerCase() !== companyName.toLowerCase() ? `(${companyDomain})` : undefined,
  ]
    .filter((part): part is string => part !== undefined)
    .map((part) => plainLeadText(part, 150))
    .join(' ');
  const companyFacts = [
    company || undefined,
    lead.company.employees !== undefined ? employeesWords(lead.company.employees) : undefined,
    bounded(lead.company.industry, 100),
    bounded(lead.company.country, 60),
  ].filter((part): part is string => part !== undefined);
  if (companyFacts.length > 0) lines.push(companyFacts.join(' · '));

  const linkedIn = firstText(lead.linkedin_url);
  const linkedInLinked = linkedIn === undefined ? null : linkedInLink(linkedIn);
  const contact = [bounded(lead.email, 260), bounded(lead.phone, 60), linkedIn !== undefined && linkedInLinked === null ? bounded(linkedIn, 200) : undefined].filter(
    (part): part is string => part !== undefined,
  );
  if (contact.length > 0) lines.push(contact.join(' · '));

  const crm = lead.crm_url ? slackLink(stripBidiControls(lead.crm_url), 'Open in CRM') : null;
  const ours = [linkedInLinked, `via ${sourceName(lead.source)}${lead.score === undefined ? '' : ` · score *${lead.score}*`}`, crm].filter((part): part is string => part !== null);

  const blocks: Block[] = [plainSectionBlock(lines.join('\n')), sectionBlock(ours.join(' · '))];
  const excerpt = lead.message ? messageExcerpt(stripBidiControls(lead.message)) : '';
  if (excerpt !== '') blocks.push(plainSectionBlock(`“${excerpt}”`));
  return blocks;
}

/** A link to the LinkedIn profile, given with or without a scheme; null when it is no URL. */
function linkedInLink(url: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
  return slackLink(withScheme, 'LinkedIn profile');
}

/** The value as plain text bounded to `max` characters; undefined when it has no visible text. */
function bounded(value: string | undefined, max: number): string | undefined {
  const text = firstText(value);
  return text === undefined ? undefined : plainLeadText(text, max);
}

/** The first value that has visible text, trimmed, without bidi controls. */
function firstText(...values: (string | undefined | null)[]): string | undefined {
  for (const value of values) {
    const trimmed = value === undefined || value === null ? undefined : stripBidiControls(value).trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}
