import { describe, expect, it } from 'vitest';
import { countingFetch } from '../../../src/adapters/slack/countingFetch.ts';
import { eventually } from '../../support/eventually.ts';

const URL_BASE = 'http://127.0.0.1:1/api/';

/** A fetch that answers every request with `response` (or throws `error`). */
function answering(response: () => Response): typeof fetch {
  return (async () => response()) as typeof fetch;
}

async function callWith(base: typeof fetch, method = 'views.publish') {
  const seen: [string, string][] = [];
  const fetchFn = countingFetch((m, code) => seen.push([m, code]), base);
  const result = await fetchFn(`${URL_BASE}${method}`, { method: 'POST' }).then(
    (response) => ({ response }),
    (error: unknown) => ({ error }),
  );
  return { seen, result };
}

describe('countingFetch', () => {
  it('counts an ok call, and the client can still read the body', async () => {
    const { seen, result } = await callWith(answering(() => Response.json({ ok: true, view: { id: 'V1' } })));
    expect('response' in result && (await result.response.json())).toEqual({ ok: true, view: { id: 'V1' } });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([['views.publish', 'ok']]);
  });

  it("counts Slack's error code from an ok:false answer", async () => {
    const { seen } = await callWith(answering(() => Response.json({ ok: false, error: 'not_enabled' })));
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([['views.publish', 'not_enabled']]);
  });

  it('counts a 429 as ratelimited and another status as http_<status>, without reading the body', async () => {
    const limited = await callWith(answering(() => new Response('', { status: 429, headers: { 'retry-after': '1' } })), 'users.info');
    const down = await callWith(answering(() => new Response('bad gateway', { status: 502 })), 'users.info');
    expect(limited.seen).toEqual([['users.info', 'ratelimited']]);
    expect(down.seen).toEqual([['users.info', 'http_502']]);
  });

  it('counts a request that never reached Slack as request_error, and passes the error on', async () => {
    const refused = new Error('connect ECONNREFUSED');
    const { seen, result } = await callWith((async () => {
      throw refused;
    }) as typeof fetch);
    expect(seen).toEqual([['views.publish', 'request_error']]);
    expect(result).toEqual({ error: refused });
  });

  it('counts an answer that is not JSON as invalid_response', async () => {
    const { seen } = await callWith(answering(() => new Response('<html>proxy</html>', { status: 200 })));
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([['views.publish', 'invalid_response']]);
  });
});
