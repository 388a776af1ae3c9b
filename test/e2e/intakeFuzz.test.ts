/**
 * The intake discipline under fuzzing: whatever arrives at POST /leads or
 * POST /hooks/<id> — garbage bytes, any JSON, the providers' documented samples with random parts
 * replaced or removed, forged signatures, odd paths — is never answered with a 5xx, and a request
 * that is not answered 2xx writes nothing (no lead, history, outbox row or idempotency key). The
 * bodies that get past authentication are signed correctly, so the mapping and validation behind
 * it are what is fuzzed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_PRESETS } from '../../src/adapters/sources/sourcePresets.ts';
import { describeEachStore, HARNESS_SOURCE_SECRET, HARNESS_WEBHOOK_SECRET, startHarness, useHarnessDatabases, type Harness } from '../support/botHarness.ts';
import { freshSample } from '../../src/sandbox/sampleHooks.ts';
import { sample } from '../support/sourceSamples.ts';

const CONFIG = `
timezone: UTC
escalation: { channel: C0ESCALATE }
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
teams:
  - { id: sdr, members: [U0ALICE, U0BOB] }
rules:
  - { name: Big, when: { company.employees: { gte: 1000 } }, route: { rep: U0ALICE } }
fallback: { team: sdr }
sources:
  - { id: survey, preset: typeform, secret_env: TYPEFORM_SECRET }
  - { id: crm, preset: hubspot, secret_env: HUBSPOT_CLIENT_SECRET }
  - { id: booking, preset: calendly, secret_env: CALENDLY_SIGNING_KEY, defaults: { team: sdr } }
  - id: zap
    preset: generic
    map: { email: email, name: name, score: score, company.employees: size, fields: extra, external_id: id, owner: owner }
`;

let harness: Harness;
/** How often each status was answered, per test: the fuzzing must reach past authentication and validation. */
let seen = new Map<number, number>();

useHarnessDatabases();

const counts = async () =>
  (await harness.sql.get(`SELECT (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM lead_history) AS history, (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM idempotency_keys) AS keys`)) as { leads: number; history: number; outbox: number; keys: number };

/** Posts, then checks the discipline: no 5xx, nothing written unless answered 2xx, at most one lead per 202. */
async function postAndCheck(path: string, headers: Record<string, string>, body: string | Uint8Array): Promise<number> {
  // The leads accepted before are routed after their answers: counted once that is done.
  await harness.bot.router.idle();
  const before = await counts();
  const response = await fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
  expect(response.status, `${path} answered ${response.status}: ${text}`).toBeLessThan(500);
  // Every answer is JSON, with a stable error code when it is not a 2xx.
  const answer = JSON.parse(text) as { error?: string; status?: string };
  const after = await counts();
  if (response.status === 202) {
    expect(after.leads).toBe(before.leads + 1);
  } else if (response.status === 200) {
    expect(answer.status === 'duplicate' || answer.status === 'ignored').toBe(true);
    expect(after.leads).toBe(before.leads);
    if (answer.status === 'ignored') expect(after).toEqual(before);
  } else {
    expect(typeof answer.error).toBe('string');
    expect(after).toEqual(before);
  }
  return response.status;
}

type Provider = 'typeform' | 'hubspot' | 'calendly';
const SOURCE_OF: Record<Provider | 'generic', string> = { typeform: 'survey', hubspot: 'crm', calendly: 'booking', generic: 'zap' };

/** Headers signed as the provider signs `body` for its source, now. */
function signed(provider: Provider | 'generic', body: string, contentType = 'application/json'): Record<string, string> {
  const secret = provider === 'generic' ? HARNESS_WEBHOOK_SECRET : HARNESS_SOURCE_SECRET;
  const url = `${harness.baseUrl}/hooks/${SOURCE_OF[provider]}`;
  return { ...SOURCE_PRESETS[provider].sign(secret, { method: 'POST', url, body, nowMs: harness.clock.now() }), 'content-type': contentType };
}

