/**
 * POST /hooks/<id> end to end: each provider's documented sample payload, signed as the
 * provider signs it, posted to the running bot (HTTP mode and Socket Mode), routed on what the
 * mapping made of it, and the card seen at the rep the rules pick. Refused requests write nothing.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SOURCE_PRESETS } from '../../src/adapters/sources/sourcePresets.ts';
import { HARNESS_SOURCE_SECRET, HARNESS_WEBHOOK_SECRET, describeEachStore, startHarness, useHarnessCleanup, type Harness } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { eventually } from '../support/eventually.ts';
import { sample, sampleText } from '../support/sourceSamples.ts';

const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, max_offers: 2 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
  - { id: U0CAROL, name: Carol }
  - { id: U0DAN, name: Dan }
teams:
  - { id: enterprise, members: [U0ALICE] }
  - { id: sdr, members: [U0BOB] }
  - { id: demos, members: [U0CAROL] }
  - { id: survey, members: [U0DAN] }
rules:
  - { name: Big company, when: { company.employees: { gte: 1000 } }, route: { team: enterprise } }
  - { name: Londoners, when: { fields.readable_ref_multiple_choice: London }, route: { team: survey } }
fallback: { team: sdr }
sources:
  - id: survey
    preset: typeform
    secret_env: TYPEFORM_SECRET
    map: { name: "$answer.readable_ref_short_text" }
  - { id: crm, preset: hubspot, secret_env: HUBSPOT_CLIENT_SECRET }
  - { id: booking, preset: calendly, secret_env: CALENDLY_SIGNING_KEY, defaults: { team: demos } }
  - id: zap
    preset: generic
    map: { email: contact.email, name: contact.name, title: contact.title, company.employees: contact.employees, score: score, external_id: id }
  - { id: webform, preset: generic, source: other, map: { email: email, name: name, message: "$join(interest, ', ')" } }
`;

const USERS = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN', 'U0MGR'];

useHarnessCleanup();

type Provider = 'typeform' | 'hubspot' | 'calendly';

interface PostOptions {
  headers?: Record<string, string>;
  /** Sign as of this time (default: the bot's clock). */
  signedAt?: number;
  /** Sign with this secret (default: the harness's). */
  secret?: string;
  /** The URL to sign (HubSpot), default the one posted to. */
  signedUrl?: string;
  unsigned?: boolean;
}

