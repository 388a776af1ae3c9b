import type { FetchFunction } from '@slack/web-api';

/** The Web API method a request goes to: the last path segment of `…/api/chat.postMessage`. */
function methodOf(url: string | URL): string {
  const path = (typeof url === 'string' ? new URL(url, 'http://localhost') : url).pathname;
  return path.slice(path.lastIndexOf('/') + 1) || 'unknown';
}

/**
 * A fetch for the Web API clients Bolt creates itself (App Home publishes, users.info, auth.test,
 * Socket Mode's apps.connections.open), telling `onCall` each call's method and result code, the
 * same codes as `slackOutcomeCode`: `ok`, Slack's error, `ratelimited`, `http_<status>`,
 * `request_error`. The outbox's calls are counted by `createSlackCaller` instead, at no extra cost.
 */
export function countingFetch(onCall: (method: string, code: string) => void, base: typeof fetch = globalThis.fetch): FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    let response: Response;
    try {
      response = await base(url, init);
    } catch (error) {
      onCall(method, 'request_error');
      throw error;
    }
    if (response.status === 429) onCall(method, 'ratelimited');
    else if (response.status !== 200) onCall(method, `http_${response.status}`);
    else {
      // The client reads the body itself; a copy tells whether Slack said ok (never delays the call).
      response
        .clone()
        .json()
        .then((body: unknown) => {
          const { ok, error } = (body ?? {}) as { ok?: unknown; error?: unknown };
          onCall(method, ok === true ? 'ok' : typeof error === 'string' ? error : 'invalid_response');
        })
        .catch(() => onCall(method, 'invalid_response'));
    }
    return response;
  };
}