/** Every path of a JSON value, as keys and indexes from the root. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((item, i) => [i, item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

/** The value with the thing at `path` replaced (or removed when `replacement` is undefined). */
function mutate(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    if (rest.length === 0 && replacement === undefined) copy.splice(Number(head), 1);
    else copy[Number(head)] = mutate(copy[Number(head)], rest, replacement);
    return copy;
  }
  const copy = { ...(root as Record<string, unknown>) };
  if (rest.length === 0 && replacement === undefined) delete copy[head];
  else copy[head] = mutate(copy[head], rest, replacement);
  return copy;
}

/** Values that probe lenient intake and the mapping: "nothing", numeric strings, wrong types, big and odd text. */
const oddValue = fc.oneof(
  fc.constantFrom('', ' ', null, '87', '1,200', '51-200', '1000+', 'high', '-1', '1e400', 'NaN', '__proto__', 'constructor', '<@U0ALICE>', 'a@b', 'jane@acme.com'),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constant('x'.repeat(1200)),
);

/** A documented sample (as a new submission each time) with 1–4 of its parts replaced by odd values or removed. */
const mutatedSample = (provider: Provider) => {
  const paths = pathsOf(sample(provider));
  let submissions = 0;
  return fc
    .array(fc.record({ at: fc.nat({ max: paths.length - 1 }), value: fc.option(oddValue, { nil: undefined }) }), { minLength: 1, maxLength: 4 })
    .map((changes) => {
      submissions += 1;
      const fresh = freshSample(provider, `f${submissions.toString(36)}`);
      return changes.reduce<unknown>((value, change) => mutate(value, paths[change.at] ?? [], change.value), fresh);
    });
};

