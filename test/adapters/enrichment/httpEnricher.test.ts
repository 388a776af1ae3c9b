import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpEnricher, type HttpEnricherOptions } from '../../../src/adapters/enrichment/httpEnricher.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeClock } from '../../support/fakeClock.ts';
import { startFakeEnricher, type EnricherReply, type EnricherRequest, type FakeEnricher } from '../../support/fakeEnricher.ts';

const SECRET = 'enrich-secret';
/** Long enough never to be reached by a test that expects an answer. */
const NO_TIMEOUT = 10_000;
/** Short enough to keep the timeout tests fast; nothing asserts how long they took. */
const SHORT = 150;

let enricher: FakeEnricher | undefined;
afterEach(async () => {
  await enricher?.close();
  enricher = undefined;
});

function lead(email: string, extra: Partial<Lead> = {}): Lead {
  return { source: 'form', email, company: {}, fields: {}, ...extra };
}

async function setup(reply: (request: EnricherRequest) => EnricherReply, options: Partial<HttpEnricherOptions> = {}) {
  const clock = new FakeClock();
  enricher = await startFakeEnricher({ secret: SECRET, now: () => clock.now(), reply });
  const client = createHttpEnricher({ url: enricher.url, secret: SECRET, timeoutMs: NO_TIMEOUT, now: () => clock.now(), ...options });
  return { clock, server: enricher, client };
}

