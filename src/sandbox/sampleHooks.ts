/**
 * The sandbox page's "Send a Typeform / HubSpot / Calendly sample" (SPEC 9, 2b): the provider's
 * documented payload (examples/sources/), made a new submission (a fresh submission id and e-mail,
 * so that a second click is a new lead rather than a duplicate), signed as the provider signs it and
 * POSTed to the bot's own /hooks/<id> over HTTP, so it takes exactly the path a real delivery takes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../adapters/packageRoot.ts';
import { SOURCE_PRESETS } from '../adapters/sources/sourcePresets.ts';
import type { LeadSourceConfig, SourcePresetName } from '../config/schema.ts';

/** The documented sample payload of each provider, as shipped in examples/sources/. */
export const SAMPLE_PAYLOAD_FILES: Readonly<Record<Exclude<SourcePresetName, 'generic'>, string>> = {
  typeform: 'typeform-form-response.json',
  hubspot: 'hubspot-contact.json',
  calendly: 'calendly-invitee-created.json',
};

export type SamplePreset = keyof typeof SAMPLE_PAYLOAD_FILES;

export const isSamplePreset = (preset: string): preset is SamplePreset => preset in SAMPLE_PAYLOAD_FILES;

/** The documented sample payload of a provider, parsed. */
export function samplePayload(preset: SamplePreset): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'examples', 'sources', SAMPLE_PAYLOAD_FILES[preset]), 'utf8')) as Record<string, unknown>;
}

/** `laura@example.com` → `laura+k3x9@example.com`. */
const tagged = (email: unknown, stamp: string) => (typeof email === 'string' && email.includes('@') ? email.replace('@', `+${stamp}@`) : email);

type Json = Record<string, unknown>;

/** The sample as a new submission: its own submission id and e-mail (see the module comment). */
export function freshSample(preset: SamplePreset, stamp: string): Json {
  const payload = samplePayload(preset);
  if (preset === 'typeform') {
    const response = payload.form_response as Json & { answers: Json[] };
    response.token = `${String(response.token)}${stamp}`;
    for (const answer of response.answers) if (answer.type === 'email') answer.email = tagged(answer.email, stamp);
  } else if (preset === 'hubspot') {
    payload.vid = Number(payload.vid) + Number.parseInt(stamp, 36);
    const email = (payload.properties as Record<string, Json>).email;
    if (email) email.value = tagged(email.value, stamp);
  } else {
    const invitee = payload.payload as Json;
    invitee.uri = `${String(invitee.uri)}${stamp}`;
    invitee.email = tagged(invitee.email, stamp);
  }
  return payload;
}

/** POSTs a fresh, signed sample to `baseUrl`/hooks/<source id>; resolves with the bot's answer. */
export async function sendSampleHook(
  source: LeadSourceConfig & { preset: SamplePreset },
  secret: string,
  options: { baseUrl: string; publicUrl?: string | undefined; nowMs: number; stamp: string },
): Promise<{ status: number; body: unknown }> {
  const path = `/hooks/${source.id}`;
  const body = JSON.stringify(freshSample(source.preset, options.stamp));
  // What the bot will take as the URL HubSpot called: LEADRELAY_PUBLIC_URL, else http:// + Host.
  const url = `${options.publicUrl ?? options.baseUrl}${path}`;
  const headers = SOURCE_PRESETS[source.preset].sign(secret, { method: 'POST', url, body, nowMs: options.nowMs });
  const response = await fetch(`${options.baseUrl}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  let answer: unknown = text;
  try {
    answer = JSON.parse(text);
  } catch {
    // not JSON: shown as text
  }
  return { status: response.status, body: answer };
}
