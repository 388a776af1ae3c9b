import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAcceptLead, type IntakeConfig } from '../../../src/app/acceptLead.ts';
import { createRouteServer } from '../../../src/adapters/http/httpRoutes.ts';
import { MAX_BODY_BYTES } from '../../../src/adapters/http/authenticatedJson.ts';
import { createLeadsRoute, type LeadAnswer } from '../../../src/adapters/http/leadsRoute.ts';
import { signWebhookBody } from '../../../src/adapters/http/webhookSignature.ts';
import { createLogger } from '../../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../../src/adapters/sqlite/sqliteStore.ts';
import { FakeClock } from '../../support/fakeClock.ts';

const secret = 'whsec-test-0123456789';
const DAY = 24 * 60 * 60 * 1000;
const config: IntakeConfig = {
  dedupe: { window: 30 * DAY },
  reps: [{ id: 'U0ALICE', email: 'Alice@Example.com' }, { id: 'U0BOB' }],
  teams: [{ id: 'enterprise' }],
};

let db: Db;
let clock: FakeClock;
let baseUrl: string;
let close: () => Promise<void>;
let accepted: number[];
let answers: LeadAnswer[];

beforeEach(async () => {
  db = openDatabase(':memory:');
  clock = new FakeClock('2026-11-24T14:00:00Z');
  accepted = [];
  answers = [];
  const route = createLeadsRoute({
    webhookSecret: secret,
    clock,
    acceptLead: createAcceptLead({ uow: sqliteStore(db).uow, clock, config: () => config }),
    onAnswered: (answer) => {
      answers.push(answer);
      if (answer.status === 'accepted') accepted.push(answer.leadId);
    },
  });
  const server = createRouteServer([{ method: 'POST', path: '/leads', handler: route }], createLogger('silent'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterEach(async () => {
  await close();
  db.close();
});

interface PostOptions {
  auth?: 'bearer' | 'hmac' | 'none' | { bearer: string } | { timestamp: number; signature?: string };
  headers?: Record<string, string>;
  raw?: string;
}

async function postLead(body: unknown, options: PostOptions = {}) {
  const text = options.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const auth = options.auth ?? 'bearer';
  if (auth === 'bearer') headers.authorization = `Bearer ${secret}`;
  else if (auth === 'hmac') {
    const ts = Math.floor(clock.now() / 1000);
    headers['x-leadrelay-timestamp'] = String(ts);
    headers['x-leadrelay-signature'] = signWebhookBody(secret, ts, text);
  } else if (auth !== 'none' && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  else if (auth !== 'none') {
    headers['x-leadrelay-timestamp'] = String(auth.timestamp);
    headers['x-leadrelay-signature'] = auth.signature ?? signWebhookBody(secret, auth.timestamp, text);
  }
  const response = await fetch(`${baseUrl}/leads`, { method: 'POST', headers, body: text });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const counts = () =>
  db.prepare(`SELECT (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM lead_history) AS history,
    (SELECT count(*) FROM idempotency_keys) AS keys`).get();

const jane = { email: 'Jane.Doe@Acme.com', name: 'Jane Doe', source: 'form', company: { name: 'Acme', employees: 1200 }, score: 87 };

describe('POST /leads', () => {
  it('tells onAnswered how each lead was answered, with its source (for the metrics and the log)', async () => {
    await postLead(jane);
    await postLead({ ...jane, source: 'linkedin' });
    await postLead({ source: 'whatsapp', name: 'No contact' });
    await postLead({ source: 'pigeon', email: 'x@y.com' });
    await postLead({ ...jane, email: 'new@acme.com', owner: 'U0NOBODY' });
    await postLead(jane, { headers: { 'idempotency-key': 'has space' } });
    await postLead({ email: 'a@b.io' }, { headers: { 'idempotency-key': 'k-1' } });
    await postLead({ email: 'c@d.io', source: 'email' }, { headers: { 'idempotency-key': 'k-1' } });
    await postLead(jane, { auth: { bearer: 'wrong' } });
    await postLead(undefined, { raw: '{ "email": ' });
    expect(answers).toEqual([
      { status: 'accepted', leadId: 1, source: 'form' },
      { status: 'duplicate', leadId: 1, source: 'linkedin', reason: 'email' },
      { status: 'invalid', source: 'whatsapp' },
      { status: 'invalid', source: 'unknown' },
      { status: 'invalid', source: 'form' },
      { status: 'invalid', source: 'form' },
      { status: 'accepted', leadId: 2, source: 'other' },
      { status: 'conflict', source: 'email' },
    ]);
  });

  describe('accepts', () => {
    it('answers 202 with the lead reference once the lead is stored in state received', async () => {
      const response = await postLead(jane);
      expect(response).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted' } });
      const row = db.prepare('SELECT state, email_key, domain, source, received_at, payload FROM leads WHERE id = 1').get() as Record<string, unknown>;
      expect(row).toMatchObject({ state: 'received', email_key: 'jane.doe@acme.com', domain: 'acme.com', source: 'form', received_at: clock.now() });
      expect(JSON.parse(row.payload as string)).toMatchObject({ email: 'Jane.Doe@Acme.com', company: { domain: 'acme.com' } });
      expect(db.prepare('SELECT event, actor FROM lead_history WHERE lead_id = 1').all()).toEqual([{ event: 'received', actor: 'api' }]);
      expect(accepted).toEqual([1]);
    });

    it('accepts an HMAC-signed request', async () => {
      expect((await postLead(jane, { auth: 'hmac' })).status).toBe(202);
    });

    it('accepts a lead with only a LinkedIn URL and defaults the source to other', async () => {
      expect((await postLead({ linkedin_url: 'https://www.linkedin.com/in/janedoe/' })).status).toBe(202);
      expect(db.prepare('SELECT source, linkedin_key FROM leads').get()).toEqual({ source: 'other', linkedin_key: 'linkedin.com/in/janedoe' });
    });

    it('numbers leads L-1, L-2, …', async () => {
      expect((await postLead(jane)).body.lead).toBe('L-1');
      expect((await postLead({ email: 'bob@beta.io' })).body.lead).toBe('L-2');
    });

    it('does not take a company domain from a free-mail address', async () => {
      await postLead({ email: 'jane@gmail.com' });
      expect(db.prepare('SELECT domain FROM leads').get()).toEqual({ domain: null });
    });

    it('stores a pre-routed owner given by e-mail as the rep\'s Slack id', async () => {
      expect((await postLead({ ...jane, owner: 'alice@example.com', team: 'enterprise' })).status).toBe(202);
      expect(JSON.parse((db.prepare('SELECT payload FROM leads').get() as { payload: string }).payload)).toMatchObject({ owner: 'U0ALICE', team: 'enterprise' });
    });
  });

  describe('lenient intake: what lead sources send for "nothing"', () => {
    const stored = () => JSON.parse((db.prepare('SELECT payload FROM leads').get() as { payload: string }).payload) as Record<string, unknown>;
    const receivedDetail = () => JSON.parse((db.prepare(`SELECT detail FROM lead_history WHERE event = 'received'`).get() as { detail: string }).detail) as Record<string, unknown>;

    it('treats "" and null on optional fields as absent and lists each one in warnings', async () => {
      const response = await postLead({ ...jane, title: '', phone: null, crm_url: '', message: '', company: { name: '', employees: null, country: null } });
      expect(response).toEqual({
        status: 202,
        body: {
          lead: 'L-1',
          status: 'accepted',
          warnings: [
            { path: 'title', message: 'empty, ignored' },
            { path: 'phone', message: 'null, ignored' },
            { path: 'crm_url', message: 'empty, ignored' },
            { path: 'message', message: 'empty, ignored' },
            { path: 'company.name', message: 'empty, ignored' },
            { path: 'company.country', message: 'null, ignored' },
            { path: 'company.employees', message: 'null, ignored' },
          ],
        },
      });
      expect(stored()).toMatchObject({ email: 'Jane.Doe@Acme.com', company: { domain: 'acme.com' } });
      expect(stored()).not.toHaveProperty('title');
      expect(stored().company).toEqual({ domain: 'acme.com' });
    });

    it('treats white space only as absent, and a null score, company or fields', async () => {
      const response = await postLead({ email: 'x@beta.io', name: '   ', score: null, company: null, fields: null, source: '' });
      expect(response.status).toBe(202);
      expect(response.body.warnings).toEqual([
        { path: 'source', message: 'empty, ignored' },
        { path: 'name', message: 'only white space, ignored' },
        { path: 'score', message: 'null, ignored' },
        { path: 'company', message: 'null, ignored' },
        { path: 'fields', message: 'null, ignored' },
      ]);
      expect(stored()).toEqual({ email: 'x@beta.io', source: 'other', company: { domain: 'beta.io' }, fields: {} });
    });

    it('drops empty and null fields.* values', async () => {
      const response = await postLead({ email: 'x@beta.io', fields: { plan: '', seats: null, region: 'EU' } });
      expect(response.body.warnings).toEqual([
        { path: 'fields.plan', message: 'empty, ignored' },
        { path: 'fields.seats', message: 'null, ignored' },
      ]);
      expect(stored().fields).toEqual({ region: 'EU' });
    });

    it('reads numeric strings for score and company.employees, head-count ranges as their lower end', async () => {
      const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
        [{ score: '87' }, { score: 87 }, '"87" read as the number 87'],
        [{ score: ' 42.5 ' }, { score: 42.5 }, '" 42.5 " read as the number 42.5'],
        [{ company: { employees: '1200' } }, { company: { employees: 1200 } }, '"1200" read as the number 1200'],
        [{ company: { employees: '1,200' } }, { company: { employees: 1200 } }, '"1,200" read as the number 1200'],
        [{ company: { employees: '51-200' } }, { company: { employees: 51 } }, '"51-200" read as 51 (the lower end of the range)'],
        [{ company: { employees: '1,000+' } }, { company: { employees: 1000 } }, '"1,000+" read as 1000 (the lower end of the range)'],
      ];
      for (const [i, [given, expected, message]] of cases.entries()) {
        const response = await postLead({ email: `n${i}@beta.io`, ...given });
        expect(response.status).toBe(202);
        expect(response.body.warnings).toEqual([{ path: 'score' in given ? 'score' : 'company.employees', message }]);
        const payload = JSON.parse((db.prepare('SELECT payload FROM leads WHERE id = ?').get(i + 1) as { payload: string }).payload) as Record<string, unknown>;
        expect(payload).toMatchObject(expected);
      }
    });

    it('records the warnings in the lead\'s history', async () => {
      await postLead({ ...jane, title: '', score: '87' });
      expect(receivedDetail()).toEqual({
        source: 'form',
        warnings: [
          { path: 'title', message: 'empty, ignored' },
          { path: 'score', message: '"87" read as the number 87' },
        ],
      });
    });

    it('answers a duplicate with its warnings too', async () => {
      await postLead(jane);
      const again = await postLead({ ...jane, phone: '' });
      expect(again).toEqual({ status: 200, body: { lead: 'L-1', status: 'duplicate', matched_by: 'email', warnings: [{ path: 'phone', message: 'empty, ignored' }] } });
    });

    it('still refuses values that cannot mean anything, by path, writing nothing', async () => {
      const cases: [Record<string, unknown>, { path: string; message: string }][] = [
        [{ score: 'high' }, { path: 'score', message: 'expected number, got string' }],
        [{ score: '87 points' }, { path: 'score', message: 'expected number, got string' }],
        [{ score: '1-5' }, { path: 'score', message: 'expected number, got string' }],
        [{ company: { employees: [1] } }, { path: 'company.employees', message: 'expected number, got array' }],
        [{ company: { employees: 'many' } }, { path: 'company.employees', message: 'expected number, got string' }],
        [{ company: { employees: '1.5' } }, { path: 'company.employees', message: 'expected a whole number' }],
        [{ score: '101' }, { path: 'score', message: 'must be between 0 and 100' }],
        [{ title: 42 }, { path: 'title', message: 'expected string, got number' }],
      ];
      for (const [given, issue] of cases) {
        const before = counts();
        const response = await postLead({ ...jane, ...given });
        expect(response.status, JSON.stringify(given)).toBe(400);
        expect(response.body).toEqual({ error: 'invalid_lead', issues: [issue] });
        expect(counts()).toEqual(before);
      }
    });

    it('still refuses unknown top-level keys, even empty ones', async () => {
      const response = await postLead({ ...jane, nickname: '' });
      expect(response).toEqual({ status: 400, body: { error: 'invalid_lead', issues: [{ path: 'nickname', message: 'unknown key "nickname"' }] } });
    });

    it('needs a contact: an empty email is no contact', async () => {
      const response = await postLead({ email: '', linkedin_url: null, name: 'Nobody' });
      expect(response).toEqual({ status: 400, body: { error: 'invalid_lead', issues: [{ path: 'email', message: 'at least one of email, linkedin_url is required' }] } });
    });
  });

  describe('duplicates', () => {
    it.each([' jane.doe@acme.com', 'JANE.DOE@ACME.COM  ', 'Jane.Doe@acme.com'])('matches the e-mail %j to the open lead', async (email) => {
      await postLead(jane);
      const response = await postLead({ email, source: 'linkedin' });
      expect(response).toEqual({ status: 200, body: { lead: 'L-1', status: 'duplicate', matched_by: 'email' } });
      expect(db.prepare('SELECT count(*) AS n FROM leads').get()).toEqual({ n: 1 });
      expect(db.prepare("SELECT detail FROM lead_history WHERE event = 'seen_again'").get()).toEqual({ detail: JSON.stringify({ source: 'linkedin', matched_by: 'email' }) });
    });

    it.each([
      'http://linkedin.com/in/janedoe',
      'https://linkedin.com/in/janedoe',
      'https://www.linkedin.com/in/janedoe',
      'https://www.linkedin.com/in/janedoe/',
      'https://www.linkedin.com/in/janedoe?utm_source=x',
      'https://WWW.LinkedIn.com/in/JaneDoe/',
      'linkedin.com/in/janedoe/',
    ])('matches the LinkedIn URL variant %s', async (url) => {
      await postLead({ linkedin_url: 'https://www.linkedin.com/in/janedoe/' });
      expect(await postLead({ linkedin_url: url })).toEqual({ status: 200, body: { lead: 'L-1', status: 'duplicate', matched_by: 'linkedin_url' } });
    });

    it('routes a lead again once the dedupe window has passed', async () => {
      await postLead(jane);
      clock.advance(30 * DAY + 1);
      expect((await postLead(jane)).body).toEqual({ lead: 'L-2', status: 'accepted' });
    });

    it('routes a lead again when the earlier one is done', async () => {
      await postLead(jane);
      db.prepare("UPDATE leads SET state = 'done'").run();
      expect((await postLead(jane)).status).toBe(202);
    });

    it('answers a repeated external_id with the original lead', async () => {
      await postLead({ ...jane, external_id: 'hs-9912' });
      db.prepare("UPDATE leads SET state = 'done'").run();
      expect(await postLead({ email: 'other@acme.com', external_id: 'hs-9912' })).toEqual({
        status: 200,
        body: { lead: 'L-1', status: 'duplicate', matched_by: 'external_id' },
      });
    });

    it('replays an Idempotency-Key with the first answer and writes nothing', async () => {
      await postLead(jane, { headers: { 'idempotency-key': 'req-1' } });
      const before = counts();
      expect(await postLead(jane, { headers: { 'idempotency-key': 'req-1' } })).toEqual({
        status: 200,
        body: { lead: 'L-1', status: 'duplicate', matched_by: 'idempotency_key' },
      });
      expect(counts()).toEqual(before);
    });

    it('refuses an Idempotency-Key reused for a different body with 409', async () => {
      await postLead(jane, { headers: { 'idempotency-key': 'req-1' } });
      const before = counts();
      const response = await postLead({ email: 'bob@beta.io' }, { headers: { 'idempotency-key': 'req-1' } });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ error: 'idempotency_key_reused', lead: 'L-1' });
      expect(counts()).toEqual(before);
    });
  });

  describe('concurrent requests (group commit)', () => {
    it('stores a burst of different leads, each with its own reference', async () => {
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => postLead({ email: `lead${i}@beta.io` })));
      expect(responses.every((r) => r.status === 202)).toBe(true);
      expect(new Set(responses.map((r) => r.body.lead)).size).toBe(40);
      expect(db.prepare('SELECT count(*) AS n FROM leads').get()).toEqual({ n: 40 });
    });

    it('accepts exactly one of the same lead sent twice at once', async () => {
      const responses = await Promise.all([postLead(jane), postLead({ ...jane, email: ' JANE.DOE@acme.com' })]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 202]);
      expect(db.prepare('SELECT count(*) AS n FROM leads').get()).toEqual({ n: 1 });
    });
  });

  describe('rejects, writing nothing', () => {
    const rejected = async (response: Promise<{ status: number; body: Record<string, unknown> }>, status: number) => {
      const before = counts();
      const result = await response;
      expect(result.status).toBe(status);
      expect(counts()).toEqual(before);
      expect(accepted).toEqual([]);
      return result.body;
    };
    const issuesOf = (body: Record<string, unknown>) => body.issues as { path: string; message: string }[];

    it('a lead with neither e-mail nor LinkedIn URL', async () => {
      const body = await rejected(postLead({ name: 'Nobody' }), 400);
      expect(body).toEqual({ error: 'invalid_lead', issues: [{ path: 'email', message: 'at least one of email, linkedin_url is required' }] });
    });

    it('wrong types, with the path of each field', async () => {
      const body = await rejected(postLead({ email: 42, company: { employees: 'many' }, fields: { seats: [300] } }), 400);
      expect(issuesOf(body)).toEqual(
        expect.arrayContaining([
          { path: 'email', message: 'expected string, got number' },
          { path: 'company.employees', message: 'expected number, got string' },
          { path: 'fields.seats', message: 'expected a string, number or boolean' },
        ]),
      );
    });

    it('an out-of-range score', async () => {
      for (const score of [101, -1]) {
        const body = await rejected(postLead({ ...jane, score }), 400);
        expect(issuesOf(body)).toEqual([{ path: 'score', message: 'must be between 0 and 100' }]);
      }
    });

    it('unknown keys, at the top level and nested', async () => {
      const body = await rejected(postLead({ ...jane, emial: 'x', company: { name: 'Acme', size: 3 } }), 400);
      expect(issuesOf(body)).toEqual(
        expect.arrayContaining([
          { path: 'emial', message: 'unknown key "emial"' },
          { path: 'company.size', message: 'unknown key "size"' },
        ]),
      );
    });

    it('an unknown source, e-mail format and LinkedIn host', async () => {
      const body = await rejected(postLead({ email: 'not-an-email', linkedin_url: 'https://example.com/in/x', source: 'fax' }), 400);
      expect(issuesOf(body).map((i) => i.path).sort()).toEqual(['email', 'linkedin_url', 'source']);
    });

    it('an unknown pre-routed owner or team', async () => {
      const body = await rejected(postLead({ ...jane, owner: 'U0NOBODY', team: 'ghosts' }), 400);
      expect(issuesOf(body).map((i) => i.path)).toEqual(['owner', 'team']);
    });

    it('malformed JSON', async () => {
      const body = await rejected(postLead(undefined, { raw: '{"email": "jane@acme.com",' }), 400);
      expect(body.error).toBe('invalid_lead');
      expect(issuesOf(body)[0]?.message).toMatch(/^malformed JSON/);
    });

    it('a body that is not an object', async () => {
      const body = await rejected(postLead([jane]), 400);
      expect(issuesOf(body)).toEqual([{ path: '', message: 'expected object, got array' }]);
    });

    it('a request without credentials with 401', async () => {
      expect(await rejected(postLead(jane, { auth: 'none' }), 401)).toEqual({ error: 'unauthorized' });
    });

    it('a wrong bearer with 401', async () => {
      expect(await rejected(postLead(jane, { auth: { bearer: 'guess' } }), 401)).toEqual({ error: 'unauthorized' });
    });

    it('a bad HMAC signature with 401', async () => {
      const ts = Math.floor(clock.now() / 1000);
      expect(await rejected(postLead(jane, { auth: { timestamp: ts, signature: signWebhookBody('other-secret', ts, JSON.stringify(jane)) } }), 401)).toEqual({ error: 'unauthorized' });
    });

    it('a stale HMAC timestamp with 401', async () => {
      const ts = Math.floor(clock.now() / 1000) - 301;
      expect(await rejected(postLead(jane, { auth: { timestamp: ts } }), 401)).toEqual({ error: 'unauthorized' });
    });

    it('a body over 256 KiB with 413', async () => {
      const body = await rejected(postLead({ ...jane, message: 'x'.repeat(MAX_BODY_BYTES) }), 413);
      expect(body).toMatchObject({ error: 'payload_too_large' });
    });

    it('a chunked body over 256 KiB with 413', async () => {
      const big = JSON.stringify({ ...jane, message: 'x'.repeat(MAX_BODY_BYTES) });
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
      const before = counts();
      const response = await fetch(`${baseUrl}/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(counts()).toEqual(before);
    });

    it('a body that is not JSON with 415', async () => {
      const before = counts();
      const response = await fetch(`${baseUrl}/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${secret}` },
        body: 'email=jane@acme.com',
      });
      expect(response.status).toBe(415);
      expect(counts()).toEqual(before);
    });

    it('a malformed Idempotency-Key', async () => {
      const body = await rejected(postLead(jane, { headers: { 'idempotency-key': 'has space' } }), 400);
      expect(issuesOf(body)).toEqual([{ path: 'Idempotency-Key', message: 'expected 1 to 255 visible ASCII characters' }]);
    });
  });
});