async function start(store: StoreKind, options: { mode?: 'http' | 'socket'; publicUrl?: string } = {}) {
  const harness = await startHarness({ store, configYaml: CONFIG, users: USERS, ...options });
  const { sql, baseUrl, clock, bot, slack } = harness;
  const counts = () => sql.get(`SELECT (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM lead_history) AS history, (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM idempotency_keys) AS keys`);

  /** POSTs `body` to /hooks/<id>, signed as `provider` signs it unless told otherwise. */
  async function hook(id: string, provider: Provider | 'generic', body: string, post: PostOptions = {}) {
    const url = `${baseUrl}/hooks/${id}`;
    const signed = post.unsigned
      ? { 'content-type': 'application/json' }
      : SOURCE_PRESETS[provider].sign(post.secret ?? (provider === 'generic' ? HARNESS_WEBHOOK_SECRET : HARNESS_SOURCE_SECRET), {
          method: 'POST',
          url: post.signedUrl ?? url,
          body,
          nowMs: post.signedAt ?? clock.now(),
        });
    const response = await fetch(url, { method: 'POST', headers: { ...signed, ...post.headers }, body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Waits until lead `ref` is routed and its card delivered; the rep it was offered to. */
  async function offeredTo(ref: unknown): Promise<string | undefined> {
    const id = Number(String(ref).slice(2));
    await eventually(async () => (await harness.lead(id)).state !== 'received');
    await bot.outbox.drain();
    return (await harness.pendingRep(id));
  }

  const cardText = (userId: string) => JSON.stringify(slack.lastMessage(userId)?.blocks ?? []);
  return { ...harness, counts, hook, offeredTo, cardText };
}

/** Expects a refused request to answer `status` and write nothing at all. */
async function refused(t: Awaited<ReturnType<typeof start>>, request: Promise<{ status: number; body: Record<string, unknown> }>, status: number) {
  // Leads accepted before are routed after their answers: counted once that is done.
  await t.bot.router.idle();
  const before = await t.counts();
  const answer = await request;
  expect(answer.status).toBe(status);
  expect(await t.counts()).toEqual(before);
  expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  return answer.body;
}

describeEachStore('lead sources', (store) => {
  describe('POST /hooks/<id>: each provider\'s documented sample, signed, reaches the right rep', () => {
    it('Typeform: routed on a mapped answer (fields.readable_ref_multiple_choice = London) to Dan, named from $answer', async () => {
      const t = await start(store);
      const answer = await t.hook('survey', 'typeform', sampleText('typeform'));
      expect(answer).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted' } });
      expect(await t.offeredTo(answer.body.lead)).toBe('U0DAN');
      expect(t.cardText('U0DAN')).toContain('Laura');
      expect(t.cardText('U0DAN')).toContain('claim_lead');
      const received = (await t.sql.get(`SELECT detail FROM lead_history WHERE lead_id = 1 AND event = 'received'`)) as { detail: string };
      expect(JSON.parse(received.detail)).toEqual({ source: 'form', via: 'hooks/survey' });
      expect((await t.sql.get('SELECT external_id FROM leads'))).toEqual({ external_id: 'survey:a3a12ec67a1365927098a606107fac15' });
    });

    it('HubSpot: numemployees "1200" becomes company.employees 1200, so "gte 1000" sends it to Alice; the answer lists the reading', async () => {
      const t = await start(store);
      const answer = await t.hook('crm', 'hubspot', sampleText('hubspot'));
      expect(answer).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted', warnings: [{ path: 'company.employees', message: '"1200" read as the number 1200' }] } });
      expect(await t.offeredTo(answer.body.lead)).toBe('U0ALICE');
      expect(t.cardText('U0ALICE')).toContain('Codey Huang');
      expect(t.cardText('U0ALICE')).toContain('https://app.hubspot.com/contacts/62515/contact/3234574');
      const received = JSON.parse(((await t.sql.get(`SELECT detail FROM lead_history WHERE event = 'received'`)) as { detail: string }).detail);
      expect(received.warnings).toEqual([{ path: 'company.employees', message: '"1200" read as the number 1200' }]);
    });

    it('HubSpot: the signed URI is LEADRELAY_PUBLIC_URL + path and query when it is set', async () => {
      const t = await start(store, { publicUrl: 'https://leads.example.com' });
      const asCalled = await t.hook('crm', 'hubspot', sampleText('hubspot'), { signedUrl: 'https://leads.example.com/hooks/crm' });
      expect(asCalled.status).toBe(202);
      const other = sample('hubspot');
      other.vid = 99;
      await refused(t, t.hook('crm', 'hubspot', JSON.stringify(other)), 401);
    });

    it('Calendly: invitee.created, pre-routed by the source\'s defaults to the demos team: Carol', async () => {
      const t = await start(store);
      const answer = await t.hook('booking', 'calendly', sampleText('calendly'));
      expect(answer).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted' } });
      expect(await t.offeredTo(answer.body.lead)).toBe('U0CAROL');
      expect(t.cardText('U0CAROL')).toContain('John Doe');
      expect(t.cardText('U0CAROL')).toContain('Booked 15 Minute Meeting');
    });

    it('generic: JSON signed like /leads, and a form post with the bearer secret', async () => {
      const t = await start(store);
      const json = await t.hook('zap', 'generic', JSON.stringify({ contact: { email: 'ann@beta.io', name: 'Ann Lee' }, id: 'z-1' }));
      expect(json).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted' } });
      expect(await t.offeredTo(json.body.lead)).toBe('U0BOB');
      expect((await t.sql.get('SELECT external_id, source FROM leads WHERE id = 1'))).toEqual({ external_id: 'zap:z-1', source: 'form' });

      const form = await fetch(`${t.baseUrl}/hooks/webform`, {
        method: 'POST',
        headers: { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}`, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: 'email=kim%40gamma.io&name=Kim+Park&interest=pricing&interest=demo',
      });
      const answer = (await form.json()) as { lead: string };
      expect([form.status, answer]).toEqual([202, { lead: 'L-2', status: 'accepted' }]);
      expect(await t.offeredTo(answer.lead)).toBe('U0BOB');
      expect(JSON.parse(((await t.sql.get('SELECT payload FROM leads WHERE id = 2')) as { payload: string }).payload)).toMatchObject({
        email: 'kim@gamma.io',
        name: 'Kim Park',
        message: 'pricing, demo',
        source: 'other',
      });
    });

    it('answers like /leads in Socket Mode too, and 404 unknown_source for a source that is not configured', async () => {
      const t = await start(store, { mode: 'socket' });
      const answer = await t.hook('crm', 'hubspot', sampleText('hubspot'));
      expect(answer.status).toBe(202);
      expect(await t.offeredTo(answer.body.lead)).toBe('U0ALICE');
      expect(await t.hook('nope', 'generic', '{}')).toEqual({ status: 404, body: { error: 'unknown_source' } });
    });
  });

  describe('POST /hooks/<id>: refused, writing nothing', () => {
    it('404 unknown_source for an id that is not configured, whatever it looks like', async () => {
      const t = await start(store);
      for (const path of ['nope', 'SURVEY-X', '%ZZ', '', 'survey/extra', '..%2Fleads']) {
        const response = await fetch(`${t.baseUrl}/hooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(response.status, path).toBe(404);
        expect(await response.json()).toEqual({ error: 'unknown_source' });
      }
      const get = await fetch(`${t.baseUrl}/hooks/survey`);
      expect(get.status).toBe(405);
    });

    it('401 for a wrong signature: another secret, a changed body, a signature of another provider', async () => {
      const t = await start(store);
      const text = sampleText('typeform');
      await refused(t, t.hook('survey', 'typeform', text, { secret: 'not-the-secret' }), 401);
      const signed = SOURCE_PRESETS.typeform.sign(HARNESS_SOURCE_SECRET, { method: 'POST', url: '', body: text, nowMs: t.clock.now() });
      await refused(t, t.hook('survey', 'typeform', text.replace('laura@example.com', 'mallory@example.com'), { headers: signed }), 401);
      await refused(t, t.hook('crm', 'calendly', sampleText('hubspot'), { headers: {} }), 401);
      await refused(t, t.hook('booking', 'calendly', sampleText('calendly'), { secret: 'not-the-key' }), 401);
      await refused(t, t.hook('zap', 'generic', '{"contact":{"email":"a@b.io"}}', { headers: { authorization: 'Bearer wrong' } }), 401);
    });

    it('401 for a stale timestamp: HubSpot (ms) and Calendly (s) signed more than 5 minutes ago', async () => {
      const t = await start(store);
      const sixMinutesAgo = t.clock.now() - 6 * 60_000;
      expect(await refused(t, t.hook('crm', 'hubspot', sampleText('hubspot'), { signedAt: sixMinutesAgo }), 401)).toEqual({ error: 'unauthorized' });
      await refused(t, t.hook('booking', 'calendly', sampleText('calendly'), { signedAt: sixMinutesAgo }), 401);
      await refused(t, t.hook('zap', 'generic', '{"contact":{"email":"a@b.io"}}', { signedAt: sixMinutesAgo }), 401);
      // Signed now but delivered late is the same: the bot's clock moves on.
      const body = sampleText('calendly');
      const headers = SOURCE_PRESETS.calendly.sign(HARNESS_SOURCE_SECRET, { method: 'POST', url: '', body, nowMs: t.clock.now() });
      t.clock.advance(5 * 60_000 + 1_000);
      await refused(t, t.hook('booking', 'calendly', body, { headers }), 401);
    });

    it('401 for missing auth, before the body is read', async () => {
      const t = await start(store);
      await refused(t, t.hook('survey', 'typeform', sampleText('typeform'), { unsigned: true }), 401);
      await refused(t, t.hook('crm', 'hubspot', sampleText('hubspot'), { unsigned: true }), 401);
      await refused(t, t.hook('crm', 'hubspot', sampleText('hubspot'), { unsigned: true, headers: { 'x-hubspot-signature-v3': 'abc' } }), 401);
      await refused(t, t.hook('booking', 'calendly', sampleText('calendly'), { unsigned: true }), 401);
      await refused(t, t.hook('zap', 'generic', '{"contact":{"email":"a@b.io"}}', { unsigned: true }), 401);
    });

    it('a redelivery of the same submission answers 200 duplicate, with no second card', async () => {
      const t = await start(store);
      const first = await t.hook('survey', 'typeform', sampleText('typeform'));
      await t.offeredTo(first.body.lead);
      const posts = t.slack.callsTo('chat.postMessage').length;
      // Typeform retries with the same body; HubSpot and Calendly would sign it anew, later.
      t.clock.advance(60_000);
      expect(await t.hook('survey', 'typeform', sampleText('typeform'))).toEqual({ status: 200, body: { lead: 'L-1', status: 'duplicate', matched_by: 'external_id' } });
      const hubspot = await t.hook('crm', 'hubspot', sampleText('hubspot'));
      await t.offeredTo(hubspot.body.lead);
      t.clock.advance(60_000);
      expect(await t.hook('crm', 'hubspot', sampleText('hubspot'))).toMatchObject({ status: 200, body: { lead: 'L-2', status: 'duplicate', matched_by: 'external_id' } });
      await t.bot.outbox.drain();
      expect(t.slack.callsTo('chat.postMessage').length).toBe(posts + 1);
      expect(((await t.sql.get('SELECT count(*) AS n FROM leads')) as { n: number }).n).toBe(2);
    });

    it('a generic payload without a contact is a 400 naming email and the expression for it', async () => {
      const t = await start(store);
      const body = await refused(t, t.hook('zap', 'generic', JSON.stringify({ contact: { name: 'No Email' } })), 400);
      expect(body).toEqual({ error: 'invalid_lead', issues: [{ path: 'email', message: 'at least one of email, linkedin_url is required', expression: 'contact.email' }] });
    });

    it('a mapped value that cannot mean anything is a 400 naming the lead path and the expression; numeric strings are read', async () => {
      const t = await start(store);
      const body = await refused(t, t.hook('zap', 'generic', JSON.stringify({ contact: { email: 'a@beta.io', employees: 'lots' }, score: 'high' })), 400);
      expect(body).toEqual({
        error: 'invalid_lead',
        issues: [
          { path: 'company.employees', message: 'expected number, got string', expression: 'contact.employees' },
          { path: 'score', message: 'expected number, got string', expression: 'score' },
        ],
      });
      const lenient = await t.hook('zap', 'generic', JSON.stringify({ contact: { email: 'a@beta.io', name: 'Ann', title: '', employees: '1,200' }, score: '87' }));
      expect(lenient).toEqual({
        status: 202,
        body: {
          lead: 'L-1',
          status: 'accepted',
          warnings: [
            { path: 'title', message: 'empty, ignored' },
            { path: 'score', message: '"87" read as the number 87' },
            { path: 'company.employees', message: '"1,200" read as the number 1200' },
          ],
        },
      });
      expect(await t.offeredTo(lenient.body.lead)).toBe('U0ALICE');
    });

    it('a Calendly cancellation is answered 200 ignored and stored nowhere', async () => {
      const t = await start(store);
      const canceled = { ...sample('calendly'), event: 'invitee.canceled' };
      expect(await refused(t, t.hook('booking', 'calendly', JSON.stringify(canceled)), 200)).toEqual({ status: 'ignored', reason: 'only invitee.created events are leads' });
    });

    it('415 for a body that is not JSON (correctly signed), 400 for malformed JSON, 413 over 256 KiB', async () => {
      const t = await start(store);
      expect(await refused(t, t.hook('survey', 'typeform', 'email=a@b.io', { headers: { 'content-type': 'text/plain' } }), 415)).toEqual({
        error: 'unsupported_media_type',
        message: 'send the body as application/json',
      });
      expect(await refused(t, t.hook('survey', 'typeform', '{"form_response":'), 400)).toMatchObject({ error: 'invalid_lead', issues: [{ path: '', message: expect.stringContaining('malformed JSON') }] });
      expect(await refused(t, t.hook('survey', 'typeform', JSON.stringify({ pad: 'x'.repeat(300 * 1024) })), 413)).toMatchObject({ error: 'payload_too_large' });
    });

    it('checks the Typeform signature over the raw body as sent, not a re-serialization of it', async () => {
      const t = await start(store);
      const pretty = JSON.stringify(sample('typeform'), null, 4);
      const digest = `sha256=${createHmac('sha256', HARNESS_SOURCE_SECRET).update(pretty).digest('base64')}`;
      expect((await t.hook('survey', 'typeform', pretty, { headers: { 'typeform-signature': digest } })).status).toBe(202);
    });
  });

});

export type { Harness };
