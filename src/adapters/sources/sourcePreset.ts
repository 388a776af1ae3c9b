/**
 * What a lead source preset is: how `POST /hooks/<id>` checks that a request came from the
 * provider (a pure function of the request and the time), and how the provider's documented payload
 * becomes a lead (JSONata expressions, kept as data next to the check). The presets themselves are
 * typeformPreset.ts, hubspotPreset.ts, calendlyPreset.ts and genericPreset.ts.
 */

/** A request to /hooks/<id>, as the signature checks need it. */
export interface HookRequest {
  method: string;
  /**
   * The URL the provider called, for signatures that cover it (HubSpot v3): LEADRELAY_PUBLIC_URL,
   * else `http://` + the Host header, then the path and query as received.
   */
  url: string;
  /** A header's first value (names are case-insensitive). */
  header(name: string): string | undefined;
  /** The raw body: what every signature is computed over. */
  body: Buffer;
}

export type HookAuthFailure = 'missing' | 'bad_signature' | 'bad_timestamp' | 'stale_timestamp';

export type HookAuth = { ok: true } | { ok: false; reason: HookAuthFailure };

export interface SourcePreset {
  name: 'typeform' | 'hubspot' | 'calendly' | 'generic';
  /** The provider, as people call it ("Typeform"). */
  title: string;
  /** Whether the request carries the provider's credentials at all (checked before the body is read). */
  hasCredentials(header: (name: string) => string | undefined): boolean;
  /** The provider's own verification, over the raw body, with constant-time comparison. Pure: the caller passes `nowMs`. */
  verify(request: HookRequest, secret: string, nowMs: number): HookAuth;
  /** The headers the provider would send with `body`, signed with `secret` at `nowMs` (for tests and the sandbox's samples). */
  sign(secret: string, request: { method: string; url: string; body: string | Buffer; nowMs: number }): Record<string, string>;
  /** Body media types the provider sends (the first is what it normally sends). */
  mediaTypes: readonly string[];
  /**
   * Values the expressions share, computed once per payload in this order, e.g. Typeform's
   * `$answer` (the answers by their `ref`). `map` entries of a source may use them too.
   */
  bindings: readonly (readonly [name: string, expression: string])[];
  /** Lead path (`email`, `company.employees`, `fields` for an object of fields) → expression. */
  map: Readonly<Record<string, string>>;
  /**
   * Keys of the `fields` object that are the provider's generated ids rather than names a person
   * gave (Typeform's default question refs): left out of the lead's fields without a warning.
   */
  generatedFieldKeys?: RegExp;
  /**
   * When set, a payload for which `expression` is false is not a lead (a cancellation, a partial
   * response): it is answered 200 `ignored` and nothing is stored.
   */
  accepts?: { expression: string; otherwise: string };
}
