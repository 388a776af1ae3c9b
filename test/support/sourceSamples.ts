/** The providers' documented webhook payloads (examples/sources/), the fixtures of the lead source tests. */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/loadConfig.ts';
import type { LeadSourceConfig } from '../../src/config/schema.ts';

const FILES = {
  typeform: 'typeform-form-response.json',
  hubspot: 'hubspot-contact.json',
  calendly: 'calendly-invitee-created.json',
} as const;

/**
 * A provider payload as tests read and change it, deep inside (`payload.form_response.answers[7]`).
 * Typing every provider's payload would only repeat their documentation.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Payload = Record<string, any>;

/** The documented sample as its text (what the provider sends and signs). */
export function sampleText(provider: keyof typeof FILES): string {
  return readFileSync(new URL(`../../examples/sources/${FILES[provider]}`, import.meta.url), 'utf8');
}

/** The documented sample, parsed: a fresh copy to change. */
export function sample(provider: keyof typeof FILES): Payload {
  return JSON.parse(sampleText(provider)) as Payload;
}

/** A source as leadrelay.yml would declare it (validated by the config schema), from its YAML flow mapping. */
export function sourceConfig(yaml: string): LeadSourceConfig {
  const result = parseConfig(`reps: [{ id: U0ALICE }]\nteams: [{ id: sdr, manager: U0ALICE, members: [U0ALICE] }]\nfallback: { team: sdr }\nsources:\n  - ${yaml}\n`, 'test.yml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const [source] = result.config.sources;
  if (!source) throw new Error('no source');
  return source;
}
