/**
 * What a lead is, and the one place that normalizes the keys leads are matched by.
 * Pure: no I/O.
 */

export const LEAD_SOURCES = ['form', 'linkedin', 'email', 'whatsapp', 'other'] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];

export const LEAD_STATES = ['received', 'offered', 'claimed', 'done', 'queued', 'escalated', 'in_sequence'] as const;
export type LeadState = (typeof LEAD_STATES)[number];

export interface LeadCompany {
  name?: string;
  domain?: string;
  employees?: number;
  industry?: string;
  country?: string;
  region?: string;
}

/** A lead as accepted by POST /leads, after validation and normalization. */
export interface Lead {
  external_id?: string;
  source: LeadSource;
  email?: string;
  linkedin_url?: string;
  name?: string;
  title?: string;
  phone?: string;
  company: LeadCompany;
  score?: number;
  owner?: string;
  team?: string;
  crm_url?: string;
  message?: string;
  fields: Record<string, string | number | boolean>;
}

/** The keys a lead is deduplicated by. */
export interface LeadKeys {
  emailKey: string | null;
  linkedinKey: string | null;
}

/** `L-17` for lead 17. */
export function leadRef(id: number): string {
  return `L-${id}`;
}

/** Reads `L-17` (any case, surrounding spaces allowed) back to 17; null when it is not a lead reference. */
export function parseLeadRef(text: string): number | null {
  const match = /^\s*L-(\d{1,15})\s*$/i.exec(text);
  if (!match) return null;
  const id = Number(match[1]);
  return id > 0 ? id : null;
}

/** Lower-case and trimmed: `" Jane.Doe@Acme.com "` → `jane.doe@acme.com`. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * A LinkedIn profile URL reduced to what identifies it: no scheme, no `www.`, no query or fragment,
 * no trailing slash, lower-case. `HTTPS://www.LinkedIn.com/in/JaneDoe/?utm=x` → `linkedin.com/in/janedoe`.
 */
export function normalizeLinkedInUrl(url: string): string {
  return url
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[?#].*$/, '')
    .replace(/^www\./, '')
    .replace(/\/+$/, '');
}

/** The host of a LinkedIn URL given with or without a scheme, or null when it is not one. */
export function linkedInHost(url: string): string | null {
  const host = normalizeLinkedInUrl(url).split('/')[0] ?? '';
  return host === 'linkedin.com' || host.endsWith('.linkedin.com') ? host : null;
}

/** `jane@Acme.com` → `acme.com`; null when there is no domain part. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 0) return null;
  const domain = normalizeDomain(email.slice(at + 1));
  return domain === '' ? null : domain;
}

/** `https://www.Acme.com/about` or `Acme.com.` → `acme.com`. */
export function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[/?#].*$/, '')
    .replace(/^www\./, '')
    .replace(/\.$/, '');
}

/** Consumer mail providers: their domain says nothing about the lead's company. */
const FREE_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'ymail.com', 'rocketmail.com',
  'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'outlook.com', 'outlook.de', 'live.com', 'live.co.uk',
  'msn.com', 'aol.com', 'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.com',
  'gmx.de', 'gmx.net', 'web.de', 't-online.de', 'mail.com', 'email.com', 'yandex.com', 'yandex.ru', 'mail.ru',
  'zoho.com', 'zohomail.com', 'qq.com', '163.com', '126.com', 'naver.com', 'hey.com', 'fastmail.com', 'tutanota.com',
  'orange.fr', 'free.fr', 'laposte.net', 'libero.it', 'seznam.cz', 'wp.pl', 'o2.pl', 'rediffmail.com',
]);

export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL_DOMAINS.has(normalizeDomain(domain));
}

/** The dedupe keys of a lead. */
export function leadKeys(lead: Pick<Lead, 'email' | 'linkedin_url'>): LeadKeys {
  return {
    emailKey: lead.email ? normalizeEmail(lead.email) : null,
    linkedinKey: lead.linkedin_url ? normalizeLinkedInUrl(lead.linkedin_url) : null,
  };
}

/**
 * The company domain a lead is matched to accounts by: the given `company.domain`, else the e-mail's
 * domain unless it is a free-mail provider.
 */
export function leadDomain(lead: Pick<Lead, 'email' | 'company'>): string | null {
  if (lead.company.domain) return normalizeDomain(lead.company.domain);
  const fromEmail = lead.email ? emailDomain(lead.email) : null;
  return fromEmail && !isFreeMailDomain(fromEmail) ? fromEmail : null;
}
