/**
 * The signing secret of each lead source (SPEC 2b): read at start-up from the environment variable
 * its `secret_env` names. A variable that is not set stops start-up with a message naming it, the
 * source and where the provider shows the secret; the sandbox generates the missing ones instead
 * (as it does LEADRELAY_WEBHOOK_SECRET). A `generic` source without `secret_env` uses
 * LEADRELAY_WEBHOOK_SECRET, like POST /leads.
 */
import { randomBytes } from 'node:crypto';
import type { LeadSourceConfig, SourcePresetName } from '../../config/schema.ts';

/** Where the person finds the secret to put in the variable. */
const WHERE: Record<SourcePresetName, string> = {
  typeform: 'the secret you set on the webhook (Typeform: your form → Connect → Webhooks → Edit → Secret)',
  hubspot: "your HubSpot app's client secret (HubSpot developer account → Apps → your app → Auth → Client secret)",
  calendly: 'the signing_key you gave when creating the webhook subscription (POST /webhook_subscriptions)',
  generic: 'the shared secret your Zap, scenario or flow sends as "Authorization: Bearer <secret>"',
};

export type SourceSecrets = { ok: true; secrets: Record<string, string>; generated: string[] } | { ok: false; errors: string[] };

/** An empty variable (`FOO=` in a .env file) counts as unset, as everywhere in leadrelay's environment. */
const valueOf = (env: NodeJS.ProcessEnv, name: string) => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/**
 * Each source id → its secret. `generate` (sandbox mode) makes up a random secret for a variable that
 * is not set and lists its name in `generated`; otherwise every missing variable is an error.
 */
export function resolveSourceSecrets(sources: readonly LeadSourceConfig[], env: NodeJS.ProcessEnv, options: { webhookSecret?: string | undefined; generate?: boolean } = {}): SourceSecrets {
  const secrets: Record<string, string> = {};
  const generated: string[] = [];
  const errors: string[] = [];
  // Sources sharing a variable share the generated secret too.
  const made = new Map<string, string>();
  for (const source of sources) {
    if (source.secret_env === undefined) {
      if (options.webhookSecret !== undefined) secrets[source.id] = options.webhookSecret;
      continue;
    }
    const name = source.secret_env;
    let value = valueOf(env, name) ?? made.get(name);
    if (value === undefined && options.generate) {
      value = randomBytes(18).toString('base64url');
      made.set(name, value);
      generated.push(name);
    }
    if (value === undefined) {
      errors.push(`${name} is not set: source "${source.id}" (preset ${source.preset}) checks every request to /hooks/${source.id} with it; set it to ${WHERE[source.preset]}`);
      continue;
    }
    secrets[source.id] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, secrets, generated };
}
