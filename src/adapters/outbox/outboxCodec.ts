/**
 * What every outbox store (SQLite, PostgreSQL) shares about rows: how an effect is stored (`kind`,
 * `method`, the payload's fields) and read back, and when a click's response_url may still be used.
 * One place, so both stores write and read the same rows (a move from SQLite to PostgreSQL copies
 * them as they are).
 */
import { RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_USES, type StoredResponseUrl } from '../../app/ports.ts';
import { EFFECT_TYPES, type Effect } from '../../domain/effects.ts';

/** leadrelay stops using a response_url a minute short of Slack's 30: the click reached it after Slack made the URL. */
export const RESPONSE_URL_MARGIN_MS = 60_000;

/** The stored response_url, if Slack still takes a post on it at `now` (fewer than 5 uses, not 29 minutes old); else null. */
export function usableResponseUrl(row: StoredResponseUrl | null | undefined, now: number): StoredResponseUrl | null {
  if (!row) return null;
  return row.uses < RESPONSE_URL_USES && now - row.receivedAt < RESPONSE_URL_LIFETIME_MS - RESPONSE_URL_MARGIN_MS ? row : null;
}

/** An effect as an outbox row stores it; `payload` is the JSON text of `fields`. */
export interface EncodedEffect {
  kind: 'card' | 'webhook';
  method: string;
  payload: string;
}

/**
 * An effect as an outbox row stores it: `kind` `card` (one of leadrelay's own messages, rendered at
 * delivery) or `webhook`; `method` the effect's type (a webhook's: its event); `payload` the rest.
 * The format of the rows written before effects were one union, so they are still read.
 */
export function encodeEffect(effect: Effect): EncodedEffect {
  switch (effect.type) {
    case 'webhook':
      return { kind: 'webhook', method: effect.event, payload: JSON.stringify({ url: effect.url, body: effect.body }) };
    case 'sequence_note':
      return { kind: 'card', method: 'post_message', payload: JSON.stringify({ channel: effect.channel, sequenceNote: { sequenceId: effect.sequenceId, rule: effect.rule } }) };
    default:
      // The stored fields are the effect's own (its type included, as rows have always held it).
      return { kind: 'card', method: effect.type, payload: JSON.stringify(effect) };
  }
}

/**
 * A stored row back as the effect it was written from; null for a row no effect type describes.
 * `payload`: the stored JSON text (SQLite), or its value already parsed (PostgreSQL's json column).
 */
export function decodeEffect(kind: string, method: string, payload: string | Record<string, unknown>): Effect | null {
  const fields = typeof payload === 'string' ? (JSON.parse(payload) as Record<string, unknown>) : payload;
  if (kind === 'webhook') return { ...(fields as { url: string; body: unknown }), type: 'webhook', event: method as Extract<Effect, { type: 'webhook' }>['event'] };
  if (method === 'post_message' && typeof fields.sequenceNote === 'object' && fields.sequenceNote !== null) {
    const note = fields.sequenceNote as { sequenceId: string; rule: string };
    return { type: 'sequence_note', channel: String(fields.channel), sequenceId: note.sequenceId, rule: note.rule };
  }
  if (kind !== 'card' || !(EFFECT_TYPES as readonly string[]).includes(method)) return null;
  // Written by `encodeEffect` from an effect of this type (the stored fields are the effect's own).
  return { ...fields, type: method } as Effect;
}

/** Why a row no effect describes is given up on at once (it cannot be delivered; a retry would not help). */
export function unknownEffectError(kind: string, method: string): string {
  return `not an effect leadrelay knows: ${kind} ${method}`;
}
