/**
 * The argument syntax of the slash commands, so that listeners only check permissions,
 * load and store. Pure. Command text arrives with `should_escape: true`: users as `<@U0BOB|bob>`
 * (or `<@U0BOB>`), channels as `<#C123|name>`, links as `<https://acme.com|acme.com>`.
 *
 * Errors name the offending token and what was expected, in one short sentence; the listener adds
 * the command's usage line (COMMAND_USAGE) after it. Whether a lead or a person exists is not a
 * question of syntax: the caller checks that and names unknown ones itself.
 */

import { normalizeDomain, parseLeadRef } from '../lead.ts';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** A token longer than this is quoted cut short in an error: the point is to show which one, not to echo an essay. */
const MAX_QUOTED = 60;

/** `"token"` for an error message, cut to a readable length. */
export function quoteArg(token: string): string {
  return `"${token.length > MAX_QUOTED ? `${token.slice(0, MAX_QUOTED - 1)}…` : token}"`;
}

/** A Slack `<…>` entity, even one containing spaces, or a run of other non-space text. */
const TOKEN = /<[^<>]*>|[^\s<]+|</g;

/** One token and where it is in the text (`end` is exclusive), for arguments that take "the rest". */
export interface TokenSpan {
  text: string;
  start: number;
  end: number;
}

/** `tokenize` with positions. */
export function tokenSpans(text: string): TokenSpan[] {
  return [...text.matchAll(TOKEN)].map((match) => ({ text: match[0], start: match.index, end: match.index + match[0].length }));
}

/**
 * Splits command text on whitespace, keeping each Slack `<…>` entity whole and on its own even when
 * it touches other text: `"<@U0BOB|Bob Smith>  2h"` → `['<@U0BOB|Bob Smith>', '2h']`.
 */
export function tokenize(text: string): string[] {
  return tokenSpans(text).map((span) => span.text);
}

const USER_MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$/;

/** `<@U0BOB|bob>` or `<@U0BOB>` → `U0BOB`; null for anything else (a plain `@bob`, a channel, a user group). */
export function parseUserMention(token: string): string | null {
  return USER_MENTION.exec(token.trim())?.[1] ?? null;
}

/**
 * The user a token mentions, or an error that says why it is not one: typed `@bob` that Slack did
 * not turn into a mention (no such member, or not picked from the suggestions), a user group, a channel.
 */
