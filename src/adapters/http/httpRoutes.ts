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

/**
 * A plain HTTP server for the same routes, used in Socket Mode (where Slack traffic arrives over the
 * WebSocket and no Bolt HTTP receiver runs). Unknown paths get 404, wrong methods 405.
 */
export function createRouteServer(routes: HttpRoute[], logger: Logger): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const forPath = routes.filter((route) => route.path === path);
    const route = forPath.find((r) => r.method === req.method);
    if (route) {
      void guardRoute(route.handler, logger)(req, res);
      return;
    }
    req.resume();
    if (forPath.length > 0) sendJson(res, 405, { error: 'method_not_allowed' }, { allow: forPath.map((r) => r.method).join(', ') });
    else sendJson(res, 404, { error: 'not_found' });
  });
}
