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
 * else 404 — `{"error":"unknown_source"}` under /hooks/, `{"error":"not_found"}` elsewhere.
 */
export function answerUnrouted(req: IncomingMessage, res: ServerResponse, routes: readonly HttpRoute[]): void {
  const path = pathOf(req.url);
  const forPath = routes.filter((route) => route.path === path);
  req.resume();
  if (forPath.length > 0) sendJson(res, 405, { error: 'method_not_allowed' }, { allow: forPath.map((r) => r.method).join(', ') });
  else sendJson(res, 404, { error: path.startsWith('/hooks/') ? 'unknown_source' : 'not_found' });
}

/**
 * Serves a request that one of the routes takes (by method and exact path, one map lookup): true
 * when it did. Bolt's HTTPReceiver matches its custom routes by compiling each one's pattern
 * again on every request, which cost a lead more than its own validation.
 */
export function createRouteDispatcher(routes: readonly HttpRoute[], logger: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byKey = new Map<string, RouteHandler>(routes.map((route) => [`${route.method} ${route.path}`, guardRoute(route.handler, logger)]));
  return (req, res) => {
    const handler = byKey.get(`${req.method ?? ''} ${pathOf(req.url)}`);
    if (!handler) return false;
    void handler(req, res);
    return true;
  };
}

/**
 * A plain HTTP server for the same routes, used in Socket Mode (where Slack traffic arrives over the
 * WebSocket and no Bolt HTTP receiver runs). Paths match exactly; the rest is answered by answerUnrouted.
 */
export function createRouteServer(routes: HttpRoute[], logger: Logger): Server {
  const dispatch = createRouteDispatcher(routes, logger);
  return createServer((req, res) => {
    if (!dispatch(req, res)) answerUnrouted(req, res, routes);
  });
}
