/**
 * What interactive elements carry back to us: the id of the thing clicked and its version, the
 * fencing token that makes a click on a stale card do nothing (docs/architecture.md, compare-and-set).
 * A prefix says what the id is, so one action id (`claim_lead`) can serve both an offer card and an
 * escalation. Pure.
 *
 * Parsers take whatever arrived in the payload and return null for anything that is not exactly
 * what the encoder makes (no leading zeros, no spaces, no other prefix): they never throw.
 */

import { PASS_REASONS, type PassReasonCode } from './slackIds.ts';

export interface OfferButtonValue {
  offerId: number;
  version: number;
}

export interface LeadVersionRef {
  leadId: number;
  version: number;
}

/** An id: a positive integer without leading zeros, at most 16 digits (then checked to be a safe integer). */
const ID = '([1-9]\\d{0,15})';
/** A version: 0 or a positive integer without leading zeros. */
const VERSION = '(0|[1-9]\\d{0,15})';

const OFFER_VALUE = new RegExp(`^offer:${ID}:${VERSION}$`);
const LEAD_VALUE = new RegExp(`^lead:${ID}:${VERSION}$`);
const ASSIGN_BLOCK_ID = new RegExp(`^assign:${ID}:${VERSION}$`);
const MESSAGE_VALUE = new RegExp(`^message:${ID}$`);

/** `offer:123:2`: the value of an offer card's `claim_lead` / `pass_lead` buttons. */
export function offerButtonValue(offerId: number, version: number): string {
  return `offer:${checkId(offerId)}:${checkVersion(version)}`;
}

/** `offer:123:2` → `{ offerId: 123, version: 2 }`; null for anything else. */
export function parseOfferButtonValue(text: unknown): OfferButtonValue | null {
  const parsed = parsePair(OFFER_VALUE, text);
  return parsed && { offerId: parsed[0], version: parsed[1] };
}

/**
 * `offer:123:2:territory`: an option of the card's "Pass with a reason…" select (action `pass_lead`):
 * the offer, its version and one of PASS_REASONS' codes.
 */
export function passReasonValue(offerId: number, version: number, reason: PassReasonCode): string {
  return `${offerButtonValue(offerId, version)}:${reason}`;
}

/** `offer:123:2:territory` → the offer and the reason's words; null for anything else (an unknown code too). */
export function parsePassReasonValue(text: unknown): (OfferButtonValue & { reason: string }) | null {
  if (typeof text !== 'string') return null;
  const cut = text.lastIndexOf(':');
  const offer = parseOfferButtonValue(text.slice(0, cut));
  const code = text.slice(cut + 1);
  if (!offer || !Object.hasOwn(PASS_REASONS, code)) return null;
  return { ...offer, reason: PASS_REASONS[code as PassReasonCode] };
}

/** `lead:17:5`: the value of an escalation's "Take it myself" (`claim_lead`) button. */
export function leadButtonValue(leadId: number, version: number): string {
  return `lead:${checkId(leadId)}:${checkVersion(version)}`;
}

/** `lead:17:5` → `{ leadId: 17, version: 5 }`; null for anything else. */
export function parseLeadButtonValue(text: unknown): LeadVersionRef | null {
  const parsed = parsePair(LEAD_VALUE, text);
  return parsed && { leadId: parsed[0], version: parsed[1] };
}

/**
 * `assign:17:5`: the block_id of an escalation's actions block. A users_select has no value, so its
 * block carries the lead and version; a new version also gives the re-rendered block a new block_id,
 * as Slack asks of updated messages.
 */
export function assignBlockId(leadId: number, version: number): string {
  return `assign:${checkId(leadId)}:${checkVersion(version)}`;
}

/** `assign:17:5` → `{ leadId: 17, version: 5 }`; null for anything else. */
export function parseAssignBlockId(text: unknown): LeadVersionRef | null {
  const parsed = parsePair(ASSIGN_BLOCK_ID, text);
  return parsed && { leadId: parsed[0], version: parsed[1] };
}

/** `message:17`: the value of a "Full message" button (no version: reading a lead's message changes nothing). */
export function leadMessageValue(leadId: number): string {
  return `message:${checkId(leadId)}`;
}

/** `message:17` → 17; null for anything else. */
export function parseLeadMessageValue(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const match = MESSAGE_VALUE.exec(text);
  const id = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(id) ? id : null;
}

function parsePair(pattern: RegExp, text: unknown): [number, number] | null {
  if (typeof text !== 'string') return null;
  const match = pattern.exec(text);
  if (!match) return null;
  const id = Number(match[1]);
  const version = Number(match[2]);
  return Number.isSafeInteger(id) && Number.isSafeInteger(version) ? [id, version] : null;
}

/** Encoding a bad id is a bug in the caller (ids come from the database), not an expected outcome. */
function checkId(id: number): number {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`expected a positive integer id, got ${id}`);
  return id;
}

function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`expected a non-negative integer version, got ${version}`);
  return version;
}
