import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './httpIo.ts';

export interface HealthReport {
  version: string;
  mode: string;
  /** Throws when the database cannot be read. */
  outboxBacklog: () => { pending: number; oldestAgeSeconds: number | null };
  /** True once shutdown has started: load balancers should stop sending. */
  shuttingDown: () => boolean;
}

/** GET /healthz: 200 with what an operator checks first, 503 when the bot cannot do its job. */
export function createHealthzRoute(report: HealthReport) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    let database: 'ok' | 'error' = 'ok';
    let outbox: { pending: number; oldest_age_seconds: number | null } | null = null;
    try {
      const backlog = report.outboxBacklog();
      outbox = { pending: backlog.pending, oldest_age_seconds: backlog.oldestAgeSeconds };
    } catch {
      database = 'error';
    }
    const healthy = database === 'ok' && !report.shuttingDown();
    sendJson(res, healthy ? 200 : 503, {
      status: healthy ? 'ok' : report.shuttingDown() ? 'shutting_down' : 'unhealthy',
      version: report.version,
      mode: report.mode,
      database,
      outbox,
    });
  };
}