export function parseUserArg(token: string): ParseResult<string> {
  const userId = parseUserMention(token);
  if (userId !== null) return { ok: true, value: userId };
  const trimmed = token.trim();
  const label = /^<[^|>]*\|([^>]*)>$/.exec(trimmed)?.[1] ?? trimmed;
  if (/^<!subteam\^/i.test(trimmed)) return { ok: false, error: `${quoteArg(label)} is a user group: name one person with @.` };
  if (/^<!/.test(trimmed)) return { ok: false, error: `${quoteArg(label)} is not a person: name one with @.` };
  if (/^<#/.test(trimmed)) return { ok: false, error: `${quoteArg(`#${label}`)} is a channel: name a person with @.` };
  if (trimmed.startsWith('@')) {
    return { ok: false, error: `${quoteArg(trimmed)} is not someone Slack recognises: pick the person from the @ suggestions.` };
  }
  return { ok: false, error: `${quoteArg(trimmed)} is not a person: name one with @.` };
}

/** A host name: dot-separated labels of letters, digits and inner hyphens, ending in a top-level domain that starts with a letter (`xn--p1ai` included). */
const DOMAIN = /^(?=.{1,253}$)(?:(?!-)[\p{L}\p{N}-]{1,63}(?<!-)\.)+\p{L}[\p{L}\p{N}-]*[\p{L}\p{N}]$/u;

/**
 * A company domain as normalized everywhere else (`normalizeDomain`), from a token as typed or as
 * Slack linked it: `Acme.com`, `www.acme.com`, `<http://acme.com|acme.com>`, `<https://acme.com/about>`
 * → `acme.com`. Null when it is not a domain (`acme`, `L-17`, an IP address, an e-mail address).
 */
export function parseDomainArg(token: string): string | null {
  const trimmed = token.trim();
  const link = /^<([^|<>]*)(?:\|[^<>]*)?>$/.exec(trimmed);
  const raw = link ? (link[1] ?? '') : trimmed;
  if (!/^(?:https?:\/\/)?[^\s:/@]+(?:[/?#].*)?$/i.test(raw)) return null;
  const domain = normalizeDomain(raw);
  return DOMAIN.test(domain) ? domain : null;
}

/** The lead id a token names, or an error naming it (with the likely intended form for `L17` or `17`). */
function parseLeadArg(token: string): ParseResult<number> {
  const id = parseLeadRef(token);
  if (id !== null) return { ok: true, value: id };
  const digits = /^(?:l?[-#]?)(\d{1,15})$/i.exec(token)?.[1];
  const hint = digits !== undefined && Number(digits) > 0 ? ` (did you mean L-${Number(digits)}?)` : ', like L-17';
  return { ok: false, error: `${quoteArg(token)} is not a lead reference${hint}.` };
}

function unexpected(token: string, after: string): { ok: false; error: string } {
  return { ok: false, error: `Unexpected ${quoteArg(token)} after ${quoteArg(after)}.` };
}

function isHelp(tokens: readonly string[]): boolean {
  return tokens.length === 1 && tokens[0]?.toLowerCase() === 'help';
}

/** What `/leads …` asks for. */
export type LeadsArgs =
  | { kind: 'help' }
  /** `/leads`: my pending offers and open leads. */
  | { kind: 'mine' }
  | { kind: 'show'; leadId: number }
  | { kind: 'done'; leadId: number }
  | { kind: 'team' }
  | { kind: 'stats' };

/** `/leads`, `/leads help`, `/leads L-17`, `/leads done L-17`, `/leads team`, `/leads stats`; words in any case. */
export function parseLeadsArgs(text: string): ParseResult<LeadsArgs> {
  const tokens = tokenize(text);
  const [first, second, third] = tokens;
  if (first === undefined) return { ok: true, value: { kind: 'mine' } };
  const word = first.toLowerCase();
  if (word === 'help' || word === 'team' || word === 'stats') {
    return second === undefined ? { ok: true, value: { kind: word } } : unexpected(second, first);
  }
  if (word === 'done') {
    if (second === undefined) return { ok: false, error: '`/leads done` needs a lead reference, like `/leads done L-17`.' };
    const lead = parseLeadArg(second);
    if (!lead.ok) return lead;
    return third === undefined ? { ok: true, value: { kind: 'done', leadId: lead.value } } : unexpected(third, second);
  }
  if (parseLeadRef(first) !== null || /^l?[-#]?\d+$/i.test(first)) {
    const lead = parseLeadArg(first);
    if (!lead.ok) return lead;
    return second === undefined ? { ok: true, value: { kind: 'show', leadId: lead.value } } : unexpected(second, first);
  }
  return { ok: false, error: `I don't understand ${quoteArg(first)}.` };
}

/** What `/reassign …` asks for. */
export type ReassignArgs =
  | { kind: 'help' }
  /** `reason` is the rest of the text as typed (Slack-escaped), or null when none was given. */
  | { kind: 'reassign'; leadId: number; to: string; reason: string | null };

/**
 * `/reassign L-17 @rep [reason…]`; the lead and the rep may come in either order. The reason is
 * everything after them, kept as typed.
 */
export function parseReassignArgs(text: string): ParseResult<ReassignArgs> {
  const spans = tokenSpans(text);
  const [first, second] = spans;
  if (first === undefined || isHelp(spans.map((span) => span.text))) return { ok: true, value: { kind: 'help' } };
  const swapped = parseUserMention(first.text) !== null && second !== undefined;
  const [leadSpan, userSpan] = swapped ? [second, first] : [first, second];
  const lead = parseLeadArg(leadSpan.text);
  if (!lead.ok) return lead;
  if (userSpan === undefined) return { ok: false, error: `Who should get ${quoteArg(leadSpan.text)}? Add the rep, like \`/reassign ${leadSpan.text} @bob\`.` };
  const user = parseUserArg(userSpan.text);
  if (!user.ok) return user;
  const reason = text.slice(second?.end ?? text.length).trim();
  return { ok: true, value: { kind: 'reassign', leadId: lead.value, to: user.value, reason: reason === '' ? null : reason } };
}

/** What `/owner …` asks for. */
export type OwnerArgs =
  | { kind: 'help' }
  | { kind: 'show'; domain: string }
  | { kind: 'set'; domain: string; owner: string }
  | { kind: 'clear'; domain: string };

/** `/owner acme.com` (show), `/owner acme.com @rep` (set; `/owner @rep acme.com` too), `/owner acme.com none` (clear). */
export function parseOwnerArgs(text: string): ParseResult<OwnerArgs> {
  const tokens = tokenize(text);
  if (tokens.length === 0 || isHelp(tokens)) return { ok: true, value: { kind: 'help' } };
  const [first = '', second, third] = tokens;
  const swapped = parseUserMention(first) !== null && second !== undefined;
  const [domainToken, ownerToken] = swapped ? [second, first] : [first, second];
  const domain = parseDomainArg(domainToken);
  if (domain === null) return { ok: false, error: `${quoteArg(domainToken)} is not a domain, like acme.com.` };
  if (third !== undefined) return unexpected(third, second ?? first);
  if (ownerToken === undefined) return { ok: true, value: { kind: 'show', domain } };
  if (ownerToken.toLowerCase() === 'none') return { ok: true, value: { kind: 'clear', domain } };
  const owner = parseUserArg(ownerToken);
  if (!owner.ok) return { ok: false, error: `${owner.error} Or use \`none\` to clear the owner.` };
  return { ok: true, value: { kind: 'set', domain, owner: owner.value } };
}
