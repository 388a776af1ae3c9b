import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRouteDispatcher, type HttpRoute } from '../../../src/adapters/http/httpRoutes.ts';
import { createLogger } from '../../../src/adapters/logger.ts';

const request = (method: string, url: string) => ({ method, url }) as IncomingMessage;
const response = {} as ServerResponse;

describe('createRouteDispatcher', () => {
  it('serves a request by its method and exact path, query left out, and leaves every other request to the caller', () => {
    const served: string[] = [];
    const routes: HttpRoute[] = [
      { method: 'POST', path: '/leads', handler: () => void served.push('leads') },
      { method: 'GET', path: '/healthz', handler: () => void served.push('healthz') },
      { method: 'POST', path: '/hooks/form.v2', handler: () => void served.push('hook') },
    ];
    const dispatch = createRouteDispatcher(routes, createLogger('silent'));
    const taken = [
      dispatch(request('POST', '/leads?x=1'), response),
      dispatch(request('GET', '/healthz'), response),
      dispatch(request('POST', '/hooks/form.v2'), response),
      dispatch(request('GET', '/leads'), response),
      dispatch(request('POST', '/hooks/formXv2'), response),
      dispatch(request('POST', '/slack/events'), response),
    ];
    expect(taken).toEqual([true, true, true, false, false, false]);
    expect(served).toEqual(['leads', 'healthz', 'hook']);
  });
});