describeEachStore('intake under fuzzing', (store) => {
  beforeAll(async () => {
    harness = await startHarness({ store, configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0MGR'] });
  });

  afterAll(async () => {
    await harness.stop();
    await harness.slack.close();
  });

  describe('fuzzing POST /leads and POST /hooks/<id>: never a 5xx, nothing written unless 2xx', () => {
    it('garbage bodies with any media type, to every endpoint, authenticated or not', async () => {
      const endpoint = fc.constantFrom('/leads', '/hooks/survey', '/hooks/crm', '/hooks/booking', '/hooks/zap');
      const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', '');
      const body = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }).map((text) => new TextEncoder().encode(text)));
      await fc.assert(
        fc.asyncProperty(endpoint, contentType, body, fc.boolean(), async (path, type, bytes, authenticated) => {
          const headers: Record<string, string> = type === '' ? {} : { 'content-type': type };
          if (authenticated) headers.authorization = `Bearer ${HARNESS_WEBHOOK_SECRET}`;
          expect(await postAndCheck(path, headers, bytes)).not.toBe(202);
        }),
        { numRuns: 120 },
      );
    });

    it('any JSON value, correctly signed, to each source (and to /leads)', async () => {
      const provider = fc.constantFrom<Provider | 'generic'>('typeform', 'hubspot', 'calendly', 'generic');
      await fc.assert(
        fc.asyncProperty(provider, fc.jsonValue({ maxDepth: 4 }), async (name, value) => {
          const body = JSON.stringify(value) ?? 'null';
          await postAndCheck(`/hooks/${SOURCE_OF[name]}`, signed(name, body), body);
          await postAndCheck('/leads', { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}`, 'content-type': 'application/json' }, body);
        }),
        { numRuns: 120 },
      );
    });

    it('the documented samples with parts replaced or removed, correctly signed', async () => {
      seen = new Map();
      for (const provider of ['typeform', 'hubspot', 'calendly'] as const) {
        await fc.assert(
          fc.asyncProperty(mutatedSample(provider), async (payload) => {
            const body = JSON.stringify(payload) ?? 'null';
            await postAndCheck(`/hooks/${SOURCE_OF[provider]}`, signed(provider, body), body);
          }),
          { numRuns: 80 },
        );
      }
      // Most mutations still make a lead (202, or 200 when a mutated copy repeats a submission), many do not (400).
      expect(seen.get(202) ?? 0).toBeGreaterThan(20);
      expect(seen.get(400) ?? 0).toBeGreaterThan(5);
    });

    it('generic JSON and form bodies of odd values where the map reads', async () => {
      seen = new Map();
      // Mostly plausible values, each replaced by an odd one now and then, so that some posts make leads.
      const either = <T,>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: oddValue });
      const fields = fc.record(
        {
          email: either(fc.nat().map((n) => `p${n}@beta${n % 7}.io`)),
          name: either(fc.constantFrom('Ann Lee', 'Bo')),
          score: either(fc.integer({ min: 0, max: 100 })),
          size: either(fc.nat({ max: 5000 }).map(String)),
          extra: either(fc.dictionary(fc.constantFrom('plan', 'seats', 'utm_source'), fc.oneof(fc.string({ maxLength: 8 }), fc.nat()), { maxKeys: 3 })),
          id: either(fc.nat().map(String)),
          owner: either(fc.constant('U0ALICE')),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fields, fc.boolean(), async (record, asForm) => {
          const body = asForm
            ? new URLSearchParams(Object.entries(record).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value) ?? ''])).toString()
            : JSON.stringify(record);
          await postAndCheck('/hooks/zap', signed('generic', body, asForm ? 'application/x-www-form-urlencoded' : 'application/json'), body);
        }),
        { numRuns: 150 },
      );
      expect(seen.get(202) ?? 0).toBeGreaterThan(3);
      expect(seen.get(400) ?? 0).toBeGreaterThan(20);
    });

    it('lead bodies of odd values on every known key of POST /leads, and an unknown key now and then', async () => {
      const keys = ['external_id', 'source', 'email', 'linkedin_url', 'name', 'title', 'phone', 'score', 'owner', 'team', 'crm_url', 'message'] as const;
      const lead = fc.record(
        {
          ...Object.fromEntries(keys.map((key) => [key, oddValue])),
          company: fc.oneof(oddValue, fc.record({ name: oddValue, domain: oddValue, employees: oddValue, country: oddValue }, { requiredKeys: [] })),
          fields: fc.oneof(oddValue, fc.dictionary(fc.string({ maxLength: 70 }), oddValue, { maxKeys: 4 })),
          surprise: oddValue,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(lead, async (value) => {
          await postAndCheck('/leads', { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}`, 'content-type': 'application/json' }, JSON.stringify(value));
        }),
        { numRuns: 200 },
      );
    });

    it('forged or mangled signatures on the documented samples: always 401', async () => {
      const provider = fc.constantFrom<Provider>('typeform', 'hubspot', 'calendly');
      const forged = fc.record({ typeform: fc.string(), hubspot: fc.string(), timestamp: fc.oneof(fc.string(), fc.integer().map(String)), calendly: fc.string() });
      await fc.assert(
        fc.asyncProperty(provider, forged, async (name, values) => {
          const body = JSON.stringify(sample(name));
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'typeform-signature': values.typeform,
            'x-hubspot-signature-v3': values.hubspot,
            'x-hubspot-request-timestamp': values.timestamp,
            'calendly-webhook-signature': values.calendly,
          };
          for (const [key, value] of Object.entries(headers)) if (/[^\t\x20-\x7e]/.test(value)) delete headers[key];
          expect(await postAndCheck(`/hooks/${SOURCE_OF[name]}`, headers, body)).toBe(401);
        }),
        { numRuns: 100 },
      );
    });

    it('odd paths under /hooks/: 404 unknown_source or 405, never a 5xx', async () => {
      const segment = fc.oneof(fc.constantFrom('%ZZ', '%', '..', '%2e%2e', 'survey%00', 'SURVEY', 'survey/', 'survey?x=%ZZ', '🙂', ''), fc.webSegment());
      await fc.assert(
        fc.asyncProperty(segment, async (path) => {
          const status = await postAndCheck(`/hooks/${path}`, { 'content-type': 'application/json' }, '{}');
          expect([401, 404, 405]).toContain(status);
        }),
        { numRuns: 60 },
      );
    });
  });
});
