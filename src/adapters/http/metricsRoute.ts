import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * GET /metrics: the Prometheus text format. Served without authentication on PORT like /healthz
 * (counts by lead source, event, Slack method and webhook host; never lead data); a database that cannot be
 * read fails the scrape with a 500 (the route guard), which Prometheus records as `up == 0`.
 */
export function createMetricsRoute(render: () => Promise<{ contentType: string; body: string }>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    const { contentType, body } = await render();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
}
