import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { sendJson } from './httpIo.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handler: RouteHandler;
}

/** An exception in a handler becomes a 500 for that request, never a crash of the process. */
export function guardRoute(handler: RouteHandler, logger: Logger): RouteHandler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      logger.error({ err: error, method: req.method, path: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    }
  };
}

/** The routes in the shape Bolt's HTTPReceiver takes as `customRoutes`. */
export function toBoltCustomRoutes(routes: HttpRoute[], logger: Logger) {
  return routes.map((route) => ({ path: route.path, method: route.method, handler: guardRoute(route.handler, logger) }));
}

/** The path of a request target (`/hooks/x?y=1` → `/hooks/x`); `/` for one that does not parse. */
function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

/**
 * Answers a request that no route takes: 405 (with Allow) when its path is served for other methods,
 * else 404 — `{"error":"unknown_source"}` under /hooks/ (SPEC 2b), `{"error":"not_found"}` elsewhere.
 */
export function answerUnrouted(req: IncomingMessage, res: ServerResponse, routes: readonly HttpRoute[]): void {
  const path = pathOf(req.url);
  const forPath = routes.filter((route) => route.path === path);
  req.resume();
  if (forPath.length > 0) sendJson(res, 405, { error: 'method_not_allowed' }, { allow: forPath.map((r) => r.method).join(', ') });
  else sendJson(res, 404, { error: path.startsWith('/hooks/') ? 'unknown_source' : 'not_found' });
}

/**
 * A plain HTTP server for the same routes, used in Socket Mode (where Slack traffic arrives over the
 * WebSocket and no Bolt HTTP receiver runs). Paths match exactly; the rest is answered by answerUnrouted.
 */
export function createRouteServer(routes: HttpRoute[], logger: Logger): Server {
  return createServer((req, res) => {
    const path = pathOf(req.url);
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (route) {
      void guardRoute(route.handler, logger)(req, res);
      return;
    }
    answerUnrouted(req, res, routes);
  });
}