/** A loopback URL nothing listens on (a port just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/enrich`;
}

const ask = (client: ReturnType<typeof createHttpEnricher>, email: string, domain: string | null, extra: Partial<Lead> = {}) =>
  client.enrich({ ref: 'L-7', lead: lead(email, extra), domain });

describe('the enrichment webhook', () => {
  it('POSTs the lead with its reference, signed like POST /leads, and returns the answer', async () => {
    const { server, client } = await setup(() => ({ json: { company: { name: 'Acme', employees: 1200, logo: 'https://…' }, fields: { plan: 'enterprise' }, score: 99 } }));
    const outcome = await ask(client, 'jane@acme.com', 'acme.com', { name: 'Jane' });
    expect(outcome).toEqual({ result: 'answered', answer: { company: { name: 'Acme', employees: 1200 }, fields: { plan: 'enterprise' } } });
    expect(server.requests).toEqual([{ signed: true, body: { lead: { ref: 'L-7', source: 'form', email: 'jane@acme.com', name: 'Jane', company: {}, fields: {} } } }]);
  });

  it('reads nulls and blanks as unknown, and an empty body as an answer with nothing in it', async () => {
    const { client } = await setup((request) =>
      request.body.lead.email === 'a@acme.com' ? { json: { company: { name: ' ', country: null, region: 'EMEA' }, fields: null } } : { status: 204 },
    );
    expect(await ask(client, 'a@acme.com', 'acme.com')).toEqual({ result: 'answered', answer: { company: { region: 'EMEA' } } });
    expect(await ask(client, 'b@globex.com', 'globex.com')).toEqual({ result: 'answered', answer: {} });
  });

  it('times out on an enricher that never answers, within the timeout it was given', async () => {
    const { server, client } = await setup(() => 'hang', { timeoutMs: SHORT });
    expect(await ask(client, 'jane@acme.com', 'acme.com')).toEqual({ result: 'timeout', afterMs: SHORT });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an HTTP error, invalid JSON, an answer of the wrong shape and an unreachable enricher as errors', async () => {
    const replies: Record<string, EnricherReply> = {
      'a@x.com': { status: 500 },
      'b@x.com': { raw: '<html>oops' },
      'c@x.com': { json: { company: { employees: 'many' } } },
      'd@x.com': { json: { fields: { nested: { no: 1 } } } },
    };
    const { server, client } = await setup((request) => replies[request.body.lead.email as string] ?? {});
    const host = new URL(server.url).host;
    expect(await ask(client, 'a@x.com', null)).toEqual({ result: 'error', error: `HTTP 500 from ${host}` });
    expect(await ask(client, 'b@x.com', null)).toEqual({ result: 'error', error: `invalid JSON from ${host}` });
    expect(await ask(client, 'c@x.com', null)).toEqual({ result: 'error', error: `invalid answer from ${host}: company.employees: expected number, got string` });
    expect(await ask(client, 'd@x.com', null)).toEqual({ result: 'error', error: `invalid answer from ${host}: fields.nested: expected a string, number or boolean` });
    const unreachable = createHttpEnricher({ url: await closedPortUrl(), secret: SECRET, timeoutMs: NO_TIMEOUT, now: () => 0 });
    expect(await ask(unreachable, 'e@x.com', null)).toEqual({ result: 'error', error: 'network error (ECONNREFUSED)' });
  });

  it('answers a lead of a domain answered before from its cache, without a second request', async () => {
    const { server, client } = await setup(() => ({ json: { company: { name: 'Acme' } } }));
    expect(await ask(client, 'jane@acme.com', 'acme.com')).toMatchObject({ result: 'answered' });
    expect(await ask(client, 'bob@acme.com', 'acme.com')).toEqual({ result: 'cached', answer: { company: { name: 'Acme' } } });
    expect(server.requests).toHaveLength(1);
    expect(client.requestsSent()).toBe(1);
  });

  it('asks again once the cached answer is older than its time to live, or was pushed out by newer domains', async () => {
    const { clock, server, client } = await setup(() => ({ json: {} }), { cacheTtlMs: 60_000, cacheSize: 2 });
    await ask(client, 'a@acme.com', 'acme.com');
    clock.advance(60_000);
    expect(await ask(client, 'b@acme.com', 'acme.com')).toMatchObject({ result: 'answered' });
    await ask(client, 'c@globex.com', 'globex.com');
    await ask(client, 'd@initech.io', 'initech.io');
    expect(await ask(client, 'e@globex.com', 'globex.com')).toMatchObject({ result: 'cached' });
    expect(await ask(client, 'f@acme.com', 'acme.com')).toMatchObject({ result: 'answered' });
    expect(server.requests.map((r) => r.body.lead.email)).toEqual(['a@acme.com', 'b@acme.com', 'c@globex.com', 'd@initech.io', 'f@acme.com']);
  });

  it('never caches for leads without a company domain or with a free-mail one, nor failed answers', async () => {
    let fail = true;
    const { server, client } = await setup(() => (fail ? { status: 503 } : { json: {} }));
    await ask(client, 'a@acme.com', 'acme.com');
    fail = false;
    expect(await ask(client, 'b@acme.com', 'acme.com')).toMatchObject({ result: 'answered' });
    await ask(client, 'c@gmail.com', null);
    await ask(client, 'd@gmail.com', null);
    await ask(client, 'e@gmail.com', 'gmail.com');
    await ask(client, 'f@gmail.com', 'gmail.com');
    expect(server.requests).toHaveLength(6);
  });

  it('shares one request among leads of the same domain that arrive while it is out', async () => {
    const { server, client } = await setup(() => 'hang');
    const first = ask(client, 'a@acme.com', 'acme.com');
    const second = ask(client, 'b@acme.com', 'acme.com');
    await eventually(() => server.held() === 1);
    server.releaseHeld();
    expect(await Promise.all([first, second])).toEqual([
      { result: 'answered', answer: {} },
      { result: 'answered', answer: {} },
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it('has at most `concurrency` requests out at once; the others wait for a slot', async () => {
    const { server, client } = await setup(() => 'hang', { concurrency: 2 });
    const outcomes = Promise.all(['a.com', 'b.com', 'c.com', 'd.com', 'e.com'].map((domain) => ask(client, `x@${domain}`, domain)));
    await eventually(() => server.held() === 2);
    expect(client.pending()).toEqual({ out: 2, waiting: 3 });
    for (let answered = 0; answered < 5; ) {
      await eventually(() => server.held() > 0);
      answered += server.held();
      server.releaseHeld();
    }
    expect((await outcomes).map((o) => o.result)).toEqual(['answered', 'answered', 'answered', 'answered', 'answered']);
    expect(server.requests).toHaveLength(5);
    expect(server.maxInProgress()).toBe(2);
  });

  it('counts the wait for a slot in the timeout: a lead never waits longer than the timeout', async () => {
    const { server, client } = await setup(() => 'hang', { concurrency: 1, timeoutMs: SHORT });
    const outcomes = await Promise.all([ask(client, 'x@a.com', 'a.com'), ask(client, 'x@b.com', 'b.com')]);
    expect(outcomes).toEqual([
      { result: 'timeout', afterMs: SHORT },
      { result: 'timeout', afterMs: SHORT },
    ]);
    // The second lead timed out waiting for the slot the first one held: it was never sent.
    expect(server.requests.map((r) => r.body.lead.email)).toEqual(['x@a.com']);
  });
});
